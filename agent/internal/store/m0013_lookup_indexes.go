package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0013LookupIndexes indexes what participant pages and the site report
// look up by participant without one: the joint outings a partner
// recorded (outings by partner_id, read with a participant's own for their
// stage, their outings and their participation) and every pair a
// participant was ever in (pair_members had only its key, by pair, and the
// index of current pairs).
func m0013LookupIndexes() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0013_lookup_indexes",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0013_lookup_indexes") },
	}
}
