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
	type orgContact struct {
		ID        string    `gorm:"primaryKey;size:36"`
		OrgID     string    `gorm:"size:36;not null;index"`
		Name      string    `gorm:"size:200;not null"`
		Role      string    `gorm:"size:100;not null"`
		Email     string    `gorm:"size:200;not null"`
		Phone     string    `gorm:"size:40;not null"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type stageChange struct {
		ID        int64     `gorm:"primaryKey;autoIncrement"`
		OrgID     string    `gorm:"size:36;not null;index"`
		FromStage string    `gorm:"size:20;not null"`
		ToStage   string    `gorm:"size:20;not null"`
		OnDate    string    `gorm:"size:10;not null"`
		Reason    string    `gorm:"size:500;not null"`
		ByName    string    `gorm:"size:200;not null"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type taPlan struct {
		ID           string    `gorm:"primaryKey;size:36"`
		OrgID        string    `gorm:"size:36;not null;uniqueIndex"`
		OpenedOn     string    `gorm:"size:10;not null"`
		EndsOn       string    `gorm:"size:10;not null"`
		SpecialistID string    `gorm:"size:36;not null;index"`
		CreatedAt    time.Time `gorm:"not null"`
	}
	type taCheckIn struct {
		ID        string    `gorm:"primaryKey;size:36"`
		PlanID    string    `gorm:"size:36;not null;index"`
		OrgID     string    `gorm:"size:36;not null;index"`
		DueOn     string    `gorm:"size:10;not null;index"`
		DoneOn    string    `gorm:"size:10;not null"`
		Note      string    `gorm:"size:2000;not null"`
		CreatedAt time.Time `gorm:"not null"`
		UpdatedAt time.Time `gorm:"not null"`
	}
	type taContact struct {
		ID        string    `gorm:"primaryKey;size:36"`
		OrgID     string    `gorm:"size:36;not null;index"`
		OnDate    string    `gorm:"size:10;not null"`
		Mode      string    `gorm:"size:20;not null"`
		Minutes   int       `gorm:"not null"`
		Notes     string    `gorm:"type:text;not null"`
		ByUserID  string    `gorm:"size:36;not null"`
		ByName    string    `gorm:"size:200;not null"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type taRequest struct {
		ID         string    `gorm:"primaryKey;size:36"`
		SiteID     string    `gorm:"size:36;not null;index"`
		OrgID      string    `gorm:"size:36;not null;index"`
		Subject    string    `gorm:"size:800;not null"`
		Category   string    `gorm:"size:40;not null"`
		Body       string    `gorm:"type:text;not null"`
		Hash       string    `gorm:"size:64;not null"`
		RaisedAt   time.Time `gorm:"not null"`
		ReceivedAt time.Time `gorm:"not null"`
		Status     string    `gorm:"size:20;not null;index"`
		AssigneeID string    `gorm:"size:36;not null;index"`
		Answer     string    `gorm:"type:text;not null"`
		AnsweredBy string    `gorm:"size:200;not null"`
		AnsweredAt *time.Time
		ClosedAt   *time.Time
		Seq        int64     `gorm:"not null;index"`
		UpdatedAt  time.Time `gorm:"not null"`
	}
	type hubCounter struct {
		Name  string `gorm:"primaryKey;size:40"`
		Value int64  `gorm:"not null"`
	}
	type existingOrg struct {
		ID        string
		CreatedAt time.Time
	}
	tables := []struct {
		name  string
		model any
	}{
		{"org_contacts", &orgContact{}}, {"stage_changes", &stageChange{}}, {"ta_plans", &taPlan{}},
		{"ta_check_ins", &taCheckIn{}}, {"ta_contacts", &taContact{}}, {"ta_requests", &taRequest{}},
		{"hub_counters", &hubCounter{}},
	}
	return &gormigrate.Migration{
		ID: "0004_affiliates_ta",
		Migrate: func(tx *gorm.DB) error {
			for _, stmt := range []string{
				`ALTER TABLE organizations ADD COLUMN stage VARCHAR(20) NOT NULL DEFAULT 'inquiry'`,
				`ALTER TABLE organizations ADD COLUMN stage_on VARCHAR(10) NOT NULL DEFAULT ''`,
			} {
				if err := tx.Exec(stmt).Error; err != nil {
					return err
				}
			}
			for _, t := range tables {
				if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
					return err
				}
			}
			if err := tx.Table("hub_counters").Create(&hubCounter{Name: "ta_answers", Value: 0}).Error; err != nil {
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
				if err := tx.Table("stage_changes").Create(&stageChange{OrgID: o.ID, ToStage: "inquiry", OnDate: day, ByName: "migration", CreatedAt: time.Now().UTC()}).Error; err != nil {
					return err
				}
			}
			return nil
		},
		Rollback: func(tx *gorm.DB) error {
			for i := len(tables) - 1; i >= 0; i-- {
				if err := tx.Migrator().DropTable(tables[i].name); err != nil {
					return err
				}
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
