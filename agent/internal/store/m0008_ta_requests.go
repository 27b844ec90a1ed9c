package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0008TARequests adds the site's technical assistance requests to the
// national office: queued here until the sync worker delivers them
// (sent_at), with the hub's answer as the pull brought it (answer_seq is
// its place in the hub's TA answer stream).
func m0008TARequests() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0008_ta_requests",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0008_ta_requests") },
	}
}
