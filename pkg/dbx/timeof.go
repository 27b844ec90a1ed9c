package dbx

import (
	"strings"
	"time"
)

// TimeOf reads a time a query returned without its column's type (an
// aggregate such as MIN over a time column): PostgreSQL gives a time,
// SQLite the text the driver wrote, or bytes of it. Anything else, or
// text in no known layout, is the zero time.
func TimeOf(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case []byte:
		return TimeOf(string(t))
	case string:
		t = strings.TrimSpace(t)
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", time.DateTime} {
			if p, err := time.Parse(layout, t); err == nil {
				return p
			}
		}
	}
	return time.Time{}
}
