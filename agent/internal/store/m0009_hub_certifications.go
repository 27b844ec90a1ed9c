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
		ID: "0009_hub_certifications_kit_files",
		Migrate: func(tx *gorm.DB) error {
			return tx.Exec(`
CREATE TABLE hub_certifications (
  code             TEXT NOT NULL PRIMARY KEY,
  seq              INTEGER NOT NULL,
  coach_name       TEXT NOT NULL,
  coach_email      TEXT NOT NULL DEFAULT '',
  status           TEXT NOT NULL CHECK (status IN ('current', 'expired', 'revoked')),
  issued_on        TEXT NOT NULL,
  expires_on       TEXT NOT NULL,
  revoked_reason   TEXT NOT NULL DEFAULT '',
  modules          TEXT NOT NULL DEFAULT '[]',
  received_at      DATETIME NOT NULL
);
CREATE INDEX ix_hub_certifications_email ON hub_certifications (coach_email);
CREATE TABLE kit_files (
  sha256           TEXT NOT NULL PRIMARY KEY,
  media_type       TEXT NOT NULL,
  size             INTEGER NOT NULL,
  data             BLOB NOT NULL,
  received_at      DATETIME NOT NULL
);
`).Error
		},
	}
}
