package store_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"

	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// Accounts made before migration 0003 (one role column) keep their role,
// and a Program Director their organization.
func TestMigration0003CarriesRolesOver(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		log := slog.New(slog.DiscardHandler)
		db, err := dbx.Open(dsn, log)
		if err != nil {
			t.Fatal(err)
		}
		opts := *gormigrate.DefaultOptions
		opts.TableName, opts.UseTransaction = "schema_migrations", true
		if err := gormigrate.New(db, &opts, store.Migrations(slog.New(slog.DiscardHandler))).MigrateTo("0001_init"); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO organizations (id, name, type, state, created_at) VALUES (?, ?, ?, ?, ?)", []any{"00000000-0000-0000-0000-0000000000aa", "Old Org", "peer_run", "VA", now}},
			{"INSERT INTO users (id, email, name, role, org_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", []any{"00000000-0000-0000-0000-000000000001", "old-admin@example.org", "Old Admin", "admin", "", "x", now}},
			{"INSERT INTO users (id, email, name, role, org_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", []any{"00000000-0000-0000-0000-000000000002", "old-pd@example.org", "Old PD", "director", "00000000-0000-0000-0000-0000000000aa", "x", now}},
		} {
			if err := db.Exec(q.sql, q.args...).Error; err != nil {
				t.Fatal(err)
			}
		}
		_ = dbx.Close(db)
		s := open(t, dsn)
		ctx := context.Background()
		a, err := staff.New(s).FindUser(ctx, "old-admin@example.org")
		if err != nil || a.RoleNames() != "admin" {
			t.Fatalf("admin after migration: roles %q, %v", a.RoleNames(), err)
		}
		d, err := staff.New(s).FindUser(ctx, "old-pd@example.org")
		if err != nil || d.Role != store.RoleDirector || d.OrgID != "00000000-0000-0000-0000-0000000000aa" {
			t.Fatalf("director after migration: %+v, %v", d.Grants, err)
		}
		cols, err := s.DB.Migrator().ColumnTypes(&store.User{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			if c.Name() == "role" || c.Name() == "org_id" {
				t.Fatalf("users still has column %s", c.Name())
			}
		}
	})
}

// On PostgreSQL the lock is held by one session at a time and comes free
// when the holder releases it; on SQLite it always succeeds.
func TestTryLock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		a, b := open(t, dsn), open(t, dsn)
		ctx := context.Background()
		la, err := a.TryLock(ctx, 42)
		if err != nil || la == nil {
			t.Fatalf("first: %v %v", la, err)
		}
		lb, err := b.TryLock(ctx, 42)
		if err != nil {
			t.Fatal(err)
		}
		if a.Dialect() == "sqlite" {
			if lb == nil {
				t.Fatal("SQLite lock refused")
			}
			return
		}
		if lb != nil {
			t.Fatal("two sessions hold the same advisory lock")
		}
		if err := la.Check(ctx); err != nil {
			t.Fatal(err)
		}
		la.Release()
		lb, err = b.TryLock(ctx, 42)
		if err != nil || lb == nil {
			t.Fatalf("after release: %v %v", lb, err)
		}
		lb.Release()
	})
}
