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
		ID: "0012_intake_history_accounts",
		Migrate: func(tx *gorm.DB) error {
			return tx.Exec(`
CREATE TABLE participant_changes (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  changed_at       DATETIME NOT NULL,
  changed_by       TEXT NOT NULL,
  changed_by_name  TEXT NOT NULL,
  field            TEXT NOT NULL,
  old_value        TEXT NOT NULL,
  new_value        TEXT NOT NULL
);
CREATE INDEX ix_participant_changes_participant ON participant_changes (participant_id, id);
ALTER TABLE users ADD COLUMN disabled_at DATETIME;
`).Error
		},
	}
}
