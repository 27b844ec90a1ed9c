package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0003MeetingsJournals is reserved; its tables are being written.
func m0003MeetingsJournals() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0003_meetings_journals",
		Migrate: func(tx *gorm.DB) error { return nil },
	}
}
