package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0004GoalsStipends is reserved; its tables are being written.
func m0004GoalsStipends() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0004_goals_stipends",
		Migrate: func(tx *gorm.DB) error { return nil },
	}
}
