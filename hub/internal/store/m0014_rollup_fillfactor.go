package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// rollupTables are the tables the projector moves by each batch's
// difference (an upsert that adds to their sums).
var rollupTables = []string{
	"rollup_pom", "rollup_pom_all", "rollup_survey", "rollup_survey_all", "rollup_people", "rollup_pom_paired",
	"rollup_hosp", "rollup_services", "rollup_months", "rollup_cohorts",
}

// m0014RollupFillfactor leaves, on PostgreSQL, a third of each page of
// the rollups free: the projector updates their rows pass after pass,
// never a key column, and an update that finds room on its row's page is
// a heap-only tuple (no new index entry, and pruned with the page). Full
// pages (the default) make every update a new entry in the primary key
// too. Pages written before keep what they hold until they are rewritten.
// SQLite has no such setting.
func m0014RollupFillfactor() *gormigrate.Migration {
	alter := func(tx *gorm.DB, factor string) error {
		if tx.Dialector.Name() != "postgres" {
			return nil
		}
		for _, t := range rollupTables {
			if err := tx.Exec("ALTER TABLE " + t + " SET (fillfactor = " + factor + ")").Error; err != nil {
				return err
			}
		}
		return nil
	}
	return &gormigrate.Migration{
		ID:       "0014_rollup_fillfactor",
		Migrate:  func(tx *gorm.DB) error { return alter(tx, "70") },
		Rollback: func(tx *gorm.DB) error { return alter(tx, "100") },
	}
}
