package dbtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/dbx"
)

// Schema writes out the schema of the database db opens, one line per
// table, column, index and constraint, in a fixed order, without the
// name of the PostgreSQL schema a test runs in: two databases migrated
// alike give the same text.
func Schema(db *gorm.DB) (string, error) {
	var lines []string
	if dbx.Dialect(db) == dbx.SQLite {
		var rows []struct{ Type, Name, SQL string }
		if err := db.Raw(`SELECT type, name, COALESCE(sql, '') AS sql FROM sqlite_master
WHERE name NOT LIKE 'sqlite_%' ORDER BY type DESC, name`).Scan(&rows).Error; err != nil {
			return "", err
		}
		for _, r := range rows {
			lines = append(lines, fmt.Sprintf("%s %s: %s", r.Type, r.Name, strings.Join(strings.Fields(r.SQL), " ")))
		}
		return strings.Join(lines, "\n") + "\n", nil
	}
	var cols []struct {
		Table, Column, Type, Nullable, Default string
		Length                                 *int
	}
	if err := db.Raw(`SELECT table_name AS "table", column_name AS "column", data_type AS type, is_nullable AS nullable,
COALESCE(column_default, '') AS "default", character_maximum_length AS length
FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, column_name`).Scan(&cols).Error; err != nil {
		return "", err
	}
	for _, c := range cols {
		n := ""
		if c.Length != nil {
			n = fmt.Sprintf("(%d)", *c.Length)
		}
		lines = append(lines, fmt.Sprintf("column %s.%s: %s%s nullable=%s default=%q", c.Table, c.Column, c.Type, n, c.Nullable, c.Default))
	}
	var idx []struct{ Name, Def string }
	if err := db.Raw(`SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`).Scan(&idx).Error; err != nil {
		return "", err
	}
	var cons []struct{ Table, Name, Def string }
	if err := db.Raw(`SELECT c.conrelid::regclass::text AS "table", c.conname AS name, pg_get_constraintdef(c.oid) AS def
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() ORDER BY 1, 2`).Scan(&cons).Error; err != nil {
		return "", err
	}
	var schema string
	if err := db.Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
		return "", err
	}
	for _, i := range idx {
		lines = append(lines, fmt.Sprintf("index %s: %s", i.Name, strings.ReplaceAll(i.Def, schema+".", "")))
	}
	for _, c := range cons {
		lines = append(lines, fmt.Sprintf("constraint %s.%s: %s", strings.TrimPrefix(c.Table, schema+"."), c.Name, c.Def))
	}
	var opts []struct{ Name, Options string }
	if err := db.Raw(`SELECT c.relname AS name, array_to_string(c.reloptions, ',') AS options FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.reloptions IS NOT NULL ORDER BY 1`).Scan(&opts).Error; err != nil {
		return "", err
	}
	for _, o := range opts {
		lines = append(lines, fmt.Sprintf("options %s: %s", o.Name, o.Options))
	}
	return strings.Join(lines, "\n") + "\n", nil
}

// Golden compares got with the file at path (under the test's testdata),
// or writes it there when IML_UPDATE_GOLDEN=1. A difference fails the
// test with the first line that differs.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if os.Getenv("IML_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil { //nolint:gosec // a test's golden file
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (IML_UPDATE_GOLDEN=1 writes it)", err)
	}
	if string(want) == got {
		return
	}
	w, g := strings.Split(string(want), "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			t.Fatalf("%s differs at line %d:\nwant %s\ngot  %s\n(IML_UPDATE_GOLDEN=1 rewrites it when the change is meant)", path, i+1, a, b)
		}
	}
}
