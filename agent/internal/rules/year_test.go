package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/contract"
)

func ymd(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestYearStatus(t *testing.T) {
	for _, c := range []struct {
		enrolled, today       string
		withdrawn, leftCohort bool
		want                  string
	}{
		{"2025-06-17", "2026-06-16", false, false, StatusActive},
		{"2025-06-17", "2026-06-17", false, false, StatusCompleted}, // the year ran to 2026-06-16
		{"2025-01-31", "2026-01-30", false, false, StatusActive},
		{"2025-01-31", "2026-01-31", false, false, StatusCompleted},
		{"2026-07-01", "2026-06-17", false, false, StatusActive}, // enrolled for a day to come
		{"2025-06-17", "2026-01-01", true, false, StatusWithdrawn},
		{"2024-01-01", "2026-01-01", true, true, StatusWithdrawn},
		{"2025-06-17", "2026-01-01", false, true, StatusEndedEarly},
		{"2024-06-17", "2026-01-01", false, true, StatusCompleted},
	} {
		if got := YearStatus(ymd(c.enrolled), c.withdrawn, c.leftCohort, ymd(c.today).Add(15*time.Hour)); got != c.want {
			t.Errorf("enrolled %s, on %s, withdrawn %v, left %v: %s, want %s", c.enrolled, c.today, c.withdrawn, c.leftCohort, got, c.want)
		}
	}
	if YearEnd(ymd("2025-06-17")) != ymd("2026-06-16") {
		t.Errorf("year end %s", YearEnd(ymd("2025-06-17")))
	}
}

func TestInterviewsDue(t *testing.T) {
	none := map[string]bool{}
	all := map[string]bool{contract.TimepointEligibility: true, contract.TimepointMidpoint: true, contract.TimepointClosing: true}
	describe := func(ds []InterviewDue) string {
		var out []string
		for _, d := range ds {
			s := d.Timepoint + " from " + d.From.Format(time.DateOnly)
			if d.Overdue {
				s += " overdue"
			}
			out = append(out, s)
		}
		return strings.Join(out, ", ")
	}
	for _, c := range []struct {
		enrolled, today string
		done            map[string]bool
		want            string
	}{
		{"2026-06-10", "2026-06-09", none, ""},
		{"2026-06-10", "2026-06-10", none, "eligibility from 2026-06-10"},
		{"2026-06-10", "2026-07-10", none, "eligibility from 2026-06-10 overdue"},
		{"2026-01-10", "2026-06-09", map[string]bool{contract.TimepointEligibility: true}, ""},
		{"2026-01-10", "2026-06-10", map[string]bool{contract.TimepointEligibility: true}, "midpoint from 2026-06-10"},
		{"2026-01-10", "2026-07-10", map[string]bool{contract.TimepointEligibility: true}, "midpoint from 2026-06-10 overdue"},
		{"2025-07-01", "2026-06-30", all, ""},
		{"2025-07-01", "2026-06-30", map[string]bool{contract.TimepointEligibility: true, contract.TimepointMidpoint: true}, "closing from 2026-06-01"},
		{"2025-07-01", "2026-07-01", map[string]bool{contract.TimepointEligibility: true, contract.TimepointMidpoint: true}, "closing from 2026-06-01 overdue"},
		{"2025-07-01", "2026-12-30", map[string]bool{contract.TimepointEligibility: true, contract.TimepointMidpoint: true}, "closing from 2026-06-01 overdue"},
		{"2025-07-01", "2026-12-31", map[string]bool{contract.TimepointEligibility: true, contract.TimepointMidpoint: true}, ""},
	} {
		if got := describe(InterviewsDue(ymd(c.enrolled), ymd(c.today), c.done)); got != c.want {
			t.Errorf("enrolled %s, on %s: %q, want %q", c.enrolled, c.today, got, c.want)
		}
	}
}

func TestLastWeekAndEndsWithin(t *testing.T) {
	for today, want := range map[string]string{"2026-06-17": "2026-06-08", "2026-06-15": "2026-06-08", "2026-06-21": "2026-06-08", "2026-06-22": "2026-06-15"} {
		if got := LastWeek(ymd(today).Add(23 * time.Hour)).Format(time.DateOnly); got != want {
			t.Errorf("last week of %s: %s, want %s", today, got, want)
		}
	}
	if ok, left := EndsWithin(ymd("2026-06-30"), ymd("2026-06-17").Add(10*time.Hour), 30); !ok || left != 13 {
		t.Errorf("ends within: %v %d", ok, left)
	}
	if ok, _ := EndsWithin(ymd("2026-07-18"), ymd("2026-06-17"), 30); ok {
		t.Errorf("31 days ahead counted within 30")
	}
	if ok, _ := EndsWithin(ymd("2026-06-16"), ymd("2026-06-17"), 30); ok {
		t.Errorf("a year that ended counted as ending")
	}
}
