package store

import (
	"log/slog"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0006CleanRecords removes from the hub what earlier, looser checks let in
// (see CleanRecords): payloads with a key sent twice, out of canonical form,
// or naming codes no published release defines.
func m0006CleanRecords(log *slog.Logger) *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0006_clean_records",
		Migrate: func(tx *gorm.DB) error {
			n, err := CleanRecords(tx, log)
			if n > 0 {
				log.Warn("records held under looser rules were removed at upgrade", "records", n)
			}
			return err
		},
		Rollback: func(*gorm.DB) error { return nil },
	}
}
