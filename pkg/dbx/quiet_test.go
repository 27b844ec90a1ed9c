package dbx_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// TestConstraintRefusalsAreNotWarnings: a statement a constraint refuses
// (a client's mistake, such as an e-mail already in use) writes no warning
// and no SQL to the log, on SQLite and PostgreSQL; a statement that fails
// otherwise still does.
func TestConstraintRefusalsAreNotWarnings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		var buf bytes.Buffer
		db, err := dbx.Open(dsn, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
		if err != nil {
			t.Fatal(err)
		}
		defer dbx.Close(db)
		if err := db.Exec("CREATE TABLE quiet_accounts (email TEXT PRIMARY KEY, n INTEGER CHECK (n > 0))").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("INSERT INTO quiet_accounts (email, n) VALUES (?, 1)", "a@example.org").Error; err != nil {
			t.Fatal(err)
		}
		err = db.Exec("INSERT INTO quiet_accounts (email, n) VALUES (?, 1)", "a@example.org").Error
		if !dbx.IsConstraint(err) {
			t.Fatalf("a duplicate key: %v", err)
		}
		if buf.Len() != 0 {
			t.Fatalf("a duplicate key was logged: %s", buf.String())
		}
		if err := db.Exec("SELECT * FROM no_such_table_here").Error; err == nil || dbx.IsConstraint(err) {
			t.Fatalf("a missing table: %v", err)
		}
		if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "no_such_table_here") {
			t.Fatalf("a failed statement was not logged: %q", buf.String())
		}
	})
}
