package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// m0012HospitalCounts adds what the hospitalizations table of the report
// counts besides rates: the participants hospitalized during the program
// (rollup_hosp), and the changes in other services by service and kind
// (outcome_service_changes, projected from each hospitalization record,
// and rollup_services: the participants with each change). rollup_hosp is
// filled here from the projected rows; the hospitalization records are
// marked for the projector again, which projects their service changes
// and moves rollup_services by them.
func m0012HospitalCounts() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0012_hospital_counts",
		Migrate: func(tx *gorm.DB) error {
			if err := execSQL(tx, "0012_hospital_counts"); err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO rollup_hosp (site_id, year, model, hospitalized)
SELECT h.site_id, h.enrollment_year, COALESCE(NULLIF(h.model, ''), pm.model, ''), SUM(CASE WHEN h.during_count > 0 THEN 1 ELSE 0 END)
FROM outcome_hospitalizations h LEFT JOIN (SELECT site_id, participant_key, MAX(model) AS model FROM outcome_participants GROUP BY site_id, participant_key) pm
 ON pm.site_id = h.site_id AND pm.participant_key = h.participant_key
GROUP BY h.site_id, h.enrollment_year, COALESCE(NULLIF(h.model, ''), pm.model, '')
HAVING SUM(CASE WHEN h.during_count > 0 THEN 1 ELSE 0 END) > 0`).Error; err != nil {
				return err
			}
			mark, args, err := IngestMark(tx)
			if err != nil {
				return err
			}
			if err := tx.Exec("UPDATE records SET xact = "+mark+" WHERE type = 'hospitalization'", args...).Error; err != nil {
				return err
			}
			return tx.Exec("UPDATE hub_meta SET value = ? WHERE key = 'rollup_version'", uuid.NewString()).Error
		},
		Rollback: func(tx *gorm.DB) error {
			return tx.Migrator().DropTable("rollup_services", "rollup_hosp", "outcome_service_changes")
		},
	}
}
