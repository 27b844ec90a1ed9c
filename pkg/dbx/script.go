package dbx

import (
	"fmt"
	"io/fs"
	"strings"

	"gorm.io/gorm"
)

// ExecScript runs the statements of the SQL file name in fsys in order,
// stopping at the first that fails. Migrations keep the DDL they run in
// such files.
func ExecScript(tx *gorm.DB, fsys fs.FS, name string) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	for _, q := range Statements(string(b)) {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// Statements splits a SQL script into its statements: each ends with a
// semicolon at the end of a line (so a script must not hold a string
// literal with one there), and lines that begin with "--" are comments,
// left out. The statements come without their semicolons.
func Statements(script string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if q := strings.TrimSpace(cur.String()); q != "" {
			out = append(out, q)
		}
		cur.Reset()
	}
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		line = strings.TrimRight(line, " \t\r")
		if q, ok := strings.CutSuffix(line, ";"); ok {
			cur.WriteString(q)
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return out
}
