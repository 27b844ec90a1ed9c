package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0005KitsTraining adds the training kit lifecycle (drafts, retirement,
// content-addressed files) and training and certification.
func m0005KitsTraining() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0005_kits_training",
		Migrate: func(tx *gorm.DB) error {
			if err := execSQL(tx, "0005_kits_training"); err != nil {
				return err
			}
			// hub_counters belongs to 0004; this one only adds its row.
			return tx.Exec("INSERT INTO hub_counters (name, value) VALUES ('certifications', 0)").Error
		},
		Rollback: func(tx *gorm.DB) error {
			if err := tx.Exec("DELETE FROM hub_counters WHERE name = 'certifications'").Error; err != nil {
				return err
			}
			if err := dropTables(tx, "director_sessions", "certifications", "module_completions", "training_registrations",
				"training_events", "trainees", "release_files", "kit_files", "release_drafts"); err != nil {
				return err
			}
			for _, col := range []string{"published_by", "retired_at", "retired_reason"} {
				if err := dropColumn(tx, "releases", col); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
