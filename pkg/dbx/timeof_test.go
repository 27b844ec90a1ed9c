package dbx

import (
	"testing"
	"time"
)

func TestTimeOf(t *testing.T) {
	want := time.Date(2026, 12, 7, 6, 15, 0, 500, time.UTC)
	for _, v := range []any{want, "2026-12-07 06:15:00.0000005+00:00", []byte("2026-12-07T06:15:00.0000005Z"), "2026-12-07 06:15:00.0000005"} {
		if got := TimeOf(v); !got.Equal(want) {
			t.Errorf("%v: %v", v, got)
		}
	}
	for _, v := range []any{nil, "", "yesterday", 42} {
		if got := TimeOf(v); !got.IsZero() {
			t.Errorf("%v: %v", v, got)
		}
	}
}
