package dbx

import (
	"strings"

	"gorm.io/gorm"
)

// ExecRows runs one statement per chunk of rows: head, then the rows as
// "(?,?,...),(?,?,...)", then tail. A tuple other than "" replaces
// "(?,?,...)", to give values types where the database cannot infer them
// (such as "(?, CAST(? AS BIGINT))" in a VALUES list). It is how both programs write many rows
// in few round trips on either database. In a FROM clause the rows are a
// VALUES list whose columns are column1, column2, ... on both PostgreSQL
// and SQLite. Every row must have the same number of values.
func ExecRows(tx *gorm.DB, head, tuple, tail string, rows [][]any, chunk int) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	if chunk <= 0 {
		chunk = 30000 / cols // below both databases' parameter limits
	}
	if tuple == "" {
		tuple = "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	}
	for start := 0; start < len(rows); start += chunk {
		end := min(start+chunk, len(rows))
		var sb strings.Builder
		sb.Grow(len(head) + len(tail) + (end-start)*(len(tuple)+1))
		sb.WriteString(head)
		args := make([]any, 0, (end-start)*cols)
		for i, r := range rows[start:end] {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(tuple)
			args = append(args, r...)
		}
		sb.WriteString(tail)
		if err := tx.Exec(sb.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}
