// Package dbtest gives tests real databases: a fresh SQLite file, and a fresh
// schema in the PostgreSQL named by IML_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Without
// PostgreSQL a test skips, unless CI=true, where it fails.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgres is the server tests use unless IML_TEST_POSTGRES says otherwise.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL is the admin URL of the test server.
func PostgresURL() string {
	if u := os.Getenv("IML_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultPostgres
}

// RequirePostgres fails the test under CI=true and skips it otherwise when
// PostgreSQL does not answer.
func RequirePostgres(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, PostgresURL())
	if err == nil {
		_ = conn.Close(ctx)
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("PostgreSQL is required under CI=true and does not answer at %s: %v", PostgresURL(), err)
	}
	tb.Skipf("PostgreSQL not available (%v); set IML_TEST_POSTGRES or run under CI=true to require it", err)
}

// PostgresDSN creates a fresh schema and returns a DSN whose search_path
// points at it. The schema is dropped when the test ends.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	RequirePostgres(tb)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, PostgresURL())
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), PostgresURL())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(PostgresURL())
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLitePath returns a path for a fresh SQLite database.
func SQLitePath(tb testing.TB) string {
	return filepath.Join(tb.TempDir(), "test.db")
}

// Each runs f once on SQLite and once on PostgreSQL, as subtests.
func Each(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, SQLitePath(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, PostgresDSN(t)) })
}
