package deident

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func d(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAgeOn(t *testing.T) {
	for _, c := range []struct {
		birth, day string
		want       int
	}{
		{"2000-06-15", "2026-06-14", 25},
		{"2000-06-15", "2026-06-15", 26},
		{"2000-02-29", "2026-02-28", 25},
		{"2000-02-29", "2026-03-01", 26},
		{"1930-01-01", "2026-12-31", 96},
	} {
		if got := AgeOn(d(c.birth), d(c.day)); got != c.want {
			t.Errorf("AgeOn(%s, %s) = %d, want %d", c.birth, c.day, got, c.want)
		}
	}
}

func TestAgeBand(t *testing.T) {
	for age, want := range map[int]string{17: "under 18", 18: "18-24", 24: "18-24", 25: "25-34", 64: "55-64", 89: "75-89", 90: "90+", 104: "90+"} {
		if got := AgeBand(age); got != want {
			t.Errorf("AgeBand(%d) = %q, want %q", age, got, want)
		}
	}
}

func TestProgramMonth(t *testing.T) {
	for _, c := range []struct {
		enrolled, day string
		want          int
	}{
		{"2026-01-15", "2026-01-15", 1},
		{"2026-01-15", "2026-02-14", 1},
		{"2026-01-15", "2026-02-15", 2},
		{"2026-01-15", "2026-12-20", 12},
		{"2026-01-15", "2025-12-01", 1},
		{"2026-01-15", "2029-01-01", 24},
	} {
		if got := ProgramMonth(d(c.enrolled), d(c.day)); got != c.want {
			t.Errorf("ProgramMonth(%s, %s) = %d, want %d", c.enrolled, c.day, got, c.want)
		}
	}
}

func TestNewRecordIDCarriesOnlyTheYear(t *testing.T) {
	now := time.Date(2026, 8, 17, 13, 5, 9, 0, time.UTC)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewRecordID(now)
		u := uuid.MustParse(id)
		if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("%s is not an RFC 9562 UUIDv7", id)
		}
		sec, nsec := u.Time().UnixTime()
		if got := time.Unix(sec, nsec).UTC(); !got.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("%s carries time %s, want 1 January 2026", id, got)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
}

// TestRecordIDCarriesNoClockBits: the 12 bits after the version are the
// sub-millisecond clock in a plain UUIDv7; in a record id they are random,
// so ids made one after another do not come in increasing order.
func TestRecordIDCarriesNoClockBits(t *testing.T) {
	now := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	increasing, seen := 0, map[uint16]bool{}
	prev := uint16(0)
	for i := 0; i < 200; i++ {
		u := uuid.MustParse(NewRecordID(now))
		if u.Version() != 7 {
			t.Fatalf("version %d", u.Version())
		}
		bits := uint16(u[6]&0x0f)<<8 | uint16(u[7])
		if bits > prev {
			increasing++
		}
		prev = bits
		seen[bits] = true
	}
	if increasing > 150 || len(seen) < 150 {
		t.Fatalf("the bits after the version look like a clock: %d of 200 increasing, %d distinct", increasing, len(seen))
	}
}
