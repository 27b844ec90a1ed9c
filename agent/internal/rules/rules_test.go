package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/program"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestEligibility(t *testing.T) {
	ok := Eligibility{BirthDate: day("1990-01-01"), IntakeDate: day("2026-03-01"), InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true}
	if p := ok.Check(); len(p) != 0 {
		t.Fatalf("an eligible person is refused: %v", p)
	}
	young := ok
	young.BirthDate = day("2008-06-01")
	if p := young.Check(); len(p) != 1 || p[0].Field != "age_override_reason" || !strings.Contains(p[0].Detail, "17") {
		t.Fatalf("a 17-year-old without an override: %v", p)
	}
	young.AgeOverrideReason = "transition-age youth program, approved by the director"
	if p := young.Check(); len(p) != 0 {
		t.Fatalf("a recorded override is not honoured: %v", p)
	}
	none := Eligibility{BirthDate: day("1990-01-01"), IntakeDate: day("2026-03-01")}
	if p := none.Check(); len(p) != 4 {
		t.Fatalf("an empty checklist gives %d problems, want 4: %v", len(p), p)
	}
}

func TestCheckGroup(t *testing.T) {
	g := program.Default().Groups
	for _, c := range []struct {
		size     int
		workable bool
		want     string
	}{
		{6, true, ""}, {8, true, ""}, {12, true, ""},
		{4, false, "Add 2 participants"},
		{5, false, "Add 1 participant (or merge"},
		{3, false, "Add 3 participants"},
		{7, false, "pair three"},
		{13, false, "Move 1 participant to"},
		{11, false, "Add one participant"},
		{14, false, "Move 2 participants"},
		{15, false, "Move 3 participants"},
	} {
		a := CheckGroup(c.size, g)
		if a.Workable != c.workable {
			t.Errorf("size %d: workable %v", c.size, a.Workable)
		}
		all := strings.Join(append(a.Problems, a.Actions...), " ")
		if c.want != "" && !strings.Contains(all, c.want) {
			t.Errorf("size %d: %q does not say %q", c.size, all, c.want)
		}
		if !c.workable && (len(a.Problems) == 0 || len(a.Actions) != 1) {
			t.Errorf("size %d: a problem without a way out: %+v", c.size, a)
		}
	}
	// An odd group at the maximum cannot grow by one.
	if a := CheckGroup(13, program.GroupRules{Min: 6, Max: 13, Even: true}); strings.Contains(strings.Join(a.Actions, " "), "Add one") {
		t.Errorf("advises growing a full group: %v", a.Actions)
	}
}

func TestThemeOf(t *testing.T) {
	rel := program.Default()
	start := day("2026-01-12")
	for d, want := range map[string]string{"2026-01-12": "Introduction & Goal Setting", "2026-06-20": "Thoughts & Beliefs", "2026-12-12": "Coping Skills & Goal Setting (Transitioning Out)"} {
		th, ok := ThemeOf(rel, program.ModelPeerPartners, ProgramMonth(start, day(d)))
		if !ok || th.Title != want {
			t.Errorf("%s: %q, want %q", d, th.Title, want)
		}
	}
	if th, _ := ThemeOf(rel, program.ModelPeerPartners, ProgramMonth(start, day("2026-12-11"))); th.Month != 11 {
		t.Errorf("the day before the 12th month starts is in month %d", th.Month)
	}
	if _, ok := ThemeOf(rel, program.ModelPeerPartners, 13); ok {
		t.Error("a 13th month has a theme")
	}
}

func TestProgramMonth(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, c := range []struct {
		start, day string
		want       int
	}{
		{"2026-01-15", "2026-01-15", 1},
		{"2026-01-15", "2026-02-14", 1},
		{"2026-01-15", "2026-02-15", 2},
		{"2026-01-15", "2026-12-20", 12},
		{"2026-01-15", "2025-12-01", 1},
		{"2026-01-15", "2029-01-01", 24},
	} {
		if got := ProgramMonth(day(c.start), day(c.day)); got != c.want {
			t.Errorf("ProgramMonth(%s, %s) = %d, want %d", c.start, c.day, got, c.want)
		}
	}
}

func TestMonthSpan(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, c := range []struct {
		start       string
		k           int
		first, last string
	}{
		{"2026-01-05", 1, "2026-01-05", "2026-02-04"},
		{"2026-01-05", 2, "2026-02-05", "2026-03-04"},
		{"2026-01-31", 1, "2026-01-31", "2026-02-28"},
		{"2026-01-31", 2, "2026-03-01", "2026-03-30"},
		{"2026-01-31", 12, "2026-12-31", "2027-01-30"},
	} {
		f, l := MonthSpan(day(c.start), c.k)
		if f.Format(time.DateOnly) != c.first || l.Format(time.DateOnly) != c.last {
			t.Errorf("MonthSpan(%s, %d) = %s..%s, want %s..%s", c.start, c.k, f.Format(time.DateOnly), l.Format(time.DateOnly), c.first, c.last)
		}
		for d := f; !d.After(l); d = d.AddDate(0, 0, 1) {
			if ProgramMonth(day(c.start), d) != c.k {
				t.Fatalf("%s is in month %d, not %d", d.Format(time.DateOnly), ProgramMonth(day(c.start), d), c.k)
			}
		}
	}
}
