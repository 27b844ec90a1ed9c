package deident

import (
	"fmt"
	"math/rand/v2"
	"reflect"
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

// TestCalendarMonth: upstream, program months are calendar months from
// the month of enrollment; the day of enrollment changes nothing.
func TestCalendarMonth(t *testing.T) {
	for _, c := range []struct {
		enrolled, day string
		want          int
	}{
		{"2026-01-15", "2026-01-15", 1},
		{"2026-01-15", "2026-01-31", 1},
		{"2026-01-15", "2026-02-01", 2},
		{"2026-01-15", "2026-02-14", 2},
		{"2026-01-15", "2026-12-20", 12},
		{"2026-01-15", "2027-01-14", 13},
		{"2026-01-15", "2025-12-01", 1},
		{"2026-01-15", "2029-01-01", 24},
		{"2025-11-30", "2026-02-28", 4},
	} {
		if got := CalendarMonth(d(c.enrolled), d(c.day)); got != c.want {
			t.Errorf("CalendarMonth(%s, %s) = %d, want %d", c.enrolled, c.day, got, c.want)
		}
	}
}

// TestUpstreamMonthsIgnoreTheDay: for every day of every month of a year
// as the start, every upstream figure of time (the month of each day of
// two years, its span, the months begun by each day, whether a day is
// counted) is the same as for the first of that month.
func TestUpstreamMonthsIgnoreTheDay(t *testing.T) {
	for start := d("2026-01-01"); start.Year() == 2026; start = start.AddDate(0, 0, 1) {
		first := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
		for day := first.AddDate(0, -1, 0); day.Before(first.AddDate(2, 0, 0)); day = day.AddDate(0, 0, 1) {
			k1, ok1 := YearMonth(start, day)
			k2, ok2 := YearMonth(first, day)
			if CalendarMonth(start, day) != CalendarMonth(first, day) || MonthsBegun(start, day) != MonthsBegun(first, day) || k1 != k2 || ok1 != ok2 {
				t.Fatalf("start %s and %s differ on %s", start.Format(time.DateOnly), first.Format(time.DateOnly), day.Format(time.DateOnly))
			}
		}
		for k := 1; k <= ProgramYear; k++ {
			f, l := CalendarMonthSpan(start, k)
			f1, l1 := CalendarMonthSpan(first, k)
			if !f.Equal(f1) || !l.Equal(l1) || f.Day() != 1 || l.AddDate(0, 0, 1).Day() != 1 || CalendarMonth(start, f) != k || CalendarMonth(start, l) != k {
				t.Fatalf("month %d of %s: %s..%s", k, start.Format(time.DateOnly), f.Format(time.DateOnly), l.Format(time.DateOnly))
			}
		}
	}
	for _, c := range []struct {
		start, day string
		begun      int
		counted    bool
	}{
		{"2026-05-23", "2026-04-30", 0, false},
		{"2026-05-23", "2026-05-01", 1, true},
		{"2026-05-23", "2026-05-31", 1, true},
		{"2026-05-23", "2026-06-30", 2, true},
		{"2026-05-23", "2027-04-30", 12, true},
		{"2026-05-23", "2027-05-01", 12, false}, // the 13th calendar month is not sent
		{"2026-05-23", "2029-01-01", 12, false},
	} {
		_, ok := YearMonth(d(c.start), d(c.day))
		if got := MonthsBegun(d(c.start), d(c.day)); got != c.begun || ok != c.counted {
			t.Errorf("start %s, day %s: %d months begun, counted %v; want %d, %v", c.start, c.day, got, ok, c.begun, c.counted)
		}
	}
}

// TestEnrollmentAge: the age on the last day of the month of enrollment.
func TestEnrollmentAge(t *testing.T) {
	for _, c := range []struct {
		birth, enrolled string
		want            int
	}{
		{"1991-05-15", "2026-05-02", 35}, // 34 on the day, 35 by the end of May
		{"1991-05-15", "2026-05-23", 35},
		{"1991-06-01", "2026-05-31", 34},
		{"1936-05-20", "2026-05-03", 90}, // 89 on the day: 90+ upstream, never younger
		{"2000-02-29", "2026-02-10", 25}, // no 29 February in 2026
		{"2000-02-29", "2028-02-10", 28},
		{"1990-12-31", "2026-12-01", 36},
	} {
		if got := EnrollmentAge(d(c.birth), d(c.enrolled)); got != c.want {
			t.Errorf("EnrollmentAge(%s, %s) = %d, want %d", c.birth, c.enrolled, got, c.want)
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

func TestAgeBandAt(t *testing.T) {
	for _, c := range []struct {
		age, level int
		want       string
	}{
		{17, LevelFine, "under 18"}, {17, LevelBroad, "under 18"}, {17, LevelAny, "any"},
		{18, LevelBroad, "18-44"}, {44, LevelBroad, "18-44"}, {45, LevelBroad, "45-64"}, {64, LevelBroad, "45-64"},
		{65, LevelBroad, "65+"}, {89, LevelFine, "75-89"}, {90, LevelFine, "90+"}, {104, LevelBroad, "65+"}, {104, LevelAny, "any"},
	} {
		if got := AgeBandAt(c.age, c.level); got != c.want {
			t.Errorf("AgeBandAt(%d, %d) = %q, want %q", c.age, c.level, got, c.want)
		}
	}
	// Each band of a level is a union of bands of the level below: an
	// age's coarser band is determined by its finer one.
	for l := LevelFine; l < LevelAny; l++ {
		up := map[string]string{}
		for age := 0; age <= 120; age++ {
			fine, coarse := AgeBandAt(age, l), AgeBandAt(age, l+1)
			if prev, ok := up[fine]; ok && prev != coarse {
				t.Fatalf("level %d band %q lies in %q and %q", l, fine, prev, coarse)
			}
			up[fine] = coarse
		}
	}
}

// checkGeneralized checks what Generalize promises of one site.
func checkGeneralized(t *testing.T, people []Person, k int, got map[string]Disclosure) {
	t.Helper()
	type cell struct {
		year        int
		band, model string
	}
	cells := map[cell]int{}
	withheld := map[int]int{}
	for _, p := range people {
		d, ok := got[p.ID]
		if !ok {
			t.Fatalf("person %s has no disclosure", p.ID)
		}
		if d.Withheld {
			withheld[p.Year]++
			continue
		}
		if d.Model != p.Model && d.Model != "" {
			t.Fatalf("person %s of model %q described as %q", p.ID, p.Model, d.Model)
		}
		ok = false
		for l := LevelFine; l <= LevelAny; l++ {
			ok = ok || AgeBandAt(p.Age, l) == d.Band
		}
		if !ok {
			t.Fatalf("age %d described as %q", p.Age, d.Band)
		}
		if p.Age > 89 && d.Band != "90+" && d.Band != Band65Plus && d.Band != BandAny {
			t.Fatalf("age %d described as %q", p.Age, d.Band)
		}
		cells[cell{p.Year, d.Band, d.Model}]++
	}
	for c, n := range cells {
		if n < k {
			t.Fatalf("%+v holds %d people, fewer than k = %d", c, n, k)
		}
	}
	// Only a year of fewer than k people is withheld, and then whole.
	for year, n := range withheld {
		all := 0
		for _, p := range people {
			if p.Year == year {
				all++
			}
		}
		if all >= k || n != all {
			t.Fatalf("%d of %d people of %d withheld, k = %d", n, all, year, k)
		}
	}
}

func TestGeneralize(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	models := []string{"", "peer_partners", "social_explorations"}
	for i := 0; i < 500; i++ {
		k := 1 + rnd.IntN(8)
		var people []Person
		for j := rnd.IntN(60); j > 0; j-- {
			people = append(people, Person{ID: fmt.Sprint(j), Year: 2024 + rnd.IntN(3), Age: 16 + rnd.IntN(80), Model: models[rnd.IntN(3)]})
		}
		got := Generalize(people, k)
		checkGeneralized(t, people, k, got)
		// The order of the people does not matter.
		rnd.Shuffle(len(people), func(a, b int) { people[a], people[b] = people[b], people[a] })
		if again := Generalize(people, k); !reflect.DeepEqual(again, got) {
			t.Fatalf("the order of the people changed the result")
		}
		// With k = 1 everyone is described as finely as possible.
		for _, p := range people {
			if d := Generalize(people, 1)[p.ID]; d.Band != AgeBand(p.Age) || d.Model != p.Model {
				t.Fatalf("k = 1 coarsened %+v to %+v", p, d)
			}
		}
	}
}

// TestGeneralizeSite walks one small site through the rule's steps.
func TestGeneralizeSite(t *testing.T) {
	var people []Person
	add := func(n, year, age int, model string) {
		for range n {
			people = append(people, Person{ID: fmt.Sprint(len(people)), Year: year, Age: age, Model: model})
		}
	}
	add(5, 2025, 30, "peer_partners")       // five 30-year-olds: 25-34
	add(5, 2025, 50, "peer_partners")       // five 50-year-olds: 45-54
	add(3, 2025, 40, "social_explorations") // three: too few for a model of their own
	add(2, 2025, 60, "")                    // with the two in no cohort: a pool of five
	add(4, 2026, 70, "peer_partners")       // four in 2026, alone in their year: withheld
	add(6, 2027, 30, "peer_partners")       // six in one model of 2027 and
	add(2, 2027, 31, "social_explorations") // two in the other: all eight without a model
	got := Generalize(people, 5)
	checkGeneralized(t, people, 5, got)
	var want []Disclosure
	for _, w := range []struct {
		n int
		d Disclosure
	}{
		{5, Disclosure{Band: "25-34", Model: "peer_partners"}},
		{5, Disclosure{Band: "45-54", Model: "peer_partners"}},
		{5, Disclosure{Band: "any"}}, // 18-44 holds 3, 45-64 holds 2
		{4, Disclosure{Withheld: true}},
		{8, Disclosure{Band: "25-34"}},
	} {
		for range w.n {
			want = append(want, w.d)
		}
	}
	for i, w := range want {
		if got[fmt.Sprint(i)] != w {
			t.Errorf("person %d (%+v): %+v, want %+v", i, people[i], got[fmt.Sprint(i)], w)
		}
	}
	// A fifth 2026 enrollment releases the year, banded together.
	add(1, 2026, 20, "peer_partners")
	got = Generalize(people, 5)
	for _, i := range []int{15, 16, 17, 18, len(people) - 1} {
		if d := got[fmt.Sprint(i)]; d != (Disclosure{Band: "any", Model: "peer_partners"}) {
			t.Errorf("2026 person %d: %+v", i, d)
		}
	}
}
