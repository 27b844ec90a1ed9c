package cluster_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// yearTruth is what the test entered, counted here by hand.
type yearTruth struct {
	// unpaired[tp][code] = {n, present}
	unpaired map[string]map[string][2]int
	// paired[span][code] = {both, gained, lost, neither}
	paired map[string]map[string][4]int
	// survey[code][answer] = count
	survey                             map[string]map[string]int
	hospBefore, hospDuring, hospitaled int
	// services[service+"/"+kind] = participants with that change
	services map[string]int
}

// siteYear enters a small site's year through the agent's API: six
// participants enrolled in 2025, each interviewed at eligibility, most at
// the mid-point and the closing interview, one closing interview leaving
// three indicators unanswered; hospitalizations before (at most 3 each,
// the top of the count upstream) and during; five anonymous surveys. It
// returns the figures counted from what it entered.
func siteYear(t *testing.T, ctx context.Context, a *cluster.Agent, tok string) yearTruth {
	t.Helper()
	api := a.URL() + "/api/v1"
	rel := program.Default()
	rng := rand.New(rand.NewPCG(2025, 12))
	tr := yearTruth{unpaired: map[string]map[string][2]int{}, paired: map[string]map[string][4]int{"mf": {}, "cf": {}}, survey: map[string]map[string]int{}, services: map[string]int{}}
	tps := []string{contract.TimepointEligibility, contract.TimepointMidpoint, contract.TimepointClosing}
	for _, tp := range tps {
		tr.unpaired[tp] = map[string][2]int{}
	}
	for i := range 6 {
		var p struct{ ID string }
		post(t, ctx, http.MethodPost, api+"/participants", tok, map[string]any{
			"first_name": fmt.Sprint("Year", i), "last_name": "Participant", "birth_date": fmt.Sprintf("19%d2-04-0%d", 6+i%3, 1+i), "enrolled_on": fmt.Sprintf("2025-0%d-03", 1+i),
			"informed_consent": true, "manages_finances": true, "sets_goals": true, "accepts_responsibilities": true,
			"agreement_signed_on": fmt.Sprintf("2025-0%d-03", 1+i), "hospitalization_consent_on": fmt.Sprintf("2025-0%d-03", 1+i),
		}, &p, http.StatusCreated)
		answers := map[string]map[string]bool{}
		for k, tp := range tps {
			if (tp == contract.TimepointMidpoint && i == 5) || (tp == contract.TimepointClosing && i == 4) {
				continue // no interview then
			}
			a, unanswered := map[string]bool{}, map[string]string{}
			for j, it := range rel.Asked() {
				if tp == contract.TimepointClosing && i == 3 && j < 3 {
					unanswered[it.Code] = []string{"declined", "not_asked", "declined"}[j]
					continue
				}
				a[it.Code] = rng.IntN(3) < k+1 // more present later
				c := tr.unpaired[tp][it.Code]
				c[0]++
				if a[it.Code] {
					c[1]++
				}
				tr.unpaired[tp][it.Code] = c
			}
			answers[tp] = a
			day := fmt.Sprintf("2025-%02d-10", 1+i+6*k/2)
			if k == 2 {
				day = fmt.Sprintf("2026-0%d-12", 1+i)
			}
			post(t, ctx, http.MethodPut, api+"/participants/"+p.ID+"/interviews/"+tp, tok, map[string]any{"interviewed_on": day, "answers": a, "unanswered": unanswered}, nil, http.StatusOK)
		}
		for span, later := range map[string]string{"mf": contract.TimepointMidpoint, "cf": contract.TimepointClosing} {
			for code, f := range answers[contract.TimepointEligibility] {
				l, ok := answers[later][code]
				if !ok {
					continue
				}
				c := tr.paired[span][code]
				c[map[[2]bool]int{{true, true}: 0, {false, true}: 1, {true, false}: 2, {false, false}: 3}[[2]bool{f, l}]]++
				tr.paired[span][code] = c
			}
		}
		before := i % 4
		tr.hospBefore += before
		post(t, ctx, http.MethodPut, api+"/participants/"+p.ID+"/hospitalizations/before", tok, map[string]any{"before_count": before}, nil, http.StatusOK)
		if i%3 == 0 {
			post(t, ctx, http.MethodPost, api+"/participants/"+p.ID+"/hospitalizations/stays", tok, map[string]any{"admitted_on": fmt.Sprintf("2025-09-%02d", 10+i)}, nil, http.StatusCreated)
			tr.hospDuring++
			tr.hospitaled++
		}
		if i < 4 { // two participants start a day program, one of them twice
			svc := "day_program"
			if i%2 == 1 {
				svc = "peer_support"
			}
			post(t, ctx, http.MethodPost, api+"/participants/"+p.ID+"/service-changes", tok, map[string]any{"service": svc, "change": "started", "changed_on": fmt.Sprintf("2025-10-%02d", 10+i)}, nil, http.StatusCreated)
			tr.services[svc+"/started"]++
			if i == 0 {
				post(t, ctx, http.MethodPost, api+"/participants/"+p.ID+"/service-changes", tok, map[string]any{"service": svc, "change": "started", "changed_on": "2025-11-20"}, nil, http.StatusCreated)
			}
		}
	}
	var codes struct{ Codes []string }
	post(t, ctx, http.MethodPost, api+"/survey-codes", tok, map[string]any{"timepoint": "closing", "model": contract.ModelPeerPartners, "count": 5}, &codes, http.StatusCreated)
	for _, code := range codes.Codes {
		answers := map[string]string{}
		for _, s := range rel.Survey.Statements {
			ans := contract.SurveyAnswers[rng.IntN(len(contract.SurveyAnswers))]
			answers[s.Code] = ans
			if tr.survey[s.Code] == nil {
				tr.survey[s.Code] = map[string]int{}
			}
			tr.survey[s.Code][ans]++
		}
		post(t, ctx, http.MethodPost, api+"/survey/responses", "", map[string]any{"code": code, "answers": answers}, nil, http.StatusCreated)
	}
	return tr
}

// pctOf is a share in percent to one decimal, as both reports round it.
func pctOf(x, n int) float64 { return math.Round(float64(x)/float64(n)*1000) / 10 }

// TestSiteYearAtSiteAndHub: a small site's whole year, entered through a
// real agent and synced to a real hub, reads the same in the site's own
// report and in the hub's report for that site at a minimum cell of 1,
// and both equal what the test counted from what it entered: the POM
// answers at each timepoint (unanswered indicators in no n), the paired
// changes, the survey's answers and the hospitalizations.
func TestSiteYearAtSiteAndHub(t *testing.T) {
	ctx := context.Background()
	h := startHub(t, "")
	a := enrolledAgent(t, h, h.URL(), "Year_site")
	tok := agentDirector(t, a)
	tr := siteYear(t, ctx, a, tok)
	if _, err := a.CLI(ctx, "", "sync", "--quiet"); err != nil {
		t.Fatal(err)
	}

	// The site's own report.
	type share struct{ N, Present int }
	type change struct{ N, Both, Gained, Lost, Neither int }
	var site struct {
		POM []struct {
			Code                     string
			First, Midpoint, Closing share
			ToMid                    change `json:"first_to_midpoint"`
			ToClose                  change `json:"first_to_closing"`
		}
		Survey struct {
			Completed  int
			Statements []struct {
				Code   string
				Counts map[string]int
			}
		}
		Hospitalizations struct {
			Participants, Before, During int
			Hospitalized                 int `json:"hospitalized_during"`
		}
	}
	post(t, ctx, http.MethodGet, a.URL()+"/api/v1/reports/site?year=2025", tok, nil, &site, http.StatusOK)
	if len(site.POM) != len(program.Default().Asked()) {
		t.Fatalf("the site report has %d indicators", len(site.POM))
	}
	for _, r := range site.POM {
		for tp, got := range map[string]share{contract.TimepointEligibility: r.First, contract.TimepointMidpoint: r.Midpoint, contract.TimepointClosing: r.Closing} {
			if w := tr.unpaired[tp][r.Code]; got.N != w[0] || got.Present != w[1] {
				t.Errorf("site %s %s: n %d present %d, want %v", r.Code, tp, got.N, got.Present, w)
			}
		}
		for span, got := range map[string]change{"mf": r.ToMid, "cf": r.ToClose} {
			if w := tr.paired[span][r.Code]; [4]int{got.Both, got.Gained, got.Lost, got.Neither} != w {
				t.Errorf("site %s %s: paired %+v, want %v", r.Code, span, got, w)
			}
		}
	}
	// Surveys count in the calendar year they were given (this one).
	var surveys struct {
		Survey struct {
			Completed  int
			Statements []struct {
				Code   string
				Counts map[string]int
			}
		}
	}
	post(t, ctx, http.MethodGet, a.URL()+fmt.Sprintf("/api/v1/reports/site?year=%d", time.Now().Year()), tok, nil, &surveys, http.StatusOK)
	site.Survey = surveys.Survey
	if site.Survey.Completed != 5 || len(site.Survey.Statements) != len(program.Default().Survey.Statements) {
		t.Errorf("site: %d surveys completed", site.Survey.Completed)
	}
	for _, st := range site.Survey.Statements {
		for ans, n := range st.Counts {
			if n != tr.survey[st.Code][ans] {
				t.Errorf("site survey %s %s: %d, want %d", st.Code, ans, n, tr.survey[st.Code][ans])
			}
		}
	}
	if h := site.Hospitalizations; h.Participants != 6 || h.Before != tr.hospBefore || h.During != tr.hospDuring || h.Hospitalized != tr.hospitaled {
		t.Errorf("site hospitalizations %+v, want 6 with data, %d before, %d during, %d hospitalized", h, tr.hospBefore, tr.hospDuring, tr.hospitaled)
	}

	// The hub's report for the site, once the projection has it all.
	sid := siteID(t, h, "Year_site")
	analyst := analystToken(t, h)
	type pairedJSON struct{ N, Both, Gained, Lost, Neither figureJSON }
	var hub struct {
		FirstInterviews figureJSON `json:"first_interviews"`
		Indicators      []struct {
			Code          string
			FirstN        figureJSON `json:"first_n"`
			FirstShare    figureJSON `json:"first_share"`
			MidpointN     figureJSON `json:"midpoint_n"`
			MidpointShare figureJSON `json:"midpoint_share"`
			ClosingN      figureJSON `json:"closing_n"`
			ClosingShare  figureJSON `json:"closing_share"`
			ToMidpoint    pairedJSON `json:"paired_to_midpoint"`
			ToClosing     pairedJSON `json:"paired_to_closing"`
		}
		Statements []struct {
			Code    string
			Answers []figureJSON
		}
		Hospitalizations struct {
			Participants figureJSON
			Before       figureJSON `json:"before_total"`
			During       figureJSON `json:"during_total"`
			Hospitalized figureJSON `json:"hospitalized_during"`
			Services     []struct {
				Service, Kind string
				Participants  figureJSON
			} `json:"service_changes"`
		}
	}
	waitFor(t, time.Minute, "the hub's report of the site", func() error {
		if st, err := cluster.JSON(ctx, http.MethodGet, h.URL()+"/api/v1/outcomes/report?site="+sid, analyst, nil, &hub); err != nil || st != http.StatusOK {
			return fmt.Errorf("%d %w", st, err)
		}
		if v := hub.FirstInterviews.Value; v == nil || *v != 6 || len(hub.Statements) == 0 || hub.Statements[0].Answers[0].Value == nil {
			return fmt.Errorf("not yet: %+v", hub.FirstInterviews)
		}
		return nil
	})
	if len(hub.Indicators) != len(program.Default().Asked()) || len(hub.Statements) != len(program.Default().Survey.Statements) {
		t.Fatalf("the hub's report has %d indicators and %d statements", len(hub.Indicators), len(hub.Statements))
	}
	for _, r := range hub.Indicators {
		for tp, got := range map[string][2]figureJSON{contract.TimepointEligibility: {r.FirstN, r.FirstShare}, contract.TimepointMidpoint: {r.MidpointN, r.MidpointShare}, contract.TimepointClosing: {r.ClosingN, r.ClosingShare}} {
			w := tr.unpaired[tp][r.Code]
			if got[0].num(t) != float64(w[0]) || got[1].num(t) != pctOf(w[1], w[0]) {
				t.Errorf("hub %s %s: n %v share %v, want %v", r.Code, tp, got[0].num(t), got[1].num(t), w)
			}
		}
		for span, got := range map[string]pairedJSON{"mf": r.ToMidpoint, "cf": r.ToClosing} {
			w := tr.paired[span][r.Code]
			if g := [4]float64{got.Both.num(t), got.Gained.num(t), got.Lost.num(t), got.Neither.num(t)}; g != [4]float64{float64(w[0]), float64(w[1]), float64(w[2]), float64(w[3])} {
				t.Errorf("hub %s %s: paired %v, want %v", r.Code, span, g, w)
			}
		}
	}
	for _, st := range hub.Statements {
		for i, ans := range contract.SurveyAnswers {
			if got := st.Answers[i].num(t); got != float64(tr.survey[st.Code][ans]) {
				t.Errorf("hub survey %s %s: %v, want %d", st.Code, ans, got, tr.survey[st.Code][ans])
			}
		}
	}
	hh := hub.Hospitalizations
	if hh.Participants.num(t) != 6 || hh.Before.num(t) != float64(tr.hospBefore) || hh.During.num(t) != float64(tr.hospDuring) || hh.Hospitalized.num(t) != float64(tr.hospitaled) {
		t.Errorf("hub hospitalizations: %v with data, %v before, %v during, %v hospitalized; want 6, %d, %d, %d",
			hh.Participants.num(t), hh.Before.num(t), hh.During.num(t), hh.Hospitalized.num(t), tr.hospBefore, tr.hospDuring, tr.hospitaled)
	}
	got := map[string]int{}
	for _, sv := range hh.Services {
		if n := int(sv.Participants.num(t)); n > 0 {
			got[sv.Service+"/"+sv.Kind] = n
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(tr.services) {
		t.Errorf("hub service changes %v, want %v", got, tr.services)
	}
}

// figureJSON is a figure of the hub's report.
type figureJSON struct {
	Value      *float64 `json:"value"`
	Suppressed bool     `json:"suppressed"`
}

func (f figureJSON) num(t *testing.T) float64 {
	t.Helper()
	if f.Value == nil || f.Suppressed {
		t.Fatalf("a figure is missing or suppressed at a minimum cell of 1: %+v", f)
	}
	return *f.Value
}
