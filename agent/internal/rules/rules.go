// Package rules holds the program's rules for a site, in one place below
// both the API and the pages: who is eligible, what makes a Peer Partners
// group workable, which month of the program a day falls in and its theme.
// Functions here are pure; the store calls them before it writes anything,
// so a rule broken through the API or a page is refused the same way.
package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/program"
)

// Problem is a rule a proposed change would break, with what to do about it.
type Problem struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problems is a list of broken rules.
type Problems []Problem

func (p Problems) Error() string {
	s := make([]string, len(p))
	for i, x := range p {
		s[i] = x.Field + ": " + x.Detail
	}
	return strings.Join(s, "; ")
}

// Err returns the problems as an error, or nil when there are none.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// MinimumAge is the program's minimum age; younger people need an override
// with a recorded reason (the program's material marks the rule with an
// exception).
const MinimumAge = 18

// Eligibility is the intake checklist.
type Eligibility struct {
	BirthDate               time.Time
	IntakeDate              time.Time
	AgeOverrideReason       string
	InformedConsent         bool
	ManagesFinances         bool
	SetsGoals               bool
	AcceptsResponsibilities bool
}

// Check lists what keeps a person from enrolling. The need for services is
// shown by the eligibility POM interview, recorded after intake. The age
// is checked only when both dates are known (a zero date is one a form
// got wrong, refused on its own); the checklist always is. Each message
// is a sentence saying what to do, as it reads next to its field and in a
// form's summary.
func (e Eligibility) Check() Problems {
	var p Problems
	if !e.BirthDate.IsZero() && !e.IntakeDate.IsZero() {
		if age := deident.AgeOn(e.BirthDate, e.IntakeDate); age < MinimumAge && strings.TrimSpace(e.AgeOverrideReason) == "" {
			p = append(p, Problem{"age_override_reason", fmt.Sprintf("Give the reason the director makes an exception: the person is %d, and participants are at least %d", age, MinimumAge)})
		}
	}
	if !e.InformedConsent {
		p = append(p, Problem{"informed_consent", "Tick this only if the person can give, and gives, informed consent: eligibility needs it"})
	}
	if !e.ManagesFinances {
		p = append(p, Problem{"manages_finances", "Tick this only if the person can manage personal finances (the social stipend): eligibility needs it"})
	}
	if !e.SetsGoals {
		p = append(p, Problem{"sets_goals", "Tick this only if the person can set goals and action plans: eligibility needs it"})
	}
	if !e.AcceptsResponsibilities {
		p = append(p, Problem{"accepts_responsibilities", "Tick this only if the person accepts the participant responsibilities: eligibility needs it"})
	}
	return p
}

// GroupAdvice says whether a Peer Partners group can run as it is and,
// when not, what to do. The bounds come from the release's group rules.
type GroupAdvice struct {
	Size     int      `json:"size"`
	Workable bool     `json:"workable"`
	Problems []string `json:"problems"`
	Actions  []string `json:"actions"`
}

// CheckGroup applies the group rules to a group of size members and gives
// one action that makes it workable.
func CheckGroup(size int, g program.GroupRules) GroupAdvice {
	a := GroupAdvice{Size: size, Workable: true, Problems: []string{}, Actions: []string{}}
	odd := g.Even && size%2 == 1
	switch {
	case size < g.Min:
		need := g.Min - size
		if g.Even && (size+need)%2 == 1 {
			need++
		}
		a.Problems = append(a.Problems, fmt.Sprintf("The group has %s; a Peer Partners group needs at least %d%s.", people(size), g.Min, evenly(g)))
		a.Actions = append(a.Actions, fmt.Sprintf("Add %s (or merge with another group).", people(need)))
	case size > g.Max:
		excess := size - g.Max
		if g.Even && (size-excess)%2 == 1 {
			excess++
		}
		a.Problems = append(a.Problems, fmt.Sprintf("The group has %s; a Peer Partners group has at most %d%s.", people(size), g.Max, evenly(g)))
		a.Actions = append(a.Actions, fmt.Sprintf("Move %s to another group.", people(excess)))
	case odd:
		a.Problems = append(a.Problems, fmt.Sprintf("The group has an odd number of members (%d): everyone needs a peer partner.", size))
		if size+1 <= g.Max {
			a.Actions = append(a.Actions, "Add one participant, move one to another group, or pair three together until the numbers change.")
		} else {
			a.Actions = append(a.Actions, "Move one participant to another group, or pair three together until the numbers change.")
		}
	}
	a.Workable = len(a.Problems) == 0
	return a
}

func people(n int) string {
	if n == 1 {
		return "1 participant"
	}
	return fmt.Sprintf("%d participants", n)
}

func evenly(g program.GroupRules) string {
	if g.Even {
		return ", in an even number"
	}
	return ""
}

// ProgramMonth is the month of the program (1..24) a day falls in for a
// participant who enrolled, or a cohort that started, on start: month 1
// runs from start to the day before the same day of the next month, and so
// on. A day before start is in month 1. It is the site's own count (themes,
// the interview at month 6, stipends, outings); what leaves the site counts
// calendar months instead (deident.CalendarMonth), so that nothing upstream
// depends on the day of start.
func ProgramMonth(start, day time.Time) int {
	m := (day.Year()-start.Year())*12 + int(day.Month()) - int(start.Month())
	if day.Day() < start.Day() {
		m--
	}
	return min(max(m+1, 1), 24)
}

// ThemeOf returns the theme of a program month for a model, from the
// release the site runs. Past month 12 there is no theme.
func ThemeOf(rel program.Release, model string, month int) (program.Theme, bool) {
	s, ok := rel.Schedule(model)
	if !ok || month < 1 || month > len(s.Months) {
		return program.Theme{}, false
	}
	return s.Months[month-1], true
}

// MonthSpan is the first and last day of program month k (1..) for a
// start day, as ProgramMonth assigns days to months.
func MonthSpan(start time.Time, k int) (first, last time.Time) {
	last = start.AddDate(0, k, 0)
	for ProgramMonth(start, last) > k {
		last = last.AddDate(0, 0, -1)
	}
	first = start.AddDate(0, k-1, -4)
	for ProgramMonth(start, first) < k {
		first = first.AddDate(0, 0, 1)
	}
	if first.Before(start) {
		first = start
	}
	return first, last
}
