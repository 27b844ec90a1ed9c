package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// m0006Outcomes adds what the program measures besides the POM interview:
//
//   - surveys: anonymous satisfaction surveys. No participant, cohort or
//     staff id, no time finer than the year, a random id and no rowid
//     (WITHOUT ROWID), so that neither a column nor the order rows were
//     written in ties a survey to anyone. released says whether the survey
//     has been handed to the outbox (see ReleaseSurveys).
//   - survey_passes: what lets a participant fill in a survey on the
//     survey page: a single-use code (deleted when used) or a survey-mode
//     device pass. Only hashes are kept, and nothing names a participant.
//   - hospitalization_baselines, hospital_stays, service_changes: a
//     consenting participant's hospitalizations (the count in the two years
//     before enrollment, each stay during the program) and changes in the
//     other services they receive. Dates stay here; upstream only program
//     months travel.
//   - upstream_ids: the record ids of the de-identified records computed
//     per participant or cohort (hospitalization, participation per program
//     month, cohort month), so corrections replace the same record and a
//     withdrawal can delete them.
//   - cohorts.surrogate_key: the random key a cohort has upstream, never
//     its name; existing cohorts get one here.
func m0006Outcomes() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0006_outcomes",
		Migrate: func(tx *gorm.DB) error {
			if err := execSQL(tx, "0006_outcomes"); err != nil {
				return err
			}
			var ids []string
			if err := tx.Raw("SELECT id FROM cohorts").Scan(&ids).Error; err != nil {
				return err
			}
			for _, id := range ids {
				if err := tx.Exec("UPDATE cohorts SET surrogate_key = ? WHERE id = ?", uuid.NewString(), id).Error; err != nil {
					return err
				}
			}
			return tx.Exec("CREATE UNIQUE INDEX ux_cohorts_surrogate_key ON cohorts (surrogate_key)").Error
		},
	}
}
