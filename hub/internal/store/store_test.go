package store_test

import (
	"context"
	"testing"

	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

func TestMigrationsReplayAndReopen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		g1, err := s.Generation(context.Background())
		if err != nil || g1 == "" {
			t.Fatalf("generation %q, %v", g1, err)
		}
		s.Close()
		s2 := open(t, dsn)
		g2, _ := s2.Generation(context.Background())
		if g1 != g2 {
			t.Fatalf("generation changed on reopen: %s then %s", g1, g2)
		}
		rel, err := s2.LatestRelease(context.Background())
		if err != nil || rel.Version != "2026.1" {
			t.Fatalf("default release = %q, %v", rel.Version, err)
		}
	})
}
