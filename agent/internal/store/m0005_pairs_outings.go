package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0005PairsOutings is reserved; its tables are being written.
func m0005PairsOutings() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0005_pairs_outings",
		Migrate: func(tx *gorm.DB) error { return nil },
	}
}
