package suppress_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/suppress"
	"github.com/itsmylife/iml/pkg/contract"
)

// testSite is a site of an organization of a type in a state, with its
// places named as the hub names them.
func testSite(id, org, typ, state string) suppress.Site {
	return suppress.Site{ID: id, Places: [6]string{"", "t:" + typ, "s:" + state, "ts:" + typ + "|" + state, "o:" + org, "x:" + id}}
}

// build makes the lattice of counts by base and cell name. Every cell of
// these pictures counts people; an indicator's n adds up its present and
// absent answers, a statement's n its four answers (parts). The cells are
// given in map order, different at each call: the lattice must not
// depend on it.
func build(t testing.TB, min int64, sites []suppress.Site, raw map[suppress.Base]map[string]int64) *suppress.Lattice {
	t.Helper()
	return buildJoint(t, min, sites, raw, nil)
}

// buildJoint is build with joints; the groups of the paired cells
// (pair/<span>/<code>/n) are added too.
func buildJoint(t testing.TB, min int64, sites []suppress.Site, raw map[suppress.Base]map[string]int64, joints []suppress.Joint) *suppress.Lattice {
	t.Helper()
	in := suppress.Input{Min: min, Sites: sites, Counts: map[suppress.Base][]int64{}}
	index := map[string]int{}
	for _, m := range raw {
		for name := range m {
			if _, ok := index[name]; !ok {
				index[name] = len(in.Cells)
				in.Cells = append(in.Cells, suppress.Cell{Name: name, Protected: true})
			}
		}
	}
	for b, m := range raw {
		v := make([]int64, len(in.Cells))
		for name, x := range m {
			v[index[name]] = x
		}
		in.Counts[b] = v
	}
	for _, c := range in.Cells {
		if ps := parts(c.Name); len(ps) > 1 {
			in.Groups = append(in.Groups, suppress.Group{Total: c.Name, Parts: ps})
		}
	}
	in.Joints = joints
	l, err := suppress.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// randomLattice makes a small national picture: organizations of two
// types in two states, a few sites each, records of two models (and now
// and then of none) over two years, with counts that are often small.
func randomLattice(rng *rand.Rand) ([]suppress.Site, map[suppress.Base]map[string]int64) {
	var sites []suppress.Site
	nOrgs := 2 + rng.IntN(4)
	for o := 0; o < nOrgs; o++ {
		org := "org" + strconv.Itoa(o)
		typ, state := []string{"peer_run", "church"}[rng.IntN(2)], []string{"VA", "MD"}[rng.IntN(2)]
		for s := 0; s < 1+rng.IntN(3); s++ {
			sites = append(sites, testSite(org+"-site"+strconv.Itoa(s), org, typ, state))
		}
	}
	raw := map[suppress.Base]map[string]int64{}
	small := func() int64 {
		if rng.IntN(3) == 0 {
			return int64(rng.IntN(40))
		}
		return int64(rng.IntN(8))
	}
	for _, si := range sites {
		for _, model := range []string{contract.ModelPeerPartners, contract.ModelSocialExplorations, ""} {
			for _, year := range []int{2025, 2026} {
				if rng.IntN(3) == 0 || (model == "" && rng.IntN(4) != 0) {
					continue
				}
				present, absent := small(), small()
				m := map[string]int64{
					"total/participants":         present + absent + small(),
					"pom/eligibility/I1/present": present, "pom/eligibility/I1/absent": absent, "pom/eligibility/I1/n": present + absent,
				}
				var n int64
				for _, a := range contract.SurveyAnswers {
					x := small()
					m["survey/S1/"+a] = x
					n += x
				}
				m["survey/S1/n"] = n
				raw[suppress.Base{Site: si.ID, Model: model, Year: year}] = m
			}
		}
	}
	return sites, raw
}

// TestLatticeSuppressionProperty: over many random national pictures,
// no report shows a small cell, and nobody holding every report (every
// combination of filters) can work out a hidden figure exactly, by
// subtracting totals or by combining any number of reports.
func TestLatticeSuppressionProperty(t *testing.T) {
	runs := 300
	if testing.Short() {
		runs = 60
	}
	hiddenTotal := 0
	for seed := 0; seed < runs; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 99))
		sites, raw := randomLattice(rng)
		l := build(t, 11, sites, raw)
		for _, h := range l.Hidden {
			if h {
				hiddenTotal++
			}
		}
		if found := attackLattice(t, l, raw); len(found) > 0 {
			t.Fatalf("seed %d: %d hidden figures can be worked out, such as %v", seed, len(found), found[:min(3, len(found))])
		}
		if l.Uncertified != 0 {
			t.Fatalf("seed %d: %d small cells got no certificate", seed, l.Uncertified)
		}
	}
	if hiddenTotal == 0 {
		t.Fatal("nothing was hidden: the data does not exercise suppression")
	}
	// And a picture shaped like the national one (every indicator and
	// statement, seven types, many states), at 18 sites.
	sites, raw := nationalRaw(18)
	l := build(t, 11, sites, raw)
	if l.Uncertified != 0 {
		t.Fatalf("national shape: %d small cells got no certificate", l.Uncertified)
	}
	if found := attackLattice(t, l, raw); len(found) > 0 {
		t.Fatalf("national shape: %d hidden figures can be worked out, such as %v", len(found), found[:min(3, len(found))])
	}
}

// TestLatticeCrossFilter is the case a report decided one filter at a time
// gets wrong: one organization is the only one with Social Explorations
// participants, so its own report minus the national Social Explorations
// report would give its 4 Peer Partners participants.
func TestLatticeCrossFilter(t *testing.T) {
	sites := []suppress.Site{
		testSite("a1", "A", "peer_run", "VA"),
		testSite("b1", "B", "church", "MD"),
		testSite("b2", "B", "church", "MD"),
	}
	pp, se := contract.ModelPeerPartners, contract.ModelSocialExplorations
	raw := map[suppress.Base]map[string]int64{
		{Site: "a1", Model: pp, Year: 2025}: {"total/participants": 4},
		{Site: "a1", Model: se, Year: 2025}: {"total/participants": 15},
		{Site: "b1", Model: pp, Year: 2025}: {"total/participants": 50},
		{Site: "b2", Model: pp, Year: 2025}: {"total/participants": 45},
	}
	l := build(t, 11, sites, raw)
	c, ok := l.Cell("total/participants")
	if !ok {
		t.Fatal("no cell total/participants")
	}
	cell := func(place, model string) (int64, bool) {
		n, ok := l.Node(suppress.Node{Place: place, Model: model, Year: suppress.AllYears})
		if !ok {
			t.Fatalf("no report of place %q, model %q", place, model)
		}
		return l.Counts[n*len(l.Cells)+c], l.Hidden[n*len(l.Cells)+c]
	}
	if v, hid := cell("o:A", pp); v != 4 || !hid {
		t.Fatalf("A's Peer Partners: %d, hidden %v", v, hid)
	}
	_, orgHidden := cell("o:A", suppress.AllModels)
	_, seHidden := cell("", se)
	if !orgHidden && !seHidden {
		t.Fatal("A's report and the national Social Explorations report are both shown: their difference is A's 4")
	}
	if found := attackLattice(t, l, raw); len(found) > 0 {
		t.Fatalf("worked out: %v", found)
	}
	// The national report stays shown: hiding it protects nothing here.
	if v, hid := cell("", suppress.AllModels); v != 114 || hid {
		t.Fatalf("national: %d, hidden %v", v, hid)
	}
	// Every hidden cell says the same, small or not.
	if got, want := l.Note(), "suppressed (protects counts under 11)"; got != want {
		t.Fatalf("note %q, want %q", got, want)
	}
}

// TestMinOneHidesNothing: a minimum cell of 1 (tests only) hides nothing,
// not even the unknown model.
func TestMinOneHidesNothing(t *testing.T) {
	sites, raw := randomLattice(rand.New(rand.NewPCG(1, 99)))
	l := build(t, 1, sites, raw)
	for i, h := range l.Hidden {
		if h {
			t.Fatalf("cell %d of node %v hidden", i%len(l.Cells), l.Nodes[i/len(l.Cells)])
		}
	}
}

// TestBuildRefusesContradictions: an input that contradicts itself is an
// error, not a lattice resting on a wrong cell.
func TestBuildRefusesContradictions(t *testing.T) {
	site := testSite("a1", "A", "peer_run", "VA")
	cells := []suppress.Cell{{Name: "n", Protected: true}, {Name: "yes", Protected: true}}
	for name, in := range map[string]suppress.Input{
		"a cell named twice":     {Min: 11, Cells: append(cells, suppress.Cell{Name: "n"})},
		"a group of no cell":     {Min: 11, Cells: cells, Groups: []suppress.Group{{Total: "n", Parts: []string{"yes", "no"}}}},
		"more counts than cells": {Min: 11, Sites: []suppress.Site{site}, Cells: cells, Counts: map[suppress.Base][]int64{{Site: "a1"}: {1, 2, 3}}},
	} {
		if _, err := suppress.Build(in); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

// TestLatticeDeterministic: the subproblems run in parallel, yet two
// builds of the same data hide the same cells (replicas must agree).
func TestLatticeDeterministic(t *testing.T) {
	sites, raw := nationalRaw(90)
	a, b := build(t, 11, sites, raw), build(t, 11, sites, raw)
	if len(a.Hidden) != len(b.Hidden) || a.Primary != b.Primary || a.Complements != b.Complements {
		t.Fatalf("two builds differ: %d/%d cells, %d/%d primary, %d/%d complements", len(a.Hidden), len(b.Hidden), a.Primary, b.Primary, a.Complements, b.Complements)
	}
	for i := range a.Hidden {
		if a.Hidden[i] != b.Hidden[i] {
			t.Fatalf("cell %d of node %v: hidden %v, then %v", i%len(a.Cells), a.Nodes[i/len(a.Cells)], a.Hidden[i], b.Hidden[i])
		}
	}
	if a.Primary == 0 || a.Complements == 0 {
		t.Fatalf("%d primary, %d complements: the data does not exercise suppression", a.Primary, a.Complements)
	}
}

// TestLatticeShowsLargeReports: suppression protects small cells without
// hiding the large reports people read: in a national-shaped picture the
// national reports (every model and year, and each of them) and each
// state's report show every figure.
func TestLatticeShowsLargeReports(t *testing.T) {
	sites, raw := nationalRaw(400)
	l := build(t, 11, sites, raw)
	for n, k := range l.Nodes {
		if k.Place != "" && (!strings.HasPrefix(k.Place, "s:") || k.Model != suppress.AllModels || k.Year != suppress.AllYears) {
			continue
		}
		for c, cell := range l.Cells {
			if cell.Protected && l.Hidden[n*len(l.Cells)+c] {
				t.Errorf("report %v hides %s = %d", k, cell.Name, l.Counts[n*len(l.Cells)+c])
			}
		}
	}
}
