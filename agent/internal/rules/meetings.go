package rules

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/itsmylife/iml/pkg/program"
)

// MaxMeetingNotes and MaxJournalAnswer bound the local free text of a
// meeting's notes and of one guided journal answer, in characters.
const (
	MaxMeetingNotes  = 4000
	MaxJournalAnswer = 4000
)

// MeetingTheme is the program month and theme of a cohort's meeting on a
// day: the cohort's month on that day and the release's theme for it. A
// meeting cannot come before the cohort starts or after its year is over.
func MeetingTheme(rel program.Release, model string, start, day time.Time) (int, program.Theme, Problems) {
	if day.Before(start) {
		return 0, program.Theme{}, Problems{{"held_on", "is before the cohort started on " + start.Format(time.DateOnly)}}
	}
	month := ProgramMonth(start, day)
	th, ok := ThemeOf(rel, model, month)
	if !ok {
		return month, program.Theme{}, Problems{{"held_on", fmt.Sprintf("falls in month %d of the cohort; the program year has 12 months with a theme", month)}}
	}
	return month, th, nil
}

// CheckLessonPlan says whether a coach's lesson plan fits a meeting whose
// month has the given theme: it must be one of the release's plans for
// that theme. When the release has no plans for the theme the meeting is
// recorded without one.
func CheckLessonPlan(rel program.Release, theme program.Theme, plan string) Problems {
	plans := rel.PlansFor(theme.Code)
	if len(plans) == 0 {
		if plan != "" {
			return Problems{{"lesson_plan", fmt.Sprintf("release %s has no lesson plans for %s; leave the lesson plan empty", rel.Version, theme.Title)}}
		}
		return nil
	}
	titles := make([]string, len(plans))
	for i, p := range plans {
		if p.Code == plan {
			return nil
		}
		titles[i] = "\u201c" + p.Title + "\u201d (" + p.Code + ")"
	}
	what := "choose one of the lesson plans for this month's theme, " + theme.Title
	if plan != "" {
		if p, ok := rel.LessonPlan(plan); ok {
			what = fmt.Sprintf("\u201c%s\u201d is a plan for another theme; the meeting falls in a month of %s", p.Title, theme.Title)
		} else {
			what = fmt.Sprintf("%q is not a lesson plan of release %s; choose one for %s", plan, rel.Version, theme.Title)
		}
	}
	return Problems{{"lesson_plan", what + ": " + strings.Join(titles, ", ")}}
}

// CheckAttendance checks who a meeting records as present or absent against
// the cohort's members on the meeting's day. A Peer Partners group meeting
// marks every member present or absent, with at least one present; a
// Social Explorations meeting is with one participant.
func CheckAttendance(model string, members map[string]bool, attendance map[string]bool) Problems {
	var p Problems
	var strangers []string
	for id := range attendance {
		if !members[id] {
			strangers = append(strangers, id)
		}
	}
	sort.Strings(strangers)
	for _, id := range strangers {
		p = append(p, Problem{"attendance." + id, "is not a member of this cohort on the meeting's day"})
	}
	if model == program.ModelSocialExplorations {
		if len(attendance) != 1 {
			p = append(p, Problem{"attendance", fmt.Sprintf("a Social Explorations meeting is with one participant; %d are named", len(attendance))})
		}
		return p
	}
	present, missing := 0, 0
	for id := range members {
		v, ok := attendance[id]
		if !ok {
			missing++
		}
		if v {
			present++
		}
	}
	if missing > 0 {
		p = append(p, Problem{"attendance", fmt.Sprintf("mark every member present or absent; %d of %d are not marked", missing, len(members))})
	}
	if present == 0 && len(strangers) == 0 {
		p = append(p, Problem{"attendance", "no member is marked present"})
	}
	return p
}

// CheckSkills checks the skills practised at a meeting: at least one, each
// a skill of the release, each once.
func CheckSkills(rel program.Release, skills []string) Problems {
	if len(skills) == 0 {
		return Problems{{"skills", "name at least one skill practised"}}
	}
	var p Problems
	seen := map[string]bool{}
	for _, s := range skills {
		if _, ok := rel.Skill(s); !ok {
			p = append(p, Problem{"skills", fmt.Sprintf("%q is not a skill of release %s", s, rel.Version)})
		} else if seen[s] {
			p = append(p, Problem{"skills", fmt.Sprintf("%q is named twice", s)})
		}
		seen[s] = true
	}
	return p
}

// WeekStart is the Monday of the week a day falls in.
func WeekStart(day time.Time) time.Time {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(d.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return d.AddDate(0, 0, -back)
}

// JournalWeekIssue is what is wrong with the week of a journal entry.
type JournalWeekIssue int

// What can be wrong with the week of a journal entry.
const (
	WeekOK JournalWeekIssue = iota
	WeekNotMonday
	WeekNotBegun
	WeekBeforeEnrollment
)

// JournalWeekProblem finds what is wrong with the week of a guided journal
// entry: it starts on a Monday that has come and that is not before the
// participant enrolled (someone who enrolls mid-week keeps their first
// journal the next week).
func JournalWeekProblem(week, enrolled, today time.Time) JournalWeekIssue {
	switch {
	case week.Weekday() != time.Monday:
		return WeekNotMonday
	case week.After(today):
		return WeekNotBegun
	case week.Before(enrolled):
		return WeekBeforeEnrollment
	}
	return WeekOK
}

// CheckJournalWeek checks the week of a guided journal entry
// (JournalWeekProblem), with the messages staff read; the participant's
// own journal says them in the participant's language.
func CheckJournalWeek(week, enrolled, today time.Time) Problems {
	const words = "Mon 2 Jan 2006"
	switch JournalWeekProblem(week, enrolled, today) {
	case WeekNotMonday:
		return Problems{{"week_start", week.Format(words) + " is a " + week.Weekday().String() + "; a week starts on a Monday (" + WeekStart(week).Format(words) + ")"}}
	case WeekNotBegun:
		return Problems{{"week_start", "the week of " + week.Format(words) + " has not begun yet"}}
	case WeekBeforeEnrollment:
		return Problems{{"week_start", "the week of " + week.Format(words) + " starts before the participant enrolled on " + enrolled.Format(words)}}
	}
	return nil
}

// JournalCompletion is how regularly a participant keeps the weekly guided
// journal.
type JournalCompletion struct {
	// Weeks is the number of weeks enrolled so far: the weeks (Monday to
	// Sunday) wholly inside the participant's program year that have ended,
	// and the week in progress once its journal is in.
	Weeks int `json:"weeks"`
	// Entered is how many of those weeks have a journal entry.
	Entered int `json:"entered"`
	// Rate is Entered / Weeks, 0 when no week counts yet.
	Rate float64 `json:"rate"`
}

// Percent is the rate as a whole percentage.
func (j JournalCompletion) Percent() int { return int(j.Rate*100 + 0.5) }

// JournalYear is the length of the program year the journal is kept for.
const JournalYear = 12

// CompleteJournals works out the completion rate of the guided journal
// from the enrollment day, the withdrawal (nil while enrolled), today and
// the weeks (Mondays) with an entry. A week counts when the participant
// took part in all of it: from the first Monday on or after enrollment, to
// the end of the program year or the day before a withdrawal. The week in
// progress counts only once its entry is in, so that nobody falls behind
// before the week is over.
func CompleteJournals(enrolled time.Time, withdrawn *time.Time, today time.Time, weeks []time.Time) JournalCompletion {
	var j JournalCompletion
	for _, w := range DueWeeks(enrolled, withdrawn, today, weeks) {
		j.Weeks++
		if w.Entered {
			j.Entered++
		}
	}
	if j.Weeks > 0 {
		j.Rate = float64(j.Entered) / float64(j.Weeks)
	}
	return j
}

// DueWeek is one week whose journal is due: its Monday and whether the
// entry is in.
type DueWeek struct {
	Monday  time.Time
	Entered bool
}

// DueWeeks lists the weeks whose journal is due so far, by the rule
// CompleteJournals counts them with.
func DueWeeks(enrolled time.Time, withdrawn *time.Time, today time.Time, weeks []time.Time) []DueWeek {
	first := WeekStart(enrolled)
	if !first.Equal(time.Date(enrolled.Year(), enrolled.Month(), enrolled.Day(), 0, 0, 0, 0, time.UTC)) {
		first = first.AddDate(0, 0, 7)
	}
	last := time.Date(enrolled.Year(), enrolled.Month(), enrolled.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, JournalYear, -1)
	if withdrawn != nil {
		w := withdrawn.UTC()
		if w := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1); w.Before(last) {
			last = w
		}
	}
	current := WeekStart(today)
	entered := map[time.Time]bool{}
	for _, w := range weeks {
		entered[WeekStart(w)] = true
	}
	var out []DueWeek
	for m := first; !m.AddDate(0, 0, 6).After(last) && !m.After(current); m = m.AddDate(0, 0, 7) {
		if entered[m] || m.Before(current) {
			out = append(out, DueWeek{Monday: m, Entered: entered[m]})
		}
	}
	return out
}
