package store_test

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
)

// TestCompactAnswersMigration: migration 0011 moves the answers of the
// interviews and surveys projected before it into their rows, and the
// rollups computed from them are what they were; rolled back, the tables
// of one row per answer come back with the same answers.
func TestCompactAnswersMigration(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		site := enrolledSite(t, s, "Answers")
		now, key := time.Now(), uuid.NewString()
		survey, err := contract.NewRecord(deident.NewRecordID(now), contract.TypeSurveyResponse, 1, contract.SurveyResponse{Year: 2026, Timepoint: "closing", Release: "2026.1",
			Answers: map[string]string{"s01_meets_where_i_choose": contract.AnswerDefinitelyAgree, "s02_choose_activities": contract.AnswerSomewhatAgree}})
		if err != nil {
			t.Fatal(err)
		}
		recs := []contract.Record{
			interview(t, deident.NewRecordID(now), key, "eligibility", 1, map[string]bool{"pom20_have_friends": false, "pom21_respected": true}),
			interview(t, deident.NewRecordID(now), key, "closing", 1, map[string]bool{"pom20_have_friends": true, "pom21_respected": true}),
			survey,
		}
		if _, _, err := intake.New(s).Push(ctx, site.ID, 1, recs, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := intake.New(s).ProjectPending(ctx, 100); err != nil {
			t.Fatal(err)
		}
		rollups := func() string {
			var out []string
			for _, q := range []string{"SELECT timepoint, indicator_code, n, present FROM rollup_pom ORDER BY 1, 2", "SELECT statement_code, answer, n FROM rollup_survey ORDER BY 1",
				"SELECT span, indicator_code, kept, gained, lost, never FROM rollup_pom_paired ORDER BY 1, 2"} {
				out = append(out, storetest.Rows(t, s.DB, q)...)
			}
			return strings.Join(out, "\n")
		}
		before := rollups()
		if !strings.Contains(before, "pom20_have_friends") || !strings.Contains(before, "s02_choose_activities") {
			t.Fatalf("the rollups before the test's rollback:\n%s", before)
		}
		opts := *gormigrate.DefaultOptions
		opts.TableName, opts.UseTransaction = "schema_migrations", true
		m := gormigrate.New(s.DB, &opts, store.Migrations(slog.New(slog.DiscardHandler)))
		if err := m.RollbackTo("0010_pom_paired"); err != nil {
			t.Fatal(err)
		}
		var pom, surveys int64
		if err := s.DB.Raw("SELECT COUNT(*) FROM pom_answers WHERE present = true").Scan(&pom).Error; err != nil || pom != 3 {
			t.Fatalf("after the rollback: %d answers present (%v), want 3", pom, err)
		}
		if err := s.DB.Raw("SELECT COUNT(*) FROM outcome_survey_answers").Scan(&surveys).Error; err != nil || surveys != 2 {
			t.Fatalf("after the rollback: %d survey answers (%v), want 2", surveys, err)
		}
		if err := m.Migrate(); err != nil {
			t.Fatal(err)
		}
		if s.DB.Migrator().HasTable("pom_answers") || s.DB.Migrator().HasTable("outcome_survey_answers") {
			t.Fatal("the tables of one row per answer are left after the migration")
		}
		if err := outcomes.New(s).RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		if after := rollups(); !reflect.DeepEqual(after, before) {
			t.Fatalf("the rollups rebuilt after the migration:\n%s\nwant\n%s", after, before)
		}
	})
}
