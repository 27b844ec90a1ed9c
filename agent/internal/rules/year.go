package rules

import (
	"fmt"
	"time"

	"github.com/itsmylife/iml/pkg/contract"
)

// Where a participant stands in their program year, computed from the
// record, never stored.
const (
	// StatusActive: in the program year (or enrolled for a day to come).
	StatusActive = "active"
	// StatusCompleted: the program year is over (ProgramMonths program
	// months after enrollment, EnrollmentPeriod) without a withdrawal.
	StatusCompleted = "completed"
	// StatusWithdrawn: a withdrawal is recorded (the participant asked to
	// leave).
	StatusWithdrawn = "withdrawn"
	// StatusEndedEarly: no withdrawal and the year is not over, but they
	// left their cohort and are in none now: they stopped taking part.
	StatusEndedEarly = "ended_early"
)

// Statuses are the statuses, in the order a list offers them.
var Statuses = []string{StatusActive, StatusCompleted, StatusWithdrawn, StatusEndedEarly}

// StatusLabel names a status for people.
func StatusLabel(s string) string {
	switch s {
	case StatusCompleted:
		return "completed"
	case StatusWithdrawn:
		return "withdrawn"
	case StatusEndedEarly:
		return "ended early"
	default:
		return "active"
	}
}

// YearEnd is the last day of the program year of someone who enrolled on
// enrolled (EnrollmentPeriod without a withdrawal).
func YearEnd(enrolled time.Time) time.Time {
	_, last := EnrollmentPeriod(enrolled, nil)
	return last
}

// YearStatus is a participant's status on today: withdrawn when a
// withdrawal is recorded, completed once the day after the year's last
// day has come, ended early when they left their cohort and are in none
// (leftCohort), otherwise active.
func YearStatus(enrolled time.Time, withdrawn, leftCohort bool, today time.Time) string {
	switch {
	case withdrawn:
		return StatusWithdrawn
	case dateOnly(today).After(YearEnd(enrolled)):
		return StatusCompleted
	case leftCohort:
		return StatusEndedEarly
	default:
		return StatusActive
	}
}

// ClosingGraceMonths is how long after the year ended a missing closing
// interview is still listed as overdue.
const ClosingGraceMonths = 6

// InterviewDue is a POM interview that is due: its timepoint, from which
// day, and whether it is overdue (the day it became so has come).
type InterviewDue struct {
	Timepoint string
	Label     string
	From      time.Time
	Late      time.Time
	Overdue   bool
}

// InterviewsDue lists the interviews due on today for someone who
// enrolled on enrolled and has the timepoints in done recorded:
//   - eligibility: from enrollment, overdue from program month 2;
//   - mid-point: from program month 6, overdue from month 7;
//   - closing: from program month 12, overdue once the year is over, and
//     listed until ClosingGraceMonths after that.
//
// Program months are ProgramMonth's (the site's count from the day of
// enrollment).
func InterviewsDue(enrolled, today time.Time, done map[string]bool) []InterviewDue {
	day, start := dateOnly(today), dateOnly(enrolled)
	if day.Before(start) {
		return nil
	}
	end := YearEnd(start)
	if day.After(end.AddDate(0, ClosingGraceMonths, 0)) {
		return nil
	}
	month := func(k int) time.Time { first, _ := MonthSpan(start, k); return first }
	all := []InterviewDue{
		{Timepoint: contract.TimepointEligibility, Label: "Eligibility interview", From: start, Late: month(2)},
		{Timepoint: contract.TimepointMidpoint, Label: "Mid-point interview (month 6)", From: month(6), Late: month(7)},
		{Timepoint: contract.TimepointClosing, Label: "Closing interview (month 12)", From: month(12), Late: end.AddDate(0, 0, 1)},
	}
	var out []InterviewDue
	for _, d := range all {
		if done[d.Timepoint] || day.Before(d.From) {
			continue
		}
		d.Overdue = !day.Before(d.Late)
		out = append(out, d)
	}
	return out
}

// LastWeek is the Monday of the week before the one today falls in
// (weeks run Monday to Sunday, as the journal's).
func LastWeek(today time.Time) time.Time {
	d := dateOnly(today)
	back := (int(d.Weekday()) + 6) % 7 // days since Monday
	return d.AddDate(0, 0, -back-7)
}

// EndsWithin says whether a program year ending on end ends within days
// of today (today included), and how many days are left.
func EndsWithin(end, today time.Time, days int) (bool, int) {
	left := int(end.Sub(dateOnly(today)).Hours() / 24)
	return left >= 0 && left <= days, left
}

// DaysLeft writes how long is left until a day, for people.
func DaysLeft(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "tomorrow"
	default:
		return fmt.Sprintf("in %d days", n)
	}
}
