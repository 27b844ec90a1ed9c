package store

import (
	"fmt"
	"math"
	"testing"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// TestSiteReportReadsThePublishedTable enters the program's published
// one-site year (pkg/evaluate's tests: 8 participants, 12 indicators with
// two partial at closing, 17 surveys, 15 hospitalizations before and 1
// during) through the store, as staff record it, and reads the site
// report back as published.
func TestSiteReportReadsThePublishedTable(t *testing.T) {
	st, ctx := reportSite(t)
	published := []struct{ initial, final, first, closing, nc int }{
		{25, 75, 2, 6, 8}, {25, 63, 2, 5, 8}, {63, 88, 5, 7, 8}, {50, 75, 4, 6, 8}, {13, 88, 1, 7, 8}, {25, 63, 2, 5, 8},
		{25, 63, 2, 5, 8}, {100, 80, 8, 4, 5}, {63, 67, 5, 4, 6}, {0, 75, 0, 6, 8}, {0, 63, 0, 5, 8}, {75, 88, 6, 7, 8},
	}
	asked := program.Default().Asked()
	before := []int{3, 2, 2, 2, 2, 2, 1, 1}
	for k := range 8 {
		p := enrollOn(t, st, fmt.Sprint("Pub", k), "2025-01-06", true)
		first, closing := InterviewInput{InterviewedOn: "2025-01-06"}, InterviewInput{InterviewedOn: "2025-12-15"}
		for i, it := range asked {
			pub := published[i]
			first.SetChoice(it.Code, map[bool]string{true: ChoicePresent, false: ChoiceAbsent}[k < pub.first])
			c := map[bool]string{true: ChoicePresent, false: ChoiceAbsent}[k < pub.closing]
			if k >= pub.nc {
				c = contract.Declined
			}
			closing.SetChoice(it.Code, c)
		}
		_, err := st.Participants.RecordInterview(ctx, p.ID, "eligibility", first)
		must(t, err)
		_, err = st.Participants.RecordInterview(ctx, p.ID, "closing", closing)
		must(t, err)
		must(t, st.Outcomes.SetHospitalizationsBefore(ctx, p.ID, before[k]))
		if k == 0 {
			_, err := st.Outcomes.AddHospitalStay(ctx, p.ID, "2025-05-05")
			must(t, err)
		}
	}
	counts := [][2]int{{15, 2}, {15, 2}, {17, 0}, {15, 2}, {15, 2}, {17, 0}, {17, 0}, {15, 2}, {17, 0}, {17, 0}, {16, 1}}
	stmts := program.Default().Survey.Statements
	for k := range 17 {
		ans := map[string]string{}
		for s, c := range counts {
			ans[stmts[s].Code] = contract.AnswerDefinitelyAgree
			if k >= c[0] {
				ans[stmts[s].Code] = contract.AnswerSomewhatAgree
			}
		}
		must(t, st.Surveys.RecordSurvey(ctx, SurveyInput{Timepoint: "closing", Answers: ans}))
	}

	rep, err := st.Outcomes.SiteReport(ctx, 2025)
	must(t, err)
	round := func(x float64) int { return int(math.Floor(x + 0.5)) }
	for i, r := range rep.POM {
		pub := published[i]
		f, _ := r.First.Pct()
		c, _ := r.Closing.Pct()
		if round(f) != pub.initial || round(c) != pub.final || r.First.N != 8 || r.Closing.N != pub.nc || r.Closing.Declined != 8-pub.nc || r.ToClosing.N() != pub.nc {
			t.Errorf("%s: %d%% (n %d) -> %d%% (n %d, paired %d), published %d%% -> %d%% (n %d)", r.Code, round(f), r.First.N, round(c), r.Closing.N, r.ToClosing.N(), pub.initial, pub.final, pub.nc)
		}
	}
	if sv := rep.Survey; sv.Completed != 17 || sv.Highest.N != 187 || sv.Highest.Present != 176 {
		t.Errorf("survey: %d completed, %d of %d at the highest rating", sv.Completed, sv.Highest.Present, sv.Highest.N)
	}
	for s, c := range counts {
		if got := rep.Survey.Rows[s].Counts; got != [4]int{c[0], c[1], 0, 0} {
			t.Errorf("statement %d: %v, published %v", s+1, got, c)
		}
	}
	if h := rep.Hospital; h.Participants != 8 || h.Before != 15 || h.During != 1 || h.HospitalizedDuring != 1 {
		t.Errorf("hospitalizations %+v, published 8, 15 before, 1 during", h)
	}
}
