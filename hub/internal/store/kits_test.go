package store_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/go-gormigrate/gormigrate/v2"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/training"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// TestKitsMigrationRollsBack: 0005 undoes itself and applies again, keeping
// the releases published before it.
func TestKitsMigrationRollsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		opts := *gormigrate.DefaultOptions
		opts.TableName = "schema_migrations"
		opts.UseTransaction = true
		m := gormigrate.New(s.DB, &opts, store.Migrations(slog.New(slog.DiscardHandler)))
		if err := m.RollbackTo("0001_init"); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"release_drafts", "kit_files", "certifications", "trainees", "hub_counters"} {
			if s.DB.Migrator().HasTable(table) {
				t.Fatalf("%s left after rollback", table)
			}
		}
		if s.DB.Migrator().HasColumn("releases", "retired_at") {
			t.Fatal("releases.retired_at left after rollback")
		}
		if err := m.Migrate(); err != nil {
			t.Fatal(err)
		}
		if l, err := s.LatestRelease(context.Background()); err != nil || l.Version != "2026.1" {
			t.Fatalf("after migrating again: %q %v", l.Version, err)
		}
		// The counter row is back, so certification works.
		ctx := context.Background()
		org, _ := affiliates.New(s).AddOrganization(ctx, "Roll org", "peer_run", "VA")
		tr, _ := training.New(s).AddTrainee(ctx, org.ID, "R", "r@example.org", training.TraineeCoach)
		for _, mod := range training.Modules {
			_ = training.New(s).CompleteModule(ctx, tr.ID, mod, "", "t")
		}
		if _, err := training.New(s).Certify(ctx, tr.ID, training.DefaultCertPolicy); err != nil {
			t.Fatal(err)
		}
	})
}
