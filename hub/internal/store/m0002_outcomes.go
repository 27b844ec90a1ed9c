package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0002Outcomes adds the projections of every outcome record type and the
// rollups the reports read. The rollup tables hold counts per site (and,
// for the largest ones, a copy summed over all sites), kept current by the
// projector.
func m0002Outcomes() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0002_outcomes",
		Migrate: func(tx *gorm.DB) error {
			// pom_interviews.model is the POM interview's own model (""
			// when the agent sent none; the report then takes the
			// participant record's).
			if err := execSQL(tx, "0002_outcomes"); err != nil {
				return err
			}
			// The version of the reporting data, changed by every
			// projection: cached suppression decisions name it.
			if err := tx.Exec("INSERT INTO hub_meta (key, value) VALUES ('rollup_version', '0')").Error; err != nil {
				return err
			}
			// Records stored before this migration are projected again, so
			// their outcomes reach the new tables and rollups.
			return tx.Exec("UPDATE records SET projected = false").Error
		},
		Rollback: func(tx *gorm.DB) error {
			if err := tx.Exec("DELETE FROM hub_meta WHERE key = 'rollup_version'").Error; err != nil {
				return err
			}
			if err := dropTables(tx, "rollup_cohorts", "rollup_people", "rollup_survey_all", "rollup_survey", "rollup_pom_all", "rollup_pom",
				"outcome_cohort_months", "outcome_participation", "outcome_hospitalizations", "outcome_survey_answers", "outcome_surveys", "outcome_participants"); err != nil {
				return err
			}
			return tx.Exec("ALTER TABLE pom_interviews DROP COLUMN model").Error
		},
	}
}
