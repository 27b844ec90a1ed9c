package store

import (
	"log/slog"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0006CleanRecords removes from the hub what earlier, looser checks let in:
// payloads with a key sent twice, out of canonical form, or naming codes no
// published release defines (CleanRecords); a release header naming no
// published release (CleanSiteReleases); audit targets that were not ids
// (CleanAuditTargets).
func m0006CleanRecords(log *slog.Logger) *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0006_clean_records",
		Migrate: func(tx *gorm.DB) error {
			n, err := CleanRecords(tx, log)
			if err != nil {
				return err
			}
			sites, err := CleanSiteReleases(tx)
			if err != nil {
				return err
			}
			entries, err := CleanAuditTargets(tx)
			if err != nil {
				return err
			}
			if n+int(sites)+int(entries) > 0 {
				log.Warn("text held under looser rules was removed at upgrade", "records", n, "site_releases", sites, "audit_entries", entries)
			}
			return nil
		},
		Rollback: func(*gorm.DB) error { return nil },
	}
}
