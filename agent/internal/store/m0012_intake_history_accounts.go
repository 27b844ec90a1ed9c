package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0012IntakeHistoryAccounts keeps the history of changes to a
// participant's intake details (who changed which field when, the old and
// the new value: identifying, so it stays at the site like the record it
// is about, and nothing of it enters the outbox), and lets the Program
// Director disable a staff account (its sessions end; it cannot sign in
// until enabled again).
func m0012IntakeHistoryAccounts() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0012_intake_history_accounts",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0012_intake_history_accounts") },
	}
}
