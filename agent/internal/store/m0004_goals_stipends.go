package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0004GoalsStipends adds the participants' three social goals, their
// monthly spending plans, expenses with their receipts (the files are kept
// beside the database, named by file_id), and the stipend payments the
// director approved. Months are calendar months written YYYY-MM. All of it
// stays at the site.
func m0004GoalsStipends() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0004_goals_stipends",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0004_goals_stipends") },
	}
}
