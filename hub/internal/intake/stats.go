package intake

import (
	"context"
	"strings"

	"github.com/itsmylife/iml/pkg/dbx"
)

// statsTables are the tables the projector reads and writes by index
// (the records it takes in mark order, the projected rows, the rollups
// they move), whose planner statistics must follow them as they grow.
// Without the records' (after a restore, or a burst of pushes the
// projector has to catch up on), the planner takes the records after the
// watermark for a few and reads and sorts all of them, every pass, to keep
// the first 2,000, rather than read those in order by idx_records_mark.
var statsTables = []string{
	"records", "pom_interviews", "outcome_participants", "outcome_surveys", "outcome_hospitalizations", "outcome_participation", "outcome_cohort_months",
	"rollup_pom", "rollup_pom_all", "rollup_survey", "rollup_survey_all", "rollup_people", "rollup_pom_paired", "rollup_cohorts",
}

// refreshStats analyzes, on PostgreSQL, the tables of statsTables that have
// more than doubled (and hold more than 10,000 rows) since they were last
// analyzed. While the projector catches up from empty tables, autovacuum
// comes too late (once a minute at most): the planner then takes tables of
// millions of rows for the few it last saw, and reads a batch's
// participants by scanning them whole rather than by index. Doubling keeps
// the cost to a few ANALYZE of each table over a catch-up.
func (s *Store) refreshStats(ctx context.Context) error {
	if s.Dialect() != dbx.Postgres {
		return nil
	}
	db := s.DB.WithContext(ctx)
	var stale []string
	err := db.Raw(`SELECT t.relname FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
WHERE t.schemaname = current_schema() AND t.relname IN ? AND t.n_live_tup > GREATEST(10000, 2 * c.reltuples)`, statsTables).Scan(&stale).Error
	if err != nil || len(stale) == 0 {
		return err
	}
	// Of the records and the projected rows, only the columns the
	// projector finds rows by (autovacuum sees to the rest later): the
	// others are most of the work, the records' payloads above all.
	for i, t := range stale {
		switch t {
		case "records":
			stale[i] = "records (xact, id, site_id)"
		case "pom_interviews", "outcome_participants", "outcome_hospitalizations", "outcome_participation":
			stale[i] = t + " (record_id, site_id, participant_key)"
		case "outcome_surveys", "outcome_cohort_months":
			stale[i] = t + " (record_id)"
		}
	}
	return db.Exec("ANALYZE " + strings.Join(stale, ", ")).Error
}
