package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0009HubCertifications keeps the certifications of the site's
// organization as the hub sent them (so a director can link a coach by
// its verification code), and the files the releases attach, by SHA-256.
// Both come from the hub; neither is written to the outbox.
func m0009HubCertifications() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0009_hub_certifications_kit_files",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0009_hub_certifications_kit_files") },
	}
}
