package store_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// TestMigrationStartsExistingOrganizationsAtInquiry: organizations made
// before migration 0004 start at the inquiry stage on the day they were
// added, with that first step in their history.
func TestMigrationStartsExistingOrganizationsAtInquiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		db, err := dbx.Open(dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if err := dbx.Migrate(db, store.Migrations(slog.New(slog.DiscardHandler))[:1]); err != nil {
			t.Fatal(err)
		}
		added := time.Date(2025, 9, 14, 22, 30, 0, 0, time.UTC)
		if err := db.Exec("INSERT INTO organizations (id, name, type, state, created_at) VALUES (?, ?, ?, ?, ?)",
			"0190a4b2-0000-7000-8000-000000000001", "Older org", "church", "GA", added).Error; err != nil {
			t.Fatal(err)
		}
		dbx.Close(db)
		s := open(t, dsn)
		st, on, n := stageOf(t, s, "0190a4b2-0000-7000-8000-000000000001")
		if st != affiliates.StageInquiry || on != "2025-09-14" || n != 1 {
			t.Fatalf("an older organization is at %q since %q with %d history rows", st, on, n)
		}
		if _, err := affiliates.New(s).ChangeStage(context.Background(), "0190a4b2-0000-7000-8000-000000000001", affiliates.StageInput{To: affiliates.StageAgreement, On: "2025-10-01"}, "Ana"); err != nil {
			t.Fatalf("an older organization cannot move on: %v", err)
		}
	})
}
