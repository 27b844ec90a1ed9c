package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// m0013ParticipationMonths adds the rollup of participation by program
// month (rollup_months): the participants with a record of that month,
// meetings held and attended, journals due and completed, and the stipend
// spent, by site, enrollment year and model. It is filled here from the
// projected rows and kept by the projector from then on.
func m0013ParticipationMonths() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0013_participation_months",
		Migrate: func(tx *gorm.DB) error {
			if err := execSQL(tx, "0013_participation_months"); err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO rollup_months (site_id, year, model, program_month, participants, meetings_held, meetings_attended, journals_due, journals_completed, stipend_cents)
SELECT x.site_id, x.enrollment_year, COALESCE(NULLIF(x.model, ''), pm.model, ''), x.program_month, COUNT(DISTINCT x.participant_key),
 SUM(x.meetings_held), SUM(x.meetings_attended), SUM(x.journals_due), SUM(x.journals_completed), SUM(x.stipend_spent_cents)
FROM outcome_participation x LEFT JOIN (SELECT site_id, participant_key, MAX(model) AS model FROM outcome_participants GROUP BY site_id, participant_key) pm
 ON pm.site_id = x.site_id AND pm.participant_key = x.participant_key
GROUP BY x.site_id, x.enrollment_year, COALESCE(NULLIF(x.model, ''), pm.model, ''), x.program_month`).Error; err != nil {
				return err
			}
			return tx.Exec("UPDATE hub_meta SET value = ? WHERE key = 'rollup_version'", uuid.NewString()).Error
		},
		Rollback: func(tx *gorm.DB) error { return tx.Migrator().DropTable("rollup_months") },
	}
}
