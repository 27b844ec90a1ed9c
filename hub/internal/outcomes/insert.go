package outcomes

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

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
	names := strings.Split(cols, ", ")
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = strconv.Quote(n) + ":"
	}
	const chunk = 20000
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
