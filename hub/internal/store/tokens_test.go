package store_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/secret"
)

// TestTokenEpochMigration: migration 0007 keeps only the newest unused
// token of each site, and that one still enrolls.
func TestTokenEpochMigration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		site := enrolledSite(t, s, "Before epochs")
		opts := *gormigrate.DefaultOptions
		opts.TableName, opts.UseTransaction = "schema_migrations", true
		m := gormigrate.New(s.DB, &opts, store.Migrations(slog.New(slog.DiscardHandler)))
		if err := m.RollbackTo("0005_kits_training"); err != nil {
			t.Fatal(err)
		}
		if s.DB.Migrator().HasColumn("sites", "token_epoch") || s.DB.Migrator().HasColumn("enrollment_tokens", "epoch") {
			t.Fatal("the epoch columns are left after the rollback")
		}
		now := time.Now().UTC()
		toks := map[string]time.Time{"imlenr_old": now.Add(-2 * time.Hour), "imlenr_older": now.Add(-3 * time.Hour), "imlenr_newest": now.Add(-time.Hour)}
		for tok, at := range toks {
			if err := s.DB.Exec("INSERT INTO enrollment_tokens (hash, site_id, expires_at, created_at) VALUES (?, ?, ?, ?)",
				secret.Hash(tok), site.ID, now.Add(time.Hour), at).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Migrate(); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{"imlenr_old", "imlenr_older"} {
			if _, _, _, err := intake.New(s).Enroll(ctx, tok, ""); !errors.Is(err, store.ErrTokenInvalid) {
				t.Fatalf("%s after the migration: %v", tok, err)
			}
		}
		if _, _, _, err := intake.New(s).Enroll(ctx, "imlenr_newest", ""); err != nil {
			t.Fatalf("the newest token after the migration: %v", err)
		}
	})
}
