package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0005PairsOutings adds pairing profiles, peer partner pairs (with their
// members: two, or three for a while in an odd group) and social outings.
// All of it stays at the site: none of it is written to the outbox.
func m0005PairsOutings() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0005_pairs_outings",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0005_pairs_outings") },
	}
}
