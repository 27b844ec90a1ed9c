package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0011Unanswered lets an interview leave an indicator unanswered (not
// asked, declined): pom_interviews.unanswered holds them, as JSON. It also
// forgets the day the computed records were last refreshed, so that the
// first sync round after the upgrade sends every interview again with
// only the indicators its release names (an unnamed indicator, asked by
// earlier versions of the agent, no longer leaves the site).
func m0011Unanswered() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0011_interview_unanswered",
		Migrate: func(tx *gorm.DB) error {
			if err := tx.Exec("ALTER TABLE pom_interviews ADD COLUMN unanswered TEXT NOT NULL DEFAULT '{}'").Error; err != nil {
				return err
			}
			return tx.Exec("DELETE FROM agent_meta WHERE key = ?", MetaOutcomesRefreshed).Error
		},
	}
}
