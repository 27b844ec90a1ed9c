package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0010CalendarMonths forgets the day the computed outcome records were
// last refreshed, so that the first sync round after the upgrade
// recomputes every record of the site at once: program months upstream
// became calendar months (deident.CalendarMonth), and each record whose
// content changed with them leaves as a new version, all in that round
// rather than one participant at a time as changes at the site touch them.
func m0010CalendarMonths() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0010_upstream_calendar_months",
		Migrate: func(tx *gorm.DB) error {
			return tx.Exec("DELETE FROM agent_meta WHERE key = ?", MetaOutcomesRefreshed).Error
		},
	}
}
