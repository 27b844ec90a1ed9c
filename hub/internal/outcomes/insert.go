package outcomes

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
)

// JSONObject is the value of a JSON object column (an interview's or a
// survey's answers): the object itself in the JSON document of a
// PostgreSQL insert, its text on SQLite.
type JSONObject string

// MarshalJSON writes the object as it is.
func (o JSONObject) MarshalJSON() ([]byte, error) { return []byte(o), nil }

// InsertRows inserts rows (values of cols, in order) into table, then tail
// (an ON CONFLICT clause, say). On PostgreSQL they go as one JSON document
// per statement (json_populate_recordset maps it onto the table's
// columns): much less to parse and bind than thousands of parameters.
func InsertRows(tx *gorm.DB, table, cols string, rows [][]any, tail string) error {
	if dbx.Dialect(tx) != dbx.Postgres {
		for _, r := range rows {
			for j, v := range r {
				if o, ok := v.(JSONObject); ok {
					r[j] = string(o)
				}
			}
		}
		return dbx.ExecRows(tx, "INSERT INTO "+table+" ("+cols+") VALUES ", "", tail, rows, 0)
	}
	if len(rows) == 0 {
		return nil
	}
	const chunk = 20000
	if _, casts, ok := columnArrays(rows[:1]); ok {
		params := make([]string, len(casts))
		for j, c := range casts {
			params[j] = "?::" + c
		}
		q := "INSERT INTO " + table + " (" + cols + ") SELECT * FROM unnest(" + strings.Join(params, ", ") + ")" + tail
		start := 0
		for ; start < len(rows); start += chunk {
			arrays, _, ok := columnArrays(rows[start:min(start+chunk, len(rows))])
			if !ok {
				break // a value of another kind: the rest go as JSON
			}
			if err := tx.Exec(q, arrays...).Error; err != nil {
				return err
			}
		}
		rows = rows[min(start, len(rows)):]
	}
	names := strings.Split(cols, ", ")
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = strconv.Quote(n) + ":"
	}
	var buf []byte
	for start := 0; start < len(rows); start += chunk {
		buf = append(buf[:0], '[')
		for i, r := range rows[start:min(start+chunk, len(rows))] {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '{')
			for j, v := range r {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, keys[j]...)
				var err error
				if buf, err = appendJSON(buf, v); err != nil {
					return err
				}
			}
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
		err := tx.Exec("INSERT INTO "+table+" ("+cols+") SELECT "+cols+" FROM json_populate_recordset(NULL::"+table+", ?)"+tail, string(buf)).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// columnArrays turns rows into one PostgreSQL array per column, with the
// cast each takes in SQL: bound in binary, the rows cost the server no
// parsing (but of the JSON objects, which their jsonb columns parse
// anyway), a fifth less than the same rows as one JSON document. ok is
// false when a column holds a value of a kind it does not carry (the JSON
// document takes those rows).
func columnArrays(rows [][]any) (arrays []any, casts []string, ok bool) {
	for j := range rows[0] {
		var a any
		var cast string
		ok = false // a kind not listed below
		switch rows[0][j].(type) {
		case string:
			a, ok = column(rows, j, func(v any) (string, bool) { s, ok := v.(string); return s, ok })
			cast = "text[]"
		case JSONObject:
			a, ok = column(rows, j, func(v any) (string, bool) { o, ok := v.(JSONObject); return string(o), ok })
			cast = "text[]::jsonb[]"
		case int, int64:
			a, ok = column(rows, j, func(v any) (int64, bool) {
				switch v := v.(type) {
				case int:
					return int64(v), true
				case int64:
					return v, true
				}
				return 0, false
			})
			cast = "int8[]"
		case bool:
			a, ok = column(rows, j, func(v any) (bool, bool) { b, ok := v.(bool); return b, ok })
			cast = "bool[]"
		}
		if !ok {
			return nil, nil, false
		}
		arrays, casts = append(arrays, a), append(casts, cast)
	}
	return arrays, casts, true
}

// column is column j of rows as an array parameter, each value converted
// by conv; ok false when conv refuses one.
func column[T any](rows [][]any, j int, conv func(any) (T, bool)) (any, bool) {
	a := make([]T, len(rows))
	for i, r := range rows {
		v, ok := conv(r[j])
		if !ok {
			return nil, false
		}
		a[i] = v
	}
	return pgArray(a), true
}

// pgArray is a one-dimensional array parameter: a struct, so that gorm
// binds it as one value instead of spreading it as a list.
func pgArray[T any](a []T) pgtype.Array[T] {
	return pgtype.Array[T]{Elements: a, Dims: []pgtype.ArrayDimension{{Length: int32(min(len(a), math.MaxInt32)), LowerBound: 1}}, Valid: true} //nolint:gosec // bounded just before
}

// appendJSON appends v as JSON: numbers and booleans directly, anything
// else through encoding/json.
func appendJSON(buf []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case int:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(buf, v, 10), nil
	case bool:
		return strconv.AppendBool(buf, v), nil
	case string:
		return contract.AppendString(buf, v), nil
	case JSONObject:
		return append(buf, v...), nil
	}
	b, err := json.Marshal(v)
	return append(buf, b...), err
}

// AnswersJSON is a map of answer codes as a JSON object, its keys sorted
// (as encoding/json writes it).
func AnswersJSON[V int | string](m map[string]V) JSONObject {
	b := make([]byte, 0, 16*len(m)+2)
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(contract.AppendString(b, k), ':')
		switch v := any(m[k]).(type) {
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case string:
			b = contract.AppendString(b, v)
		}
	}
	return JSONObject(append(b, '}'))
}
