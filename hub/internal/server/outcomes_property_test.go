package server_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/program"
)

// figCheck is one figure of a report with what the raw records say it is.
type figCheck struct {
	name string
	fig  outcomes.Figure
	want *float64
	// cells are the counts of people (or surveys) the figure shows or
	// lets one work out, by cell name.
	cells []string
}

func ptrf(v float64) *float64 { return &v }

// reportFigures pairs every figure of a report with its expected value.
func reportFigures(rep outcomes.OutcomeReport, tr map[string]float64) []figCheck {
	var out []figCheck
	count := func(name string, f outcomes.Figure) {
		out = append(out, figCheck{name: name, fig: f, want: ptrf(tr[name]), cells: []string{name}})
	}
	count("total/participants", rep.Participants)
	count("total/first_interviews", rep.FirstInterviews)
	count("total/closing_interviews", rep.ClosingInterviews)
	count("total/surveys", rep.Surveys)
	for _, ind := range rep.Indicators {
		shares := map[string]*float64{}
		for _, x := range []struct {
			tp       string
			n, share outcomes.Figure
		}{{contract.TimepointEligibility, ind.FirstN, ind.FirstShare}, {contract.TimepointMidpoint, ind.MidpointN, ind.MidpointShare}, {contract.TimepointClosing, ind.ClosingN, ind.ClosingShare}} {
			k := "pom/" + x.tp + "/" + ind.Code + "/"
			count(k+"n", x.n)
			shares[x.tp] = ratioOf(tr[k+"present"], tr[k+"n"], 100, 1)
			out = append(out, figCheck{name: k + "share", fig: x.share, want: shares[x.tp], cells: []string{k + "present", k + "absent"}})
		}
		var change *float64
		if a, b := shares[contract.TimepointEligibility], shares[contract.TimepointClosing]; a != nil && b != nil {
			change = ptrf(math.Round((*b-*a)*10) / 10)
		}
		out = append(out, figCheck{name: "pom/change/" + ind.Code, fig: ind.ChangePoints, want: change})
	}
	for _, st := range rep.Statements {
		k := "survey/" + st.Code + "/"
		for i, a := range contract.SurveyAnswers {
			count(k+a, st.Answers[i])
			out = append(out, figCheck{name: k + a + "/share", fig: st.Shares[i], want: ratioOf(tr[k+a], tr[k+"n"], 100, 1), cells: []string{k + "n", k + a}})
		}
		count(k+"n", st.N)
		out = append(out, figCheck{name: k + "highest", fig: st.HighestShare, want: ratioOf(tr[k+contract.AnswerDefinitelyAgree], tr[k+"n"], 100, 1), cells: []string{k + contract.AnswerDefinitelyAgree}})
	}
	h := rep.Hospitalizations
	count("total/hosp_participants", h.Participants)
	out = append(out,
		figCheck{name: "hosp/years", fig: h.ParticipantYears, want: ratioOf(tr["hosp/months"], 12, 1, 1)},
		figCheck{name: "hosp/before", fig: h.BeforeRate, want: ratioOf(tr["hosp/before"], 2*tr["total/hosp_participants"], 1, 2)},
		figCheck{name: "hosp/during", fig: h.DuringRate, want: ratioOf(tr["hosp/during"]*12, tr["hosp/months"], 1, 2)})
	p := rep.Participation
	count("total/part_participants", p.Participants)
	out = append(out,
		figCheck{name: "part/months", fig: p.ParticipantMonths, want: ptrf(tr["part/months"])},
		figCheck{name: "part/attendance", fig: p.AttendanceShare, want: ratioOf(tr["part/attended"], tr["part/held"], 100, 1)},
		figCheck{name: "part/journals", fig: p.JournalShare, want: ratioOf(tr["part/done"], tr["part/due"], 100, 1)},
		figCheck{name: "part/receipts", fig: p.ReceiptShare, want: ratioOf(tr["part/receipts"], tr["part/spend"], 100, 1)},
		figCheck{name: "part/held", fig: p.MeetingsHeld, want: ptrf(tr["part/held"])},
		figCheck{name: "part/attended", fig: p.MeetingsAttended, want: ptrf(tr["part/attended"])},
		figCheck{name: "part/due", fig: p.JournalsDue, want: ptrf(tr["part/due"])},
		figCheck{name: "part/done", fig: p.JournalsCompleted, want: ptrf(tr["part/done"])},
		figCheck{name: "part/stipend", fig: p.StipendSpent, want: ratioOf(tr["part/stipend"], 100, 1, 2)})
	for _, m := range p.Months {
		mk := fmt.Sprintf("month/%02d/", m.Month)
		count(mk+"participants", m.Participants)
		out = append(out,
			figCheck{name: mk + "attendance", fig: m.AttendanceShare, want: ratioOf(tr[mk+"attended"], tr[mk+"held"], 100, 1), cells: []string{mk + "participants"}},
			figCheck{name: mk + "journals", fig: m.JournalShare, want: ratioOf(tr[mk+"done"], tr[mk+"due"], 100, 1), cells: []string{mk + "participants"}},
			figCheck{name: mk + "stipend", fig: m.StipendSpent, want: ratioOf(tr[mk+"stipend"], 100, 1, 2), cells: []string{mk + "participants"}})
	}
	if len(p.Months) == 0 && tr["part/months"] > 0 {
		panic("participation by program month is missing from the report")
	}
	for i, o := range p.OutingsByStage {
		out = append(out, figCheck{name: "part/outings" + strconv.Itoa(i+1), fig: o, want: ptrf(tr["part/outings"+strconv.Itoa(i+1)])})
	}
	for _, s := range rep.Sites {
		k := "site/" + s.SiteID + "/"
		count(k+"participants", s.Participants)
		count(k+"first_interviews", s.FirstInterviews)
		count(k+"closing_interviews", s.ClosingInterviews)
		count(k+"surveys", s.Surveys)
		count(k+"hosp_participants", s.HospParticipants)
	}
	return out
}

// shownReport is what a report shows, checked against the raw records.
type shownReport struct {
	rep    outcomes.OutcomeReport
	truth  map[string]float64
	hidden map[string]bool // cells hidden (or derivable only from hidden figures)
}

func eq(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) < 1e-9
}

// checkReport asserts every figure shown equals the raw records' value
// and that no shown figure rests on a small cell.
func checkReport(t *testing.T, label string, rep outcomes.OutcomeReport, tr map[string]float64, minCell int) shownReport {
	t.Helper()
	sr := shownReport{rep: rep, truth: tr, hidden: map[string]bool{}}
	for _, fc := range reportFigures(rep, tr) {
		if fc.fig.Suppressed {
			if fc.fig.Value != nil || fc.fig.Note != outcomes.SuppressedNote(minCell) {
				t.Fatalf("%s: %s suppressed yet shows %v / note %q", label, fc.name, fc.fig.Value, fc.fig.Note)
			}
			for _, c := range fc.cells {
				sr.hidden[c] = true
			}
			continue
		}
		if !eq(fc.fig.Value, fc.want) {
			t.Fatalf("%s: %s shows %v, the records say %v", label, fc.name, deref(fc.fig.Value), deref(fc.want))
		}
		for _, c := range fc.cells {
			if v := tr[c]; v > 0 && v < float64(minCell) {
				t.Fatalf("%s: %s is shown though it rests on %s = %v, fewer than %d", label, fc.name, c, v, minCell)
			}
		}
	}
	if minCell > 1 {
		checkGroups(t, label, sr, minCell)
	}
	return sr
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// attack tries to recover hidden cells by subtracting the shown ones from
// a shown total; it must never pin down a single hidden cell, nor learn
// that hidden cells add up to fewer than the minimum.
func attack(t *testing.T, label, total string, totalShown bool, cells []string, hidden func(string) bool, value func(string) float64, minCell int) {
	t.Helper()
	if !totalShown {
		return
	}
	n, sum := 0, 0.0
	for _, c := range cells {
		if hidden(c) {
			n++
			sum += value(c)
		}
	}
	// Zero counts are not protected (as CMS publishes): learning that
	// hidden cells add up to 0 discloses no one.
	if sum > 0 && (n == 1 || sum < float64(minCell)) {
		t.Fatalf("%s: %s minus the shown cells reveals %d hidden cell(s) adding up to %v", label, total, n, sum)
	}
}

// checkGroups attacks every additive group within one report.
func checkGroups(t *testing.T, label string, sr shownReport, minCell int) {
	t.Helper()
	h := func(c string) bool { return sr.hidden[c] }
	v := func(c string) float64 { return sr.truth[c] }
	for _, st := range sr.rep.Statements {
		k := "survey/" + st.Code + "/"
		var cells []string
		for _, a := range contract.SurveyAnswers {
			cells = append(cells, k+a)
		}
		attack(t, label, k+"n", !st.N.Suppressed, cells, h, v, minCell)
	}
	for _, col := range []string{"participants", "first_interviews", "closing_interviews", "surveys", "hosp_participants"} {
		var all []string
		for _, s := range sr.rep.Sites {
			all = append(all, "site/"+s.SiteID+"/"+col)
		}
		attack(t, label, "total/"+col, !sr.hidden["total/"+col], all, h, v, minCell)
	}
}

// outcomeWorld is the hub under test with its synthetic sites.
type outcomeWorld struct {
	h     *hub
	g     *synth
	token string
	orgs  []store.Organization
}

func (w *outcomeWorld) report(t *testing.T, f outcomes.OutcomeFilter) outcomes.OutcomeReport {
	t.Helper()
	q := ""
	for k, v := range map[string]string{"org": f.OrgID, "org_type": f.OrgType, "state": f.State, "model": f.Model, "site": f.SiteID} {
		if v != "" {
			q += "&" + k + "=" + v
		}
	}
	if f.Year != 0 {
		q += "&year=" + strconv.Itoa(f.Year)
	}
	resp, b := w.h.do(t, request{method: http.MethodGet, path: "/api/v1/outcomes/report?" + strings.TrimPrefix(q, "&"), header: map[string]string{"Authorization": "Bearer " + w.token}})
	var rep outcomes.OutcomeReport
	wantJSON(t, resp, b, &rep)
	return rep
}

// newOutcomeWorld makes three organizations (two types, two states) with
// two sites each, random records at every site with corrections and
// withdrawals, all stored through ingest and projected in small passes.
func newOutcomeWorld(t *testing.T, dsn string, seed uint64, minCell int) *outcomeWorld {
	t.Helper()
	ctx := context.Background()
	h := newHubWith(t, dsn, func(string) server.Config { return server.Config{MinCell: minCell} })
	g := &synth{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), orgOf: map[string]store.Organization{}, latest: map[string]synthRecord{}}
	w := &outcomeWorld{h: h, g: g}
	for i, o := range []struct{ name, typ, state string }{{"Riverside Peer Center", "peer_run", "VA"}, {"Hill County CSB", "csb_mhc", "VA"}, {"Bay NAMI", "peer_run", "MD"}} {
		org, err := affiliates.New(h.st).AddOrganization(ctx, o.name, o.typ, o.state)
		if err != nil {
			t.Fatal(err)
		}
		w.orgs = append(w.orgs, org)
		for j := 0; j < 2; j++ {
			s, _ := h.site(o.name+" site "+strconv.Itoa(i*2+j), &org)
			g.sites = append(g.sites, s)
			g.orgOf[s.ID] = org
		}
	}
	byKey := g.generate(program.Default())
	all := append([]string(nil), g.order...)
	g.push(t, h, all, 1)
	project(t, h.st, 97) // small passes: sites' rollups refreshed many times
	g.push(t, h, g.correct(0.1), 2)
	project(t, h.st, 500)
	g.push(t, h, g.withdraw(byKey, 0.1), 3)
	project(t, h.st, 500)
	const pw = "correct horse battery staple"
	if _, err := staff.New(h.st).AddUser(ctx, "analyst@example.org", "Ana Lyst", store.RoleAnalyst, "", pw); err != nil {
		t.Fatal(err)
	}
	_, tok, err := staff.New(h.st).Login(ctx, "analyst@example.org", pw)
	if err != nil {
		t.Fatal(err)
	}
	w.token = tok
	return w
}

func project(t *testing.T, st *store.Store, limit int) {
	t.Helper()
	for {
		n, err := intake.New(st).ProjectPending(context.Background(), limit)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// filters are every filter the report takes and every combination of
// them: each place (national, type, state, type and state, organization,
// site) with each model or none and each year or none.
func (w *outcomeWorld) filters() []outcomes.OutcomeFilter {
	places := []outcomes.OutcomeFilter{{}}
	for _, typ := range []string{"peer_run", "csb_mhc"} {
		places = append(places, outcomes.OutcomeFilter{OrgType: typ})
		for _, st := range []string{"VA", "MD"} {
			places = append(places, outcomes.OutcomeFilter{OrgType: typ, State: st})
		}
	}
	for _, st := range []string{"VA", "MD"} {
		places = append(places, outcomes.OutcomeFilter{State: st})
	}
	for _, o := range w.orgs {
		places = append(places, outcomes.OutcomeFilter{OrgID: o.ID})
	}
	for _, s := range w.g.sites {
		places = append(places, outcomes.OutcomeFilter{SiteID: s.ID})
	}
	var fs []outcomes.OutcomeFilter
	for _, pl := range places {
		for _, m := range append([]string{""}, contract.Models...) {
			for _, y := range []int{0, 2025, 2026} {
				f := pl
				f.Model, f.Year = m, y
				fs = append(fs, f)
			}
		}
	}
	return fs
}

// siblings are the filters that differ from f only in dimension d, with
// the filter they add up to (f without d; a site's parent is its
// organization).
func (w *outcomeWorld) siblings(f outcomes.OutcomeFilter, d string) (parent outcomes.OutcomeFilter, sibs []outcomes.OutcomeFilter, unknown bool) {
	parent = f
	switch d {
	case "site":
		parent.SiteID, parent.OrgID = "", w.g.orgOf[f.SiteID].ID
		for _, s := range w.g.sites {
			if w.g.orgOf[s.ID].ID == parent.OrgID {
				x := f
				x.SiteID = s.ID
				sibs = append(sibs, x)
			}
		}
	case "org":
		parent.OrgID = ""
		for _, o := range w.orgs {
			x := f
			x.OrgID = o.ID
			sibs = append(sibs, x)
		}
	case "org_type":
		parent.OrgType = ""
		for _, typ := range []string{"peer_run", "csb_mhc"} {
			x := f
			x.OrgType = typ
			sibs = append(sibs, x)
		}
	case "state":
		parent.State = ""
		for _, st := range []string{"VA", "MD"} {
			x := f
			x.State = st
			sibs = append(sibs, x)
		}
	case "model":
		parent.Model = ""
		for _, m := range contract.Models {
			x := f
			x.Model = m
			sibs = append(sibs, x)
		}
		unknown = true // the unknown model has no filter: always hidden
	case "year":
		parent.Year = 0
		for _, y := range []int{2025, 2026} {
			x := f
			x.Year = y
			sibs = append(sibs, x)
		}
	}
	return parent, sibs, unknown
}

func setDims(f outcomes.OutcomeFilter) []string {
	var ds []string
	if f.SiteID != "" {
		ds = append(ds, "site")
	}
	if f.OrgID != "" && f.SiteID == "" {
		ds = append(ds, "org")
	}
	if f.OrgType != "" {
		ds = append(ds, "org_type")
	}
	if f.State != "" {
		ds = append(ds, "state")
	}
	if f.Model != "" {
		ds = append(ds, "model")
	}
	if f.Year != 0 {
		ds = append(ds, "year")
	}
	return ds
}

// TestOutcomesProperty: for random synthetic data at several sites with
// corrections and withdrawals, every figure the hub's report shows, for
// every filter looked at, equals an independent computation from the
// sites' records; with suppression, no shown figure rests on a small
// cell, and no hidden cell can be recovered from a table's total nor from
// a parent report minus its other filters.
func TestOutcomesProperty(t *testing.T) {
	seeds := []uint64{1, 2}
	if s := os.Getenv("IML_PROPERTY_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seeds = []uint64{n}
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			for _, seed := range seeds {
				for _, minCell := range []int{1, 5} {
					t.Run("seed"+strconv.FormatUint(seed, 10)+"/min"+strconv.Itoa(minCell), func(t *testing.T) {
						dsn := dbtest.SQLitePath(t)
						if kind == "postgres" {
							dsn = dbtest.PostgresDSN(t)
						}
						w := newOutcomeWorld(t, dsn, seed, minCell)
						shown := map[outcomes.OutcomeFilter]shownReport{}
						get := func(f outcomes.OutcomeFilter) shownReport {
							if sr, ok := shown[f]; ok {
								return sr
							}
							sr := checkReport(t, filterLabel(f), w.report(t, f), w.g.truth(f), minCell)
							shown[f] = sr
							return sr
						}
						hiddenSomewhere := 0
						for _, f := range w.filters() {
							sr := get(f)
							hiddenSomewhere += len(sr.hidden)
							// Across filters: every report against its parent
							// along each of its dimensions (a site within its
							// organization) and the siblings that add up to it.
							if minCell == 1 {
								continue
							}
							for _, d := range setDims(f) {
								parent, sibs, unknown := w.siblings(f, d)
								p := get(parent)
								for name := range p.truth {
									if !isCount(name) || p.hidden[name] {
										continue
									}
									var cells []string
									hid := map[string]bool{}
									val := map[string]float64{}
									rest := p.truth[name]
									for i, sf := range sibs {
										s := get(sf)
										c := strconv.Itoa(i)
										cells = append(cells, c)
										// A site missing from a report's breakdown is known to be 0 there.
										hid[c], val[c] = s.hidden[name] && s.has(name), s.truth[name]
										rest -= s.truth[name]
									}
									if unknown {
										cells = append(cells, "unknown")
										hid["unknown"], val["unknown"] = true, rest
									}
									attack(t, filterLabel(f)+" along "+d+", "+name, filterLabel(parent), true, cells,
										func(c string) bool { return hid[c] }, func(c string) float64 { return val[c] }, minCell)
								}
							}
						}
						if minCell == 1 && hiddenSomewhere != 0 {
							t.Fatalf("with a minimum cell of 1, %d cells are hidden", hiddenSomewhere)
						}
						if minCell > 1 && hiddenSomewhere == 0 {
							t.Fatalf("with a minimum cell of %d nothing was hidden: the data does not exercise suppression", minCell)
						}
					})
				}
			}
		})
	}
}

// has reports whether a report shows a cell at all (a site absent from a
// filtered report's breakdown has no row).
func (sr shownReport) has(name string) bool {
	if !strings.HasPrefix(name, "site/") {
		return true
	}
	id := strings.Split(name, "/")[1]
	for _, s := range sr.rep.Sites {
		if s.SiteID == id {
			return true
		}
	}
	return false
}

func isCount(name string) bool {
	switch {
	case strings.HasPrefix(name, "pom/"), strings.HasPrefix(name, "survey/"), strings.HasPrefix(name, "site/"):
		return true
	case strings.HasPrefix(name, "total/"):
		return true
	}
	return false
}

func filterLabel(f outcomes.OutcomeFilter) string {
	var parts []string
	for _, kv := range [][2]string{{"org", f.OrgID}, {"type", f.OrgType}, {"state", f.State}, {"model", f.Model}, {"site", f.SiteID}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1][:min(8, len(kv[1]))])
		}
	}
	if f.Year != 0 {
		parts = append(parts, "year="+strconv.Itoa(f.Year))
	}
	if len(parts) == 0 {
		return "national"
	}
	return strings.Join(parts, ",")
}
