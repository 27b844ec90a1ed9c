package server_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

// pairsSite is a site on 2026-06-20 with a director, two coaches each
// leading a Peer Partners group (the first prefers no mixed pairs), and
// four members in the first group.
type pairsSite struct {
	*site
	dir, c1, c2      string // API tokens
	cohort, other    store.Cohort
	ps               []store.Participant
	outsider         store.Participant
	c1email, c2email string
}

func newPairsSite(t *testing.T) *pairsSite {
	t.Helper()
	ctx := context.Background()
	s := &pairsSite{site: newSite(t), c1email: "casey@example.org", c2email: "robin@example.org"}
	_, s.dir = s.user("dir@example.org", "Dana", store.RoleDirector)
	u1, c1 := s.user(s.c1email, "Casey", store.RoleCoach)
	u2, c2 := s.user(s.c2email, "Robin", store.RoleCoach)
	s.c1, s.c2 = c1, c2
	cohort := func(name string, u store.User, mixed bool) store.Cohort {
		co := s.certifiedCoach(name, u.ID)
		g, err := s.st.Cohorts.AddCohort(ctx, store.CohortInput{Name: name + "'s group", Model: "peer_partners", StartDate: "2026-01-12", CoachID: co.ID, MixedPairs: mixed})
		s.must(err)
		return g
	}
	s.cohort, s.other = cohort("Casey", u1, false), cohort("Robin", u2, true)
	for _, first := range []string{"Avery", "Blake", "Casey", "Drew"} {
		p := s.participant(first)
		s.must(s.st.Cohorts.AddMember(ctx, s.cohort.ID, p.ID, "2026-01-12"))
		s.ps = append(s.ps, p)
	}
	s.outsider = s.participant("Emery")
	s.must(s.st.Cohorts.AddMember(ctx, s.other.ID, s.outsider.ID, "2026-01-12"))
	return s
}

type pairsJSON struct {
	Current []struct {
		ID       string
		Partners []struct {
			ParticipantID string `json:"participant_id"`
			Stage         int
		}
	}
	Unpaired []struct {
		ParticipantID string `json:"participant_id"`
	}
	Suggestions []struct {
		ParticipantIDs []string `json:"participant_ids"`
		Explanation    string
	}
	Advice  []string
	History []struct {
		ID        string
		EndReason string `json:"end_reason"`
	}
	Group *struct{ Workable bool }
}

func TestPairsAndOutingsThroughTheAPI(t *testing.T) {
	s := newPairsSite(t)
	ps := s.ps
	base := "/api/v1/participants/"
	var prob problem

	// Pairing profiles: checked, normalized, refused whole.
	if st := s.call(s.c1, "PUT", base+ps[0].ID+"/pairing-profile", map[string]any{"interests": []string{"hiking"}, "gender": "female"}, &prob); st != 422 || !prob.has("gender", "Choose woman, man") {
		t.Fatalf("bad gender: %d %+v", st, prob)
	}
	var prof struct {
		Interests []string
		Gender    string
	}
	if s.call(s.c1, "GET", base+ps[0].ID+"/pairing-profile", nil, &prof); len(prof.Interests) != 0 {
		t.Fatalf("a refused profile was stored: %+v", prof)
	}
	for i, in := range []map[string]any{
		{"interests": []string{" Hiking", "Board Games", "cooking"}, "gender": "man"},
		{"interests": []string{"hiking", "board games", "cooking"}, "gender": "woman"},
		{"interests": []string{"chess"}, "gender": "man"},
		{"interests": []string{"chess"}, "gender": "woman"},
	} {
		if st := s.call(s.c1, "PUT", base+ps[i].ID+"/pairing-profile", in, &prof); st != 200 {
			t.Fatalf("profile %d: %d", i, st)
		}
	}
	if prof.Gender != "woman" || strings.Join(prof.Interests, ",") != "chess" {
		t.Fatalf("profile %+v", prof)
	}
	s.call(s.c1, "GET", base+ps[0].ID+"/pairing-profile", nil, &prof)
	if strings.Join(prof.Interests, ",") != "hiking,board games,cooking" {
		t.Fatalf("interests %v", prof.Interests)
	}

	// Outings: stage bounds, then progression.
	if st := s.call(s.c1, "POST", base+ps[0].ID+"/outings", map[string]any{"date": "2026-02-01", "activity": "Cafe", "stage": 5}, &prob); st != 422 || !prob.has("stage", "must be 1") {
		t.Fatalf("stage 5: %d %+v", st, prob)
	}
	if st := s.call(s.c1, "POST", base+ps[0].ID+"/outings", map[string]any{"date": "2026-02-01", "activity": "Cafe", "stage": 1, "cost_cents": -5}, &prob); st != 422 || !prob.has("cost_cents", "negative") {
		t.Fatalf("negative cost: %d %+v", st, prob)
	}
	if st := s.call(s.c1, "POST", base+ps[0].ID+"/outings", map[string]any{"date": "2026-03-15", "activity": "Library talk", "stage": 2, "goal_id": "no-such-goal"}, &prob); st != 422 || !prob.has("goal_id", "Choose one of this participant's goals") {
		t.Fatalf("unknown goal: %d %+v", st, prob)
	}
	for _, p := range ps[:2] {
		if st := s.call(s.c1, "POST", base+p.ID+"/outings", map[string]any{"date": "2026-03-15", "activity": "Library talk", "stage": 2, "cost_cents": 350}, nil); st != 201 {
			t.Fatalf("outing: %d", st)
		}
	}
	var ov struct {
		CurrentStage int `json:"current_stage"`
		Progression  []struct {
			Month        int
			HighestStage int `json:"highest_stage"`
		}
		Outings []struct {
			Date      string
			CostCents int64 `json:"cost_cents"`
			GoalID    string
		} `json:"outings"`
	}
	if st := s.call(s.c1, "GET", base+ps[0].ID+"/outings", nil, &ov); st != 200 || ov.CurrentStage != 2 || len(ov.Outings) != 1 || ov.Outings[0].CostCents != 350 ||
		len(ov.Progression) != 12 || ov.Progression[2].HighestStage != 2 || ov.Progression[1].HighestStage != 0 {
		t.Fatalf("outings view: %d %+v", st, ov)
	}

	// Suggestions: no mixed pairs in this group, so the two men and the two
	// women, though the first man and woman share three interests.
	var pv pairsJSON
	if st := s.call(s.c1, "GET", "/api/v1/cohorts/"+s.cohort.ID+"/pairs", nil, &pv); st != 200 {
		t.Fatalf("pairs: %d", st)
	}
	if len(pv.Unpaired) != 4 || len(pv.Suggestions) != 2 || len(pv.Advice) == 0 || pv.Group == nil || pv.Group.Workable {
		t.Fatalf("pairs view %+v", pv)
	}
	for _, sg := range pv.Suggestions {
		got := strings.Join(sg.ParticipantIDs, "+")
		if got != ps[0].ID+"+"+ps[2].ID && got != ps[1].ID+"+"+ps[3].ID {
			t.Fatalf("suggested a mixed pair: %v (%s)", sg.ParticipantIDs, sg.Explanation)
		}
	}
	// Forming: refused for someone of another group, then the suggested pair.
	if st := s.call(s.c1, "POST", "/api/v1/cohorts/"+s.cohort.ID+"/pairs", map[string]any{"participant_ids": []string{ps[0].ID, s.outsider.ID}, "formed_on": "2026-03-01"}, &prob); st != 422 || !prob.has("participant_ids", "not a current member") {
		t.Fatalf("pairing a non-member: %d %+v", st, prob)
	}
	var formed struct {
		Pair     struct{ ID string }
		Warnings []string
	}
	if st := s.call(s.c1, "POST", "/api/v1/cohorts/"+s.cohort.ID+"/pairs", map[string]any{"participant_ids": []string{ps[0].ID, ps[1].ID}, "formed_on": "2026-03-01"}, &formed); st != 201 {
		t.Fatalf("form pair: %d", st)
	}
	if len(formed.Warnings) != 1 || !strings.Contains(formed.Warnings[0], "prefers no mixed pairs") {
		t.Fatalf("a mixed pair against the preference is not flagged: %+v", formed)
	}
	if st := s.call(s.c1, "POST", "/api/v1/cohorts/"+s.cohort.ID+"/pairs", map[string]any{"participant_ids": []string{ps[1].ID, ps[2].ID}, "formed_on": "2026-03-01"}, &prob); st != 422 || !prob.has("participant_ids", "end that pair first") {
		t.Fatalf("double pairing: %d %+v", st, prob)
	}
	// With the partner, at stage 3.
	if st := s.call(s.c1, "POST", base+ps[0].ID+"/outings", map[string]any{"date": "2026-04-02", "activity": "Bowling", "stage": 3, "partner_id": ps[1].ID}, nil); st != 201 {
		t.Fatalf("outing with the partner: %d", st)
	}
	// Ending requires a reason.
	end := "/api/v1/cohorts/" + s.cohort.ID + "/pairs/" + formed.Pair.ID + "/end"
	if st := s.call(s.c1, "POST", end, map[string]any{"ended_on": "2026-05-01"}, &prob); st != 422 || !prob.has("reason", "choose why") {
		t.Fatalf("end without a reason: %d %+v", st, prob)
	}
	if st := s.call(s.c1, "POST", "/api/v1/cohorts/"+s.cohort.ID+"/pairs/nope/end", map[string]any{"ended_on": "2026-05-01", "reason": "other", "note": "x"}, &prob); st != 404 {
		t.Fatalf("unknown pair: %d", st)
	}
	if st := s.call(s.c1, "POST", "/api/v1/cohorts/"+s.other.ID+"/pairs/"+formed.Pair.ID+"/end", map[string]any{"ended_on": "2026-05-01", "reason": "other", "note": "x"}, nil); st != 403 {
		t.Fatalf("through another coach's cohort: %d", st)
	}
	if st := s.call(s.c1, "POST", end, map[string]any{"ended_on": "2026-05-01", "reason": "different_progression"}, nil); st != 200 {
		t.Fatalf("end: %d", st)
	}
	s.call(s.c1, "GET", "/api/v1/cohorts/"+s.cohort.ID+"/pairs", nil, &pv)
	if len(pv.Current) != 0 || len(pv.History) != 1 || pv.History[0].EndReason != "different_progression" || len(pv.Unpaired) != 4 {
		t.Fatalf("after the end: %+v", pv)
	}
	var hist []struct{ ID, EndReason string }
	if st := s.call(s.c1, "GET", base+ps[1].ID+"/pairs", nil, &hist); st != 200 || len(hist) != 1 || hist[0].ID != formed.Pair.ID {
		t.Fatalf("participant's pairing history: %d %+v", st, hist)
	}

	// Another coach is refused everywhere, and the refusals are not
	// recorded as views.
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/cohorts/" + s.cohort.ID + "/pairs", nil},
		{"POST", "/api/v1/cohorts/" + s.cohort.ID + "/pairs", map[string]any{"participant_ids": []string{ps[2].ID, ps[3].ID}, "formed_on": "2026-05-02"}},
		{"GET", base + ps[0].ID + "/outings", nil},
		{"POST", base + ps[0].ID + "/outings", map[string]any{"date": "2026-05-02", "activity": "Walk", "stage": 1}},
		{"GET", base + ps[0].ID + "/pairing-profile", nil},
		{"PUT", base + ps[0].ID + "/pairing-profile", map[string]any{"interests": []string{}}},
		{"GET", base + ps[0].ID + "/pairs", nil},
	} {
		if st := s.call(s.c2, r.method, r.path, r.body, nil); st != 403 {
			t.Errorf("another coach: %s %s: %d", r.method, r.path, st)
		}
	}
	if st := s.call(s.c1, "GET", base+"nope/outings", nil, nil); st != 404 {
		t.Errorf("unknown participant: %d", st)
	}
	var log []struct {
		UserName string `json:"user_name"`
		Action   string `json:"action"`
	}
	s.call(s.dir, "GET", "/api/v1/audit?participant="+ps[0].ID, nil, &log)
	actions := map[string]bool{}
	for _, e := range log {
		if e.UserName == "Robin" {
			t.Fatalf("a refused access was audited: %+v", e)
		}
		actions[e.Action] = true
	}
	for _, a := range []string{"view", "update_pairing_profile", "record_outing", "form_pair", "end_pair"} {
		if !actions[a] {
			t.Errorf("no %q in the audit log: %+v", a, log)
		}
	}
}

// chart finds the outings chart in a page and parses it as XML.
func chart(t *testing.T, page string) (root string, paths, circles int, titles []string) {
	t.Helper()
	start := strings.Index(page, `<svg`)
	end := strings.Index(page, `</svg>`)
	if start < 0 || end < start {
		t.Fatal("no SVG on the page")
	}
	dec := xml.NewDecoder(strings.NewReader(page[start : end+len("</svg>")]))
	dec.Strict = true
	inTitle := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = e.Name.Local
				if e.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("the chart's namespace is %q", e.Name.Space)
				}
			}
			switch e.Name.Local {
			case "path":
				paths++
			case "circle":
				circles++
			case "title":
				inTitle = true
			}
			for _, a := range e.Attr {
				if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") {
					t.Errorf("the chart has a %s attribute, which the page's policy blocks", a.Name.Local)
				}
			}
		case xml.EndElement:
			if e.Name.Local == "title" {
				inTitle = false
			}
		case xml.CharData:
			if inTitle {
				titles = append(titles, string(e))
			}
		}
	}
	return root, paths, circles, titles
}

func TestPairsAndOutingsPages(t *testing.T) {
	ctx := context.Background()
	s := newPairsSite(t)
	ps := s.ps
	b := s.browser(s.c1email)

	// The participant page: the outings section and its chart.
	st, body := b.get("/participants/" + ps[0].ID + "?tab=outings")
	if st != 200 || !strings.Contains(body, `id="outings"`) || !strings.Contains(body, "No outings recorded yet.") || !strings.Contains(body, `id="pairing"`) {
		t.Fatalf("participant page: %d", st)
	}
	if root, paths, circles, _ := chart(t, body); root != "svg" || paths != 0 || circles != 0 {
		t.Fatalf("empty chart: %s, %d paths, %d points", root, paths, circles)
	}
	// Bad outings: clear messages, nothing stored.
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"date": {"2026-03-01"}, "activity": {"Bowling"}, "stage": {"7"}}, "must be 1 (with the coach)"},
		{url.Values{"date": {"2026-03-01"}, "activity": {"Bowling"}, "stage": {"2"}, "cost": {"twelve"}}, "with digits and a decimal point only, such as 12.50"},
		{url.Values{"date": {"2026-07-01"}, "activity": {"Bowling"}, "stage": {"2"}}, "Enter a day no later than today"},
		{url.Values{"date": {"2026-03-01"}, "activity": {""}, "stage": {"2"}}, "say what the outing was"},
	} {
		st, body := b.post("/participants/"+ps[0].ID+"/outings", c.form)
		if st != 422 || !strings.Contains(body, c.want) || !strings.Contains(body, "nothing was saved") {
			t.Errorf("bad outing %v: %d, want %q", c.form, st, c.want)
		}
		if !strings.Contains(body, `value="`+c.form.Get("date")+`"`) {
			t.Errorf("bad outing %v: the form lost what was entered", c.form)
		}
	}
	if os, _ := s.st.Outings.Outings(ctx, ps[0].ID); len(os) != 0 {
		t.Fatalf("refused outings were stored: %+v", os)
	}
	for _, f := range []url.Values{
		{"date": {"2026-01-20"}, "activity": {"Cafe with the coach"}, "stage": {"1"}, "cost": {"4.5"}},
		{"date": {"2026-03-20"}, "activity": {"Museum & <lunch>"}, "stage": {"3"}, "cost": {"$12.50"}},
		{"date": {"2026-04-15"}, "activity": {"Cinema"}, "stage": {"2"}},
	} {
		if st, _ := b.post("/participants/"+ps[0].ID+"/outings", f); st != 200 {
			t.Fatalf("record outing %v: %d", f, st)
		}
	}
	os, _ := s.st.Outings.Outings(ctx, ps[0].ID)
	if len(os) != 3 || os[1].CostCents != 1250 || os[2].CostCents != 450 {
		t.Fatalf("outings %+v", os)
	}
	_, body = b.get("/participants/" + ps[0].ID + "?tab=outings")
	root, paths, circles, titles := chart(t, body)
	// Months 1, 3 and 4 (04-15 is in month 4): one step line, three points.
	if root != "svg" || paths != 1 || circles != 3 {
		t.Fatalf("chart: %s, %d paths, %d points", root, paths, circles)
	}
	if !strings.Contains(strings.Join(titles, "|"), "Month 3: stage 3 (with a friend or the peer partner), 1 outing") {
		t.Fatalf("chart titles %v", titles)
	}
	if !strings.Contains(body, "Museum &amp; &lt;lunch&gt;") || !strings.Contains(body, "$12.50") || !strings.Contains(body, "stage 3, with a friend or the peer partner") {
		t.Fatal("the outings table does not show the outings")
	}
	if strings.Count(body, "<script") != 1 || !strings.Contains(body, `<script src="/static/forms.js" defer></script>`) {
		t.Fatal("the page has a script other than the forms' own")
	}

	// Pairing profile through the form.
	if st, body := b.post("/participants/"+ps[0].ID+"/pairing-profile", url.Values{"interests": {"hiking, board games"}, "gender": {"other"}}); st != 422 || !strings.Contains(body, "Choose woman, man") {
		t.Fatalf("bad profile: %d", st)
	}
	if st, _ := b.post("/participants/"+ps[0].ID+"/pairing-profile", url.Values{"interests": {"Hiking, board games, , cooking"}, "gender": {"man"}, "notes": {"mornings"}}); st != 200 {
		t.Fatalf("profile: %d", st)
	}
	if pp, _ := s.st.Pairs.PairingProfileOf(ctx, ps[0].ID); strings.Join(pp.InterestList(), ",") != "hiking,board games,cooking" || pp.Gender != "man" {
		t.Fatalf("profile stored %+v", pp)
	}
	if _, err := s.st.Pairs.SavePairingProfile(ctx, ps[2].ID, store.PairingProfileInput{Interests: []string{"hiking", "cooking", "board games"}, Gender: "man"}); err != nil {
		t.Fatal(err)
	}

	// The cohort page: suggestions with a one-click form.
	st, body = b.get("/cohorts/" + s.cohort.ID)
	if st != 200 || !strings.Contains(body, `id="pairs"`) || !strings.Contains(body, "Pair these two") || !strings.Contains(body, "4 members have no peer partner yet") {
		t.Fatalf("cohort page: %d", st)
	}
	if !strings.Contains(body, "Avery Example and Casey Example</strong>: shares 3 interests: board games, cooking, hiking; one is at stage 3") {
		t.Fatal("the suggestion is not explained")
	}
	if st, body := b.post("/cohorts/"+s.cohort.ID+"/pairs", url.Values{"participant_id": {ps[0].ID, s.outsider.ID}, "formed_on": {"2026-06-20"}}); st != 422 || !strings.Contains(body, "not a current member") {
		t.Fatalf("pairing a non-member: %d", st)
	}
	if st, _ := b.post("/cohorts/"+s.cohort.ID+"/pairs", url.Values{"participant_id": {ps[0].ID, ps[2].ID}, "formed_on": {"2026-06-20"}}); st != 200 {
		t.Fatalf("pair these two: %d", st)
	}
	if st, _ := b.post("/cohorts/"+s.cohort.ID+"/pairs", url.Values{"participant_a": {ps[1].ID}, "participant_b": {ps[3].ID}, "participant_c": {""}, "formed_on": {"2026-06-20"}}); st != 200 {
		t.Fatalf("pair by hand: %d", st)
	}
	v, _ := s.st.Pairs.CohortPairs(ctx, s.cohort.ID)
	if len(v.Current) != 2 || len(v.Unpaired) != 0 {
		t.Fatalf("after pairing: %+v", v)
	}
	// Ending without a reason: the message, the form kept open, nothing changed.
	var avery store.PairInfo
	for _, p := range v.Current {
		if p.Partners[0].ID == ps[0].ID || p.Partners[1].ID == ps[0].ID {
			avery = p
		}
	}
	endPath := "/cohorts/" + s.cohort.ID + "/pairs/" + avery.ID + "/end"
	st, body = b.post(endPath, url.Values{"ended_on": {"2026-06-20"}, "note": {"they asked"}})
	if st != 422 || !strings.Contains(body, "choose why the pair ends") || !strings.Contains(body, "<details open>") || !strings.Contains(body, "they asked") {
		t.Fatalf("end without a reason: %d", st)
	}
	if v, _ := s.st.Pairs.CohortPairs(ctx, s.cohort.ID); len(v.Current) != 2 {
		t.Fatal("a refused end changed the pairs")
	}
	if st, _ := b.post(endPath, url.Values{"ended_on": {"2026-06-20"}, "reason": {"not_working_well"}, "note": {"they asked"}}); st != 200 {
		t.Fatalf("end: %d", st)
	}
	st, body = b.get("/cohorts/" + s.cohort.ID)
	if st != 200 || !strings.Contains(body, `id="pair-history"`) || !strings.Contains(body, "Not working well: they asked") {
		t.Fatal("the history does not show the ended pair")
	}
	if _, body := b.get("/participants/" + ps[0].ID + "?tab=outings"); !strings.Contains(body, `id="partner-history"`) {
		t.Fatal("the participant page does not show the pairing history")
	}
	// Without the CSRF token nothing happens.
	if st, _ := b.post("/cohorts/"+s.cohort.ID+"/pairs", url.Values{"csrf": {"wrong"}, "participant_id": {ps[0].ID, ps[2].ID}, "formed_on": {"2026-06-20"}}); st != 403 {
		t.Fatalf("wrong CSRF token: %d", st)
	}

	// Another coach: refused on both pages and their forms.
	other := s.browser(s.c2email)
	if st, _ := other.get("/participants/" + ps[0].ID); st != 403 {
		t.Errorf("another coach opens the participant: %d", st)
	}
	if st, _ := other.get("/cohorts/" + s.cohort.ID); st != 403 {
		t.Errorf("another coach opens the cohort: %d", st)
	}
	if st, _ := other.post("/participants/"+ps[0].ID+"/outings", url.Values{"date": {"2026-06-01"}, "activity": {"Walk"}, "stage": {"1"}}); st != 403 {
		t.Errorf("another coach records an outing: %d", st)
	}
	if st, _ := other.post("/cohorts/"+s.cohort.ID+"/pairs", url.Values{"participant_id": {ps[0].ID, ps[2].ID}, "formed_on": {"2026-06-20"}}); st != 403 {
		t.Errorf("another coach pairs: %d", st)
	}
	if os, _ := s.st.Outings.Outings(ctx, ps[0].ID); len(os) != 3 {
		t.Fatal("a refused form stored an outing")
	}
	// Their own group's page renders the section too.
	if st, body := other.get("/cohorts/" + s.other.ID); st != 200 || !strings.Contains(body, "1 member has no peer partner") {
		t.Errorf("the other coach's cohort: %d", st)
	}
}
