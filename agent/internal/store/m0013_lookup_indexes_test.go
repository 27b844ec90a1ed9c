package store

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/dbx"
)

// TestMigration0013IndexesLookups: an agent upgraded from 0012 gets the
// indexes, and a participant's outings (their own and a partner's joint
// ones) and pairs are read through them, not by scanning the tables.
func TestMigration0013IndexesLookups(t *testing.T) {
	st := upgradedFrom(t, 12, func(db *gorm.DB) {
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('ix_outings_partner', 'ix_pair_members_participant')").Scan(&n).Error; err != nil || n != 0 {
			t.Fatalf("before 0013: %d of the indexes, %v", n, err)
		}
	})
	plans := map[string]string{
		"SELECT outing_on, stage FROM outings WHERE participant_id = 'p' OR (partner_id = 'p' AND stage IN (2, 3))": "ix_outings_partner",
		"SELECT partner_id, outing_on, stage FROM outings WHERE partner_id IN ('p', 'q') AND stage IN (2, 3)":       "ix_outings_partner",
		"SELECT pair_id FROM pair_members WHERE participant_id = 'p'":                                               "ix_pair_members_participant",
	}
	for q, index := range plans {
		var rows []struct {
			ID, Parent, Notused int
			Detail              string
		}
		if err := st.DB.Raw("EXPLAIN QUERY PLAN " + q).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		var plan string
		for _, r := range rows {
			plan += r.Detail + "\n"
		}
		if !strings.Contains(plan, index) || strings.Contains(plan, "SCAN ") {
			t.Errorf("%s\nplan:\n%s(want a search with %s, no scan)", q, plan, index)
		}
	}
}

// upgradedFrom makes a database with the first n migrations, lets before
// put what it wants in it, and opens it with the store, which runs the
// others. The store is closed when the test ends.
func upgradedFrom(t *testing.T, n int, before func(db *gorm.DB)) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.db")
	db, err := dbx.Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := dbx.Migrate(db, Migrations()[:n]); err != nil {
		t.Fatal(err)
	}
	before(db)
	if err := dbx.Close(db); err != nil {
		t.Fatal(err)
	}
	st, err := Open(context.Background(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
