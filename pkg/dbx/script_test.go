package dbx_test

import (
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/itsmylife/iml/pkg/dbx"
)

func TestStatements(t *testing.T) {
	script := "-- a comment;\nCREATE TABLE a (\n  id TEXT NOT NULL DEFAULT 'x;y'\n);\r\n\nCREATE INDEX ix ON a (id);  \nDROP TABLE b"
	want := []string{"CREATE TABLE a (\n  id TEXT NOT NULL DEFAULT 'x;y'\n)", "CREATE INDEX ix ON a (id)", "DROP TABLE b"}
	if got := dbx.Statements(script); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestExecScript(t *testing.T) {
	db, err := dbx.Open(filepath.Join(t.TempDir(), "a.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer dbx.Close(db)
	fsys := fstest.MapFS{
		"ok.sql":  {Data: []byte("CREATE TABLE a (id TEXT);\nCREATE INDEX ix_a ON a (id);\n")},
		"bad.sql": {Data: []byte("CREATE TABLE b (id TEXT);\nCREATE TABLE b (id TEXT);\n")},
	}
	if err := dbx.ExecScript(db, fsys, "ok.sql"); err != nil {
		t.Fatal(err)
	}
	if !db.Migrator().HasIndex("a", "ix_a") {
		t.Fatal("the script's index is missing")
	}
	if err := dbx.ExecScript(db, fsys, "bad.sql"); err == nil {
		t.Fatal("a failing statement was not reported")
	}
	if err := dbx.ExecScript(db, fsys, "missing.sql"); err == nil {
		t.Fatal("a missing file was not reported")
	}
}
