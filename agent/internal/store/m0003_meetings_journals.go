package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0003MeetingsJournals adds cohort meetings (theme, lesson plan,
// attendance, skills practised, notes) and the weekly guided journal. Both
// are local: notes and journal answers are free text and never leave the
// site.
func m0003MeetingsJournals() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0003_meetings_journals",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0003_meetings_journals") },
	}
}
