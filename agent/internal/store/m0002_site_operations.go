package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0002SiteOperations adds the intake checklist and consents, coaches,
// cohorts with their members, and the audit log.
func m0002SiteOperations() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID:      "0002_site_operations",
		Migrate: func(tx *gorm.DB) error { return execSQL(tx, "0002_site_operations") },
	}
}
