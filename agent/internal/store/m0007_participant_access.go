package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0007ParticipantAccess lets a participant fill in their own guided
// journal: the personal access a coach issues (a sign-in name, a one-time
// start code and the participant's own PIN, both stored as bcrypt hashes,
// with a lock-out after repeated failures), the participant's sessions
// (only the token's hash), and on each journal entry whether staff or the
// participant entered it. All of it stays at the site. It also indexes
// the month of expenses and plan lines and the week of journal entries,
// which the stipend month report reads for every participant at once.
func m0007ParticipantAccess() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0007_participant_access",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0007_participant_access") },
	}
}
