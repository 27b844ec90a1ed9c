package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// m0010POMPaired adds the rollup of the POM table's paired changes: by
// site, enrollment year, model, span (first to mid-point "mf", first to
// closing "cf") and indicator, how many of the participants who answered
// the indicator at both interviews had the outcome at both (kept), gained
// it, lost it, or had it at neither (never); BOTH is a reserved word. It is filled from the projected
// interviews here, and kept by the projector from then on.
func m0010POMPaired() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0010_pom_paired",
		Migrate: func(tx *gorm.DB) error {
			if err := execSQL(tx, "0010_pom_paired"); err != nil {
				return err
			}
			// The interviews as the projector read them then: a
			// participant's last interview at each timepoint (by program
			// month, then id), of its own model or its participant's.
			if err := tx.Exec(`INSERT INTO rollup_pom_paired (site_id, year, model, span, indicator_code, kept, gained, lost, never)
WITH pm AS (SELECT site_id, participant_key, MAX(model) AS model FROM outcome_participants GROUP BY site_id, participant_key),
iv AS (SELECT i.record_id, i.site_id, i.participant_key, i.timepoint, i.enrollment_year, COALESCE(NULLIF(i.model, ''), pm.model, '') AS model,
 ROW_NUMBER() OVER (PARTITION BY i.site_id, i.participant_key, i.timepoint ORDER BY i.program_month DESC, i.record_id DESC) AS rn
 FROM pom_interviews i LEFT JOIN pm ON pm.site_id = i.site_id AND pm.participant_key = i.participant_key)
SELECT f.site_id, f.enrollment_year, f.model, sp.span, fa.indicator_code,
 SUM(CASE WHEN fa.present AND la.present THEN 1 ELSE 0 END), SUM(CASE WHEN NOT fa.present AND la.present THEN 1 ELSE 0 END),
 SUM(CASE WHEN fa.present AND NOT la.present THEN 1 ELSE 0 END), SUM(CASE WHEN NOT fa.present AND NOT la.present THEN 1 ELSE 0 END)
FROM iv f
JOIN (SELECT 'mf' AS span, 'midpoint' AS tp UNION ALL SELECT 'cf', 'closing') sp ON 1 = 1
JOIN iv l ON l.site_id = f.site_id AND l.participant_key = f.participant_key AND l.timepoint = sp.tp AND l.rn = 1
JOIN pom_answers fa ON fa.record_id = f.record_id
JOIN pom_answers la ON la.record_id = l.record_id AND la.indicator_code = fa.indicator_code
WHERE f.timepoint = 'eligibility' AND f.rn = 1
GROUP BY f.site_id, f.enrollment_year, f.model, sp.span, fa.indicator_code`).Error; err != nil {
				return err
			}
			return tx.Exec("UPDATE hub_meta SET value = ? WHERE key = 'rollup_version'", uuid.NewString()).Error
		},
		Rollback: func(tx *gorm.DB) error { return tx.Migrator().DropTable("rollup_pom_paired") },
	}
}
