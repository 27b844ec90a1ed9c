package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0008RecordStoredAt gives every record the time its current version was
// stored, and indexes it among the records not yet projected, so the
// projector's lag (the age of the oldest record waiting for the national
// figures) is read from the index at once. Records stored before have none.
func m0008RecordStoredAt() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0008_record_stored_at",
		Migrate: func(tx *gorm.DB) error {
			typ := "TIMESTAMP"
			if tx.Dialector.Name() == "postgres" {
				typ = "TIMESTAMPTZ"
			}
			if err := tx.Exec("ALTER TABLE records ADD COLUMN stored_at " + typ).Error; err != nil {
				return err
			}
			return tx.Exec("CREATE INDEX idx_records_waiting ON records (stored_at) WHERE projected = false").Error
		},
		Rollback: func(tx *gorm.DB) error {
			if err := tx.Exec("DROP INDEX idx_records_waiting").Error; err != nil {
				return err
			}
			return dropColumn(tx, "records", "stored_at")
		},
	}
}
