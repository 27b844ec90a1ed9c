package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0001Init creates the agent's first tables: its settings, releases,
// participants and their POM interviews, staff users and their sessions,
// and the outbox (sync_records, sync_acks).
func m0001Init() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0001_init",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0001_init") },
		Rollback: func(tx *gorm.DB) error {
			for _, t := range []string{"sync_acks", "sync_records", "sessions", "users", "pom_interviews", "participants", "releases", "agent_meta"} {
				if err := tx.Migrator().DropTable(t); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
