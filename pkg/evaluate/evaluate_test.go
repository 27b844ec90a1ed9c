package evaluate_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/evaluate"
)

// The program's own one-site year-end results ("IML in Review: Results",
// the program's presentation of its first site's year, in the seeds):
// 8 participants, 12 indicators with the initial and final shares below,
// 17 surveys with the counts below, 15 hospitalizations in the two years
// before and 1 during. Indicator 17 was answered by 5 at the closing
// interview and indicator 18 by 6 (the published table marks the partial
// one with *). The people below are one way to reach those shares; the
// test checks the table against counts made by hand from them.
var published = []struct {
	code               string
	initial, final     int // percent, as published (rounded half up)
	first, closing, nc int // present at first (of 8), present at closing (of nc)
}{
	{"pom01", 25, 75, 2, 6, 8}, {"pom02", 25, 63, 2, 5, 8}, {"pom05", 63, 88, 5, 7, 8}, {"pom06", 50, 75, 4, 6, 8},
	{"pom11", 13, 88, 1, 7, 8}, {"pom14", 25, 63, 2, 5, 8}, {"pom15", 25, 63, 2, 5, 8}, {"pom17", 100, 80, 8, 4, 5},
	{"pom18", 63, 67, 5, 4, 6}, {"pom19", 0, 75, 0, 6, 8}, {"pom20", 0, 63, 0, 5, 8}, {"pom21", 75, 88, 6, 7, 8},
}

// site builds the interviews: person k has the outcome at the first
// interview when k < first, at closing when k < closing; people k >= nc
// left the indicator unanswered at closing.
func site() ([]evaluate.Indicator, []evaluate.Interview) {
	var inds []evaluate.Indicator
	var ivs []evaluate.Interview
	firsts, closings := make([]map[string]bool, 8), make([]map[string]bool, 8)
	for k := range 8 {
		firsts[k], closings[k] = map[string]bool{}, map[string]bool{}
	}
	for _, p := range published {
		inds = append(inds, evaluate.Indicator{Code: p.code, Name: p.code})
		for k := range 8 {
			firsts[k][p.code] = k < p.first
			if k < p.nc {
				closings[k][p.code] = k < p.closing
			}
		}
	}
	for k := range 8 {
		person := fmt.Sprintf("p%d", k)
		ivs = append(ivs, evaluate.Interview{Person: person, Timepoint: contract.TimepointEligibility, Answers: firsts[k]},
			evaluate.Interview{Person: person, Timepoint: contract.TimepointClosing, Answers: closings[k]})
	}
	// Someone interviewed only at closing counts in the closing share but
	// in no pair; their first interview was never done.
	return inds, ivs
}

func round(x float64) int { return int(math.Floor(x + 0.5)) }

func TestPOMMatchesThePublishedTable(t *testing.T) {
	inds, ivs := site()
	rows := evaluate.POM(inds, ivs)
	if len(rows) != 12 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		p := published[i]
		first, _ := r.First.Pct()
		closing, _ := r.Closing.Pct()
		if round(first) != p.initial || round(closing) != p.final || r.First.N != 8 || r.Closing.N != p.nc {
			t.Errorf("%s: %.1f%% (n %d) -> %.1f%% (n %d), published %d%% -> %d%% (n %d)", p.code, first, r.First.N, closing, r.Closing.N, p.initial, p.final, p.nc)
		}
		// By hand: the paired people are those who answered at closing
		// (k < nc). Among them, k < min(first, closing) kept it, and so on.
		var both, gained, lost, neither int
		for k := range p.nc {
			b, a := k < p.first, k < p.closing
			switch {
			case b && a:
				both++
			case a:
				gained++
			case b:
				lost++
			default:
				neither++
			}
		}
		c := r.ToClosing
		if c.Both != both || c.Gained != gained || c.Lost != lost || c.Neither != neither || c.N() != p.nc || !c.OK {
			t.Errorf("%s: paired %+v, by hand %d/%d/%d/%d", p.code, c.Paired, both, gained, lost, neither)
		}
		wantPts := 100 * float64(gained-lost) / float64(p.nc)
		if math.Abs(c.Points-wantPts) > 1e-9 || c.Lower > c.Points || c.Upper < c.Points {
			t.Errorf("%s: %+.2f points [%.2f, %.2f], want %+.2f inside", p.code, c.Points, c.Lower, c.Upper, wantPts)
		}
		if r.ToMid.OK || r.Mid.N != 0 {
			t.Errorf("%s: a mid-point change with no mid-point interviews", p.code)
		}
	}
	// pom01: 2 kept, 4 gained, none lost: McNemar exact p = 2 * (1/2)^4.
	if got := rows[0].ToClosing.P; math.Abs(got-0.125) > 1e-12 {
		t.Errorf("pom01 p = %v, want 0.125", got)
	}
	// pom17 at closing: 5 paired, 4 kept it, 1 lost it: p = 1 (2 * 1/2 capped).
	if r := rows[7].ToClosing; r.Both != 4 || r.Lost != 1 || r.P != 1 {
		t.Errorf("pom17: %+v", r)
	}
}

func TestPOMUnansweredAndRepeated(t *testing.T) {
	ind := []evaluate.Indicator{{Code: "a"}}
	ivs := []evaluate.Interview{
		{Person: "x", Timepoint: contract.TimepointEligibility, Answers: map[string]bool{"a": false}},
		{Person: "x", Timepoint: contract.TimepointClosing, Answers: map[string]bool{"a": false}},
		// A second closing interview of x replaces the first.
		{Person: "x", Timepoint: contract.TimepointClosing, Answers: map[string]bool{"a": true}},
		// y declined at closing: no pair, not counted absent.
		{Person: "y", Timepoint: contract.TimepointEligibility, Answers: map[string]bool{"a": true}},
		{Person: "y", Timepoint: contract.TimepointClosing, Answers: map[string]bool{}},
		// z has only a closing interview.
		{Person: "z", Timepoint: contract.TimepointClosing, Answers: map[string]bool{"a": true}},
	}
	r := evaluate.POM(ind, ivs)[0]
	if r.First != (evaluate.Share{N: 2, Present: 1}) || r.Closing != (evaluate.Share{N: 2, Present: 2}) {
		t.Errorf("shares %+v %+v", r.First, r.Closing)
	}
	if r.ToClosing.N() != 1 || r.ToClosing.Gained != 1 {
		t.Errorf("pairs %+v", r.ToClosing.Paired)
	}
	if c := evaluate.POM(ind, nil)[0]; c.ToClosing.OK || c.First.N != 0 {
		t.Errorf("empty: %+v", c)
	}
}

func TestSurveyMatchesThePublishedCounts(t *testing.T) {
	counts := [][2]int{{15, 2}, {15, 2}, {17, 0}, {15, 2}, {15, 2}, {17, 0}, {17, 0}, {15, 2}, {17, 0}, {17, 0}, {16, 1}}
	var sts []evaluate.Statement
	surveys := make([]map[string]string, 17)
	for i := range surveys {
		surveys[i] = map[string]string{}
	}
	for s, c := range counts {
		code := fmt.Sprintf("s%02d", s+1)
		sts = append(sts, evaluate.Statement{Code: code})
		for k := range 17 {
			a := contract.AnswerDefinitelyAgree
			if k >= c[0] {
				a = contract.AnswerSomewhatAgree
			}
			surveys[k][code] = a
		}
	}
	got := evaluate.Survey(sts, surveys)
	if got.Completed != 17 || len(got.Rows) != 11 {
		t.Fatalf("%+v", got)
	}
	for i, r := range got.Rows {
		if r.Counts != [4]int{counts[i][0], counts[i][1], 0, 0} || r.N != 17 {
			t.Errorf("%s: %v", r.Code, r.Counts)
		}
	}
	// 176 of 187 answers at the highest rating.
	if got.Highest != (evaluate.Share{N: 187, Present: 176}) {
		t.Errorf("highest %+v", got.Highest)
	}
	// An answer that is not one of the four is not counted.
	bad := evaluate.Survey(sts[:1], []map[string]string{{"s01": "maybe"}})
	if bad.Rows[0].N != 0 || bad.Completed != 1 {
		t.Errorf("%+v", bad.Rows[0])
	}
}

func TestHospitalizationsAsPublished(t *testing.T) {
	// 15 before among 8, one person hospitalized once during 19 months.
	before := []int{3, 2, 2, 2, 2, 2, 1, 1}
	var hs []evaluate.Hospitalization
	for k, b := range before {
		h := evaluate.Hospitalization{Person: fmt.Sprint(k), Before: b, MonthsEnrolled: 12}
		if k == 0 {
			h.During = 1
			h.ServiceChanges = []contract.ServiceChange{{Service: "day_program", Change: contract.ServiceStopped, ProgramMonth: 4}}
		}
		hs = append(hs, h)
	}
	got := evaluate.Hospital(hs)
	if got.Participants != 8 || got.Before != 15 || got.During != 1 || got.HospitalizedDuring != 1 || got.MonthsEnrolled != 96 {
		t.Fatalf("%+v", got)
	}
	if !got.RateBeforeOK || math.Abs(got.RateBefore-15.0/16) > 1e-12 || math.Abs(got.RateDuring-1.0/8) > 1e-12 {
		t.Errorf("rates %v %v", got.RateBefore, got.RateDuring)
	}
	if got.ServiceChanges["day_program"][contract.ServiceStopped] != 1 {
		t.Errorf("service changes %v", got.ServiceChanges)
	}
	if e := evaluate.Hospital(nil); e.RateBeforeOK || e.RateDuringOK {
		t.Errorf("rates without people: %+v", e)
	}
}

func TestParticipation(t *testing.T) {
	got := evaluate.Participate([]evaluate.Month{
		{Person: "a", ProgramMonth: 1, MeetingsHeld: 4, MeetingsAttended: 3, JournalsDue: 4, JournalsCompleted: 2, StipendSpentCents: 2500, OutingsByStage: [4]int{1, 0, 0, 0}},
		{Person: "b", ProgramMonth: 1, MeetingsHeld: 4, MeetingsAttended: 4, JournalsDue: 4, JournalsCompleted: 4},
		{Person: "a", ProgramMonth: 3, MeetingsHeld: 4, MeetingsAttended: 1, JournalsDue: 5, JournalsCompleted: 5, OutingsByStage: [4]int{0, 1, 1, 0}},
		{Person: "c", ProgramMonth: 0}, // outside the program: ignored
	})
	if got.Participants != 2 || len(got.ByMonth) != 3 || got.ByMonth[1].Participants != 0 {
		t.Fatalf("%+v", got)
	}
	if a, ok := got.Total.AttendancePct(); !ok || math.Abs(a-100*8.0/12) > 1e-9 {
		t.Errorf("attendance %v", a)
	}
	if j, _ := got.ByMonth[0].JournalPct(); j != 75 {
		t.Errorf("journals month 1: %v", j)
	}
	if got.Total.StipendSpentCents != 2500 || got.Total.OutingsByStage != [4]int{1, 1, 1, 0} {
		t.Errorf("%+v", got.Total)
	}
	if _, ok := got.ByMonth[1].AttendancePct(); ok {
		t.Error("a month with nothing held has an attendance rate")
	}
}

func TestUnansweredCountsInNoN(t *testing.T) {
	ind := []evaluate.Indicator{{Code: "a"}}
	ivs := []evaluate.Interview{
		{Person: "x", Timepoint: contract.TimepointEligibility, Answers: map[string]bool{"a": true}},
		{Person: "y", Timepoint: contract.TimepointEligibility, Unanswered: map[string]string{"a": contract.Declined}},
		{Person: "z", Timepoint: contract.TimepointEligibility, Unanswered: map[string]string{"a": contract.NotAsked}},
		{Person: "x", Timepoint: contract.TimepointClosing, Unanswered: map[string]string{"a": contract.Declined}},
		{Person: "y", Timepoint: contract.TimepointClosing, Answers: map[string]bool{"a": false}},
	}
	r := evaluate.Build(evaluate.Inputs{Indicators: ind, Interviews: ivs}).POM[0]
	if r.First != (evaluate.Share{N: 1, Present: 1, NotAsked: 1, Declined: 1}) || r.Closing != (evaluate.Share{N: 1, Declined: 1}) {
		t.Errorf("shares %+v %+v", r.First, r.Closing)
	}
	if r.ToClosing.N() != 0 || r.ToClosing.OK {
		t.Errorf("an unanswered indicator was paired: %+v", r.ToClosing)
	}
}
