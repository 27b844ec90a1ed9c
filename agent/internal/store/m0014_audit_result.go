package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0014AuditResult gives each audit line the HTTP status its attempt was
// answered with (0: not known, as for the lines written before, views
// and lines written after a change was done), so the log can say whether
// an attempt to change a participant's record was done or refused.
func m0014AuditResult() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0014_audit_result",
		Migrate: func(tx *gorm.DB) error {
			return tx.Exec(`ALTER TABLE audit_log ADD COLUMN status INTEGER NOT NULL DEFAULT 0`).Error
		},
	}
}
