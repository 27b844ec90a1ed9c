package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0004AffiliatesTA adds the affiliates' lifecycle (a stage on each
// organization and the history of its changes), their staff contacts, and
// first-year technical assistance: plans with check-ins, logged contacts and
// the TA requests sites raise, with a change sequence for the pull.
// Organizations that exist already start at "inquiry" on the day they were
// added.
func m0004AffiliatesTA() *gormigrate.Migration {
	type existingOrg struct {
		ID        string
		CreatedAt time.Time
	}
	return &gormigrate.Migration{
		ID: "0004_affiliates_ta",
		Migrate: func(tx *gorm.DB) error {
			if err := execSQL(tx, "0004_affiliates_ta"); err != nil {
				return err
			}
			if err := tx.Exec("INSERT INTO hub_counters (name, value) VALUES ('ta_answers', 0)").Error; err != nil {
				return err
			}
			var orgs []existingOrg
			if err := tx.Table("organizations").Select("id, created_at").Find(&orgs).Error; err != nil {
				return err
			}
			for _, o := range orgs {
				day := o.CreatedAt.UTC().Format(time.DateOnly)
				if err := tx.Table("organizations").Where("id = ?", o.ID).Update("stage_on", day).Error; err != nil {
					return err
				}
				if err := tx.Exec("INSERT INTO stage_changes (org_id, from_stage, to_stage, on_date, reason, by_name, created_at) VALUES (?, '', 'inquiry', ?, '', 'migration', ?)",
					o.ID, day, time.Now().UTC()).Error; err != nil {
					return err
				}
			}
			return nil
		},
		Rollback: func(tx *gorm.DB) error {
			if err := dropTables(tx, "hub_counters", "ta_requests", "ta_contacts", "ta_check_ins", "ta_plans", "stage_changes", "org_contacts"); err != nil {
				return err
			}
			for _, col := range []string{"stage_on", "stage"} {
				if err := tx.Exec(`ALTER TABLE organizations DROP COLUMN ` + col).Error; err != nil {
					return err
				}
			}
			return nil
		},
	}
}
