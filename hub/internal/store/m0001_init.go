package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0001Init creates the hub's first tables: its settings, organizations,
// sites and their enrollment tokens, the records sites send, releases,
// the POM interviews and their answers, staff users and their sessions.
func m0001Init() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0001_init",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0001_init") },
		Rollback: func(tx *gorm.DB) error {
			return dropTables(tx, "sessions", "users", "pom_answers", "pom_interviews", "releases",
				"records", "enrollment_tokens", "sites", "organizations", "hub_meta")
		},
	}
}
