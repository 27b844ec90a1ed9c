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
	type outcomeServiceChange struct {
		RecordID       string `gorm:"size:36;not null;index"`
		SiteID         string `gorm:"size:36;not null"`
		ParticipantKey string `gorm:"size:36;not null"`
		Service        string `gorm:"size:40;not null"`
		Kind           string `gorm:"size:20;not null"`
	}
	type rollupHosp struct {
		SiteID       string `gorm:"primaryKey;size:36"`
		Year         int    `gorm:"primaryKey"`
		Model        string `gorm:"primaryKey;size:30"`
		Hospitalized int64  `gorm:"not null"`
	}
	type rollupService struct {
		SiteID       string `gorm:"primaryKey;size:36"`
		Year         int    `gorm:"primaryKey"`
		Model        string `gorm:"primaryKey;size:30"`
		Service      string `gorm:"primaryKey;size:40"`
		Kind         string `gorm:"primaryKey;size:20"`
		Participants int64  `gorm:"not null"`
	}
	return &gormigrate.Migration{
		ID: "0012_hospital_counts",
		Migrate: func(tx *gorm.DB) error {
			for name, model := range map[string]any{"outcome_service_changes": &outcomeServiceChange{}, "rollup_hosp": &rollupHosp{}, "rollup_services": &rollupService{}} {
				if err := tx.Table(name).Migrator().CreateTable(model); err != nil {
					return err
				}
			}
			if err := tx.Exec("CREATE INDEX idx_outcome_service_changes_key ON outcome_service_changes (site_id, participant_key)").Error; err != nil {
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
