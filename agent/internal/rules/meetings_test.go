package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/program"
)

func TestMeetingTheme(t *testing.T) {
	rel := program.Default()
	start := day("2026-01-12")
	for _, c := range []struct {
		day   string
		month int
		theme string
		bad   string
	}{
		{"2026-01-12", 1, "intro_goal_setting", ""},
		{"2026-02-11", 1, "intro_goal_setting", ""},
		{"2026-02-12", 2, "self_care", ""},
		{"2026-06-20", 6, "thoughts_beliefs", ""},
		{"2027-01-11", 12, "coping_goal_setting", ""},
		{"2026-01-11", 0, "", "before the cohort started"},
		{"2027-01-12", 13, "", "month 13"},
	} {
		m, th, p := MeetingTheme(rel, program.ModelPeerPartners, start, day(c.day))
		if m != c.month || th.Code != c.theme {
			t.Errorf("%s: month %d theme %q, want %d %q", c.day, m, th.Code, c.month, c.theme)
		}
		if got := p.Error(); (c.bad == "") != (len(p) == 0) || !strings.Contains(got, c.bad) {
			t.Errorf("%s: problems %q, want %q", c.day, got, c.bad)
		}
	}
}

func TestCheckLessonPlan(t *testing.T) {
	rel := program.Default()
	comm := program.Theme{Code: "communication", Title: "Communication"}
	if p := CheckLessonPlan(rel, comm, "com_listening"); len(p) != 0 {
		t.Fatalf("a plan of the theme is refused: %v", p)
	}
	for plan, want := range map[string]string{
		"sc_sleep_hygiene": "a plan for another theme",
		"nope":             "is not a lesson plan",
		"":                 "choose one of the lesson plans",
	} {
		p := CheckLessonPlan(rel, comm, plan)
		if len(p) != 1 || p[0].Field != "lesson_plan" || !strings.Contains(p[0].Detail, want) || !strings.Contains(p[0].Detail, "com_listening") {
			t.Errorf("plan %q: %v, want %q and the theme's plans", plan, p, want)
		}
	}
	// A release without plans for a theme records meetings without one.
	bare := rel
	bare.LessonPlans = nil
	if p := CheckLessonPlan(bare, comm, ""); len(p) != 0 {
		t.Fatalf("no plans, none chosen: %v", p)
	}
	if p := CheckLessonPlan(bare, comm, "com_listening"); len(p) != 1 {
		t.Fatalf("no plans, one chosen: %v", p)
	}
}

func TestCheckAttendance(t *testing.T) {
	members := map[string]bool{"a": true, "b": true, "c": true}
	pp, se := program.ModelPeerPartners, program.ModelSocialExplorations
	for _, c := range []struct {
		name  string
		model string
		att   map[string]bool
		want  string
	}{
		{"all marked", pp, map[string]bool{"a": true, "b": false, "c": true}, ""},
		{"one unmarked", pp, map[string]bool{"a": true, "b": false}, "1 of 3 are not marked"},
		{"nobody present", pp, map[string]bool{"a": false, "b": false, "c": false}, "no member is marked present"},
		{"a stranger", pp, map[string]bool{"a": true, "b": true, "c": true, "x": true}, "attendance.x: is not a member"},
		{"one to one", se, map[string]bool{"b": true}, ""},
		{"one to one, no-show", se, map[string]bool{"b": false}, ""},
		{"one to one with two", se, map[string]bool{"a": true, "b": true}, "2 are named"},
		{"one to one with nobody", se, map[string]bool{}, "0 are named"},
		{"one to one with a stranger", se, map[string]bool{"x": true}, "not a member"},
	} {
		got := CheckAttendance(c.model, members, c.att).Error()
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCheckSkills(t *testing.T) {
	rel := program.Default()
	if p := CheckSkills(rel, []string{"listening", "grounding"}); len(p) != 0 {
		t.Fatalf("good skills refused: %v", p)
	}
	for _, c := range []struct {
		skills []string
		want   string
	}{
		{nil, "at least one"},
		{[]string{"juggling"}, "not a skill"},
		{[]string{"listening", "listening"}, "twice"},
	} {
		if got := CheckSkills(rel, c.skills).Error(); !strings.Contains(got, c.want) {
			t.Errorf("%v: %q, want %q", c.skills, got, c.want)
		}
	}
}

func TestWeekStart(t *testing.T) {
	for in, want := range map[string]string{
		"2026-06-15": "2026-06-15", // Monday
		"2026-06-17": "2026-06-15",
		"2026-06-21": "2026-06-15", // Sunday
		"2026-06-22": "2026-06-22",
		"2026-01-01": "2025-12-29", // across a year
	} {
		if got := WeekStart(day(in)).Format(time.DateOnly); got != want {
			t.Errorf("WeekStart(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCheckJournalWeek(t *testing.T) {
	enrolled, today := day("2026-01-14"), time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC) // a Wednesday; a Saturday
	for _, c := range []struct {
		week, want string
	}{
		{"2026-06-15", ""},              // this week
		{"2026-01-19", ""},              // the first week after enrollment
		{"2026-06-16", "is a Tuesday"},  // not a Monday
		{"2026-06-22", "has not begun"}, // next week
		{"2026-01-12", "before the participant enrolled on Wed 14 Jan 2026"},
		{"2026-01-05", "before the participant enrolled"},
	} {
		got := CheckJournalWeek(day(c.week), enrolled, today).Error()
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.week, got, c.want)
		}
	}
	// Enrolling on a Monday: that week is the first.
	if p := CheckJournalWeek(day("2026-01-12"), day("2026-01-12"), today); len(p) != 0 {
		t.Errorf("the week of a Monday enrollment: %v", p)
	}
}

func TestCompleteJournals(t *testing.T) {
	enrolled := day("2026-01-14") // a Wednesday: the first whole week starts on 2026-01-19
	weeks := func(ds ...string) []time.Time {
		var out []time.Time
		for _, d := range ds {
			out = append(out, day(d))
		}
		return out
	}
	withdrew := day("2026-02-01") // a Sunday: the week of 2026-01-26 is not whole
	for _, c := range []struct {
		name           string
		withdrawn      *time.Time
		today          string
		entries        []time.Time
		weeks, entered int
		percent        int
	}{
		{"enrollment week: nothing expected", nil, "2026-01-16", weeks("2026-01-12"), 0, 0, 0},
		{"first week in progress, journal not in", nil, "2026-01-21", nil, 0, 0, 0},
		{"first week in progress, journal in", nil, "2026-01-21", weeks("2026-01-19"), 1, 1, 100},
		{"third week, two ended, one in", nil, "2026-02-04", weeks("2026-01-19"), 2, 1, 50},
		{"third week, all in", nil, "2026-02-04", weeks("2026-01-19", "2026-01-26", "2026-02-02"), 3, 3, 100},
		{"duplicates and weeks outside count once or not at all", nil, "2026-02-04",
			weeks("2026-01-12", "2026-01-19", "2026-01-19", "2026-02-09"), 2, 1, 50},
		{"three weeks, one in", nil, "2026-02-09", weeks("2026-01-26"), 3, 1, 33},
		{"withdrawn: counting stops the day before", &withdrew, "2026-03-01", weeks("2026-01-19", "2026-01-26"), 1, 1, 100},
		{"after the program year", nil, "2027-06-01", nil, 51, 0, 0},
		{"before enrollment", nil, "2026-01-01", nil, 0, 0, 0},
	} {
		j := CompleteJournals(enrolled, c.withdrawn, day(c.today), c.entries)
		if j.Weeks != c.weeks || j.Entered != c.entered || j.Percent() != c.percent {
			t.Errorf("%s: %+v (%d%%), want %d of %d (%d%%)", c.name, j, j.Percent(), c.entered, c.weeks, c.percent)
		}
	}
}
