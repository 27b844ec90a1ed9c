// Package evaluate computes the program's year-end results the way the
// program reports them: the Personal Outcome Measures table with the
// change in the same participants between their first and closing (and
// mid-point) interviews, the satisfaction survey's answers, the
// hospitalization counts and the participation figures.
//
// It works on plain inputs, whoever holds the data: a site's agent feeds it
// its own participants (by local id), the hub the de-identified records of
// the sites (by surrogate key). It knows nothing of suppression: the hub
// decides what it may show (hub/internal/suppress); a site sees its own
// figures whole.
package evaluate

import (
	"slices"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/stats"
)

// Level is the confidence level of every interval.
const Level = 0.95

// Indicator is one POM indicator a release names.
type Indicator struct {
	Code, Name string
}

// Interview is one participant's interview at one timepoint: the answers
// given (true: the outcome is present) and the indicators left
// unanswered, with why (contract.NotAsked, contract.Declined). An
// indicator left unanswered counts in no n, neither present nor absent;
// Unanswered only counts why.
type Interview struct {
	Person     string
	Timepoint  string
	Answers    map[string]bool
	Unanswered map[string]string
}

// Share is how many answered an indicator at a timepoint and how many of
// them had the outcome; NotAsked and Declined count the interviews of the
// timepoint that left it unanswered (in no n).
type Share struct {
	N, Present         int
	NotAsked, Declined int
}

// Pct is the share in percent, and false when nobody answered.
func (s Share) Pct() (float64, bool) {
	if s.N == 0 {
		return 0, false
	}
	return 100 * float64(s.Present) / float64(s.N), true
}

// Change is the paired change of one indicator between two interviews of
// the same participants: the counts who kept, gained, lost or never had the
// outcome, and (when anyone is paired) the shares before and after, the
// difference in percentage points with its 95% interval (Newcombe's
// method 10) and the exact McNemar p-value.
type Change struct {
	stats.Paired
	OK            bool    // false when nobody answered both
	Before, After float64 // percent
	Points        float64 // After − Before, in percentage points
	Lower, Upper  float64 // the interval of Points
	P             float64 // exact McNemar, two-sided
}

func change(p stats.Paired) Change {
	c := Change{Paired: p}
	s, err := p.Summarize(Level)
	if err != nil {
		return c
	}
	c.OK = true
	c.Before, c.After = 100*s.Before, 100*s.After
	c.Points = 100 * s.Difference
	c.Lower, c.Upper = 100*s.DifferenceCI.Lower, 100*s.DifferenceCI.Upper
	c.P = s.P
	return c
}

// POMRow is one indicator's line of the table: the unpaired shares at each
// timepoint (everyone who answered then) and the paired changes from the
// first interview to the mid-point and to the closing one.
type POMRow struct {
	Indicator
	First, Mid, Closing Share
	ToMid, ToClosing    Change
}

// POM computes the table for the indicators given, in their order. A
// participant with several interviews at one timepoint counts with the
// last one given.
func POM(indicators []Indicator, interviews []Interview) []POMRow {
	byTP := map[string]map[string]Interview{}
	for _, iv := range interviews {
		m := byTP[iv.Timepoint]
		if m == nil {
			m = map[string]Interview{}
			byTP[iv.Timepoint] = m
		}
		m[iv.Person] = iv
	}
	first, mid, closing := byTP[contract.TimepointEligibility], byTP[contract.TimepointMidpoint], byTP[contract.TimepointClosing]
	people := make([]string, 0, len(first))
	for p := range first {
		people = append(people, p)
	}
	slices.Sort(people)
	rows := make([]POMRow, len(indicators))
	for i, ind := range indicators {
		r := POMRow{Indicator: ind, First: share(first, ind.Code), Mid: share(mid, ind.Code), Closing: share(closing, ind.Code)}
		var toMid, toClosing stats.Paired
		for _, p := range people {
			toMid.AddAnswers(ind.Code, first[p].Answers, mid[p].Answers)
			toClosing.AddAnswers(ind.Code, first[p].Answers, closing[p].Answers)
		}
		r.ToMid, r.ToClosing = change(toMid), change(toClosing)
		rows[i] = r
	}
	return rows
}

func share(m map[string]Interview, code string) Share {
	var s Share
	for _, iv := range m {
		if v, ok := iv.Answers[code]; ok {
			s.N++
			if v {
				s.Present++
			}
			continue
		}
		switch iv.Unanswered[code] {
		case contract.NotAsked:
			s.NotAsked++
		case contract.Declined:
			s.Declined++
		}
	}
	return s
}

// Inputs are what a year-end report is computed from, whoever holds the
// data: the indicators and statements a release names, the interviews,
// the surveys (statement code to answer code), each consenting
// participant's hospitalizations and the participation months.
type Inputs struct {
	Indicators       []Indicator
	Interviews       []Interview
	Statements       []Statement
	Surveys          []map[string]string
	Hospitalizations []Hospitalization
	Months           []Month
}

// Report is the program's year-end table: the POM table (unpaired shares
// and paired changes), the survey, hospitalizations and participation.
type Report struct {
	POM           []POMRow
	Survey        Surveys
	Hospital      Hospitalizations
	Participation Participation
}

// Build computes the year-end report.
func Build(in Inputs) Report {
	return Report{POM: POM(in.Indicators, in.Interviews), Survey: Survey(in.Statements, in.Surveys),
		Hospital: Hospital(in.Hospitalizations), Participation: Participate(in.Months)}
}

// PairedFromCounts makes a Change from counts a store added up itself.
func PairedFromCounts(both, gained, lost, neither int) Change {
	return change(stats.Paired{Both: both, Gained: gained, Lost: lost, Neither: neither})
}

// Hospitalization is one consenting participant's hospitalizations: in
// the two years before enrollment, during the program, the months they
// were in it, and the changes in other services by service and kind.
type Hospitalization struct {
	Person         string
	Before, During int
	MonthsEnrolled int
	ServiceChanges []contract.ServiceChange
}

// Hospitalizations are the program's hospitalization figures.
type Hospitalizations struct {
	Participants       int // with data (they consented to have it recorded)
	Before             int // hospitalizations in the two years before enrollment
	During             int // hospitalizations during the program
	HospitalizedDuring int // participants hospitalized at least once during
	MonthsEnrolled     int // participant-months in the program
	// Rates per participant-year: before over two years each, during over
	// the months enrolled; OK false when there is no time to divide by.
	RateBefore, RateDuring     float64
	RateBeforeOK, RateDuringOK bool
	// ServiceChanges counts changes by service, then by kind.
	ServiceChanges map[string]map[string]int
}

// Hospital adds up hospitalizations.
func Hospital(hs []Hospitalization) Hospitalizations {
	out := Hospitalizations{ServiceChanges: map[string]map[string]int{}}
	for _, h := range hs {
		out.Participants++
		out.Before += h.Before
		out.During += h.During
		out.MonthsEnrolled += h.MonthsEnrolled
		if h.During > 0 {
			out.HospitalizedDuring++
		}
		for _, c := range h.ServiceChanges {
			if out.ServiceChanges[c.Service] == nil {
				out.ServiceChanges[c.Service] = map[string]int{}
			}
			out.ServiceChanges[c.Service][c.Change]++
		}
	}
	out.RateBefore, out.RateBeforeOK = rate(out.Before, 2*out.Participants*12)
	out.RateDuring, out.RateDuringOK = rate(out.During, out.MonthsEnrolled)
	return out
}

// rate is events per participant-year over months of exposure.
func rate(events, months int) (float64, bool) {
	if months <= 0 {
		return 0, false
	}
	return float64(events) * 12 / float64(months), true
}

// Statement is one survey statement a release names.
type Statement struct {
	Code, Text string
}

// SurveyRow is one statement's answers: how many gave each answer (in the
// order of contract.SurveyAnswers, the highest rating first) and how many
// answered it.
type SurveyRow struct {
	Statement
	Counts [4]int
	N      int
}

// Pct is the share of an answer in percent (false when nobody answered).
func (r SurveyRow) Pct(answer int) (float64, bool) {
	if r.N == 0 || answer < 0 || answer > 3 {
		return 0, false
	}
	return 100 * float64(r.Counts[answer]) / float64(r.N), true
}

// Surveys are the survey's figures: the surveys completed, each
// statement's answers, and the share of every answer given that was the
// highest rating.
type Surveys struct {
	Completed int
	Rows      []SurveyRow
	Highest   Share // answers at the highest rating, of all answers
}

// Survey adds up surveys (each a map of statement code to answer code).
func Survey(statements []Statement, surveys []map[string]string) Surveys {
	out := Surveys{Completed: len(surveys), Rows: make([]SurveyRow, len(statements))}
	for i, st := range statements {
		r := SurveyRow{Statement: st}
		for _, s := range surveys {
			if a, ok := s[st.Code]; ok {
				if k := slices.Index(contract.SurveyAnswers, a); k >= 0 {
					r.Counts[k]++
					r.N++
				}
			}
		}
		out.Highest.N += r.N
		out.Highest.Present += r.Counts[0]
		out.Rows[i] = r
	}
	return out
}

// Month is what one participant did in one program month.
type Month struct {
	Person                         string
	ProgramMonth                   int
	MeetingsHeld, MeetingsAttended int
	JournalsDue, JournalsCompleted int
	StipendSpentCents              int64
	OutingsByStage                 [contract.OutingStages]int
}

// Participation is the program's participation figures, in total and by
// program month.
type Participation struct {
	Participants int
	Total        MonthTotals
	ByMonth      []MonthTotals // index 0 is program month 1
}

// MonthTotals adds up participation.
type MonthTotals struct {
	ProgramMonth                   int
	Participants                   int
	MeetingsHeld, MeetingsAttended int
	JournalsDue, JournalsCompleted int
	StipendSpentCents              int64
	OutingsByStage                 [contract.OutingStages]int
}

// AttendancePct and JournalPct are the rates, with false when nothing was
// held or due.
func (t MonthTotals) AttendancePct() (float64, bool) {
	return pct(t.MeetingsAttended, t.MeetingsHeld)
}

// JournalPct is the share of journals due that were completed.
func (t MonthTotals) JournalPct() (float64, bool) { return pct(t.JournalsCompleted, t.JournalsDue) }

func pct(a, b int) (float64, bool) {
	if b <= 0 {
		return 0, false
	}
	return 100 * float64(a) / float64(b), true
}

func (t *MonthTotals) add(m Month) {
	t.Participants++
	t.MeetingsHeld += m.MeetingsHeld
	t.MeetingsAttended += m.MeetingsAttended
	t.JournalsDue += m.JournalsDue
	t.JournalsCompleted += m.JournalsCompleted
	t.StipendSpentCents += m.StipendSpentCents
	for i := range t.OutingsByStage {
		t.OutingsByStage[i] += m.OutingsByStage[i]
	}
}

// Participate adds up participation months.
func Participate(months []Month) Participation {
	var out Participation
	people := map[string]bool{}
	for _, m := range months {
		if m.ProgramMonth < 1 {
			continue
		}
		people[m.Person] = true
		for len(out.ByMonth) < m.ProgramMonth {
			out.ByMonth = append(out.ByMonth, MonthTotals{ProgramMonth: len(out.ByMonth) + 1})
		}
		out.ByMonth[m.ProgramMonth-1].add(m)
		out.Total.add(m)
	}
	out.Participants = len(people)
	out.Total.Participants = len(people)
	return out
}
