package suppress_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/itsmylife/iml/hub/internal/suppress"
	"github.com/itsmylife/iml/pkg/contract"
)

// The picture of one indicator as the hub reports it: the answers at each
// timepoint (unpaired) and the paired changes from the first interview to
// the mid-point (mf) and to the closing one (cf). Its atoms are the
// participants by their answer at the three timepoints: present (0),
// absent (1) or none (2), as first*9 + mid*3 + closing.
const pairAtoms = 27

// pairCells maps each cell of the picture to the atoms it adds up,
// written here apart from the hub's own mapping.
func pairCells() map[string][]int {
	out := map[string][]int{}
	add := func(name string, ok func(f, m, c int) bool) {
		for f := 0; f < 3; f++ {
			for m := 0; m < 3; m++ {
				for c := 0; c < 3; c++ {
					if ok(f, m, c) {
						out[name] = append(out[name], f*9+m*3+c)
					}
				}
			}
		}
	}
	for i, tp := range []string{"eligibility", "midpoint", "closing"} {
		at := func(f, m, c int) int { return []int{f, m, c}[i] }
		add("pom/"+tp+"/I1/present", func(f, m, c int) bool { return at(f, m, c) == 0 })
		add("pom/"+tp+"/I1/absent", func(f, m, c int) bool { return at(f, m, c) == 1 })
		add("pom/"+tp+"/I1/n", func(f, m, c int) bool { return at(f, m, c) < 2 })
	}
	for _, span := range []struct {
		name  string
		later func(m, c int) int
	}{{"mf", func(m, _ int) int { return m }}, {"cf", func(_, c int) int { return c }}} {
		b := "pair/" + span.name + "/I1/"
		add(b+"both", func(f, m, c int) bool { return f == 0 && span.later(m, c) == 0 })
		add(b+"gained", func(f, m, c int) bool { return f == 1 && span.later(m, c) == 0 })
		add(b+"lost", func(f, m, c int) bool { return f == 0 && span.later(m, c) == 1 })
		add(b+"neither", func(f, m, c int) bool { return f == 1 && span.later(m, c) == 1 })
		add(b+"n", func(f, m, c int) bool { return f < 2 && span.later(m, c) < 2 })
	}
	return out
}

// randomPairs makes a picture of sites with participants spread over the
// atoms, often few of them.
func randomPairs(rng *rand.Rand) ([]suppress.Site, map[suppress.Base][]int64) {
	var sites []suppress.Site
	for o := 0; o < 2+rng.IntN(3); o++ {
		org := "org" + strconv.Itoa(o)
		typ, state := []string{"peer_run", "church"}[rng.IntN(2)], []string{"VA", "MD"}[rng.IntN(2)]
		for s := 0; s < 1+rng.IntN(3); s++ {
			sites = append(sites, testSite(org+"-site"+strconv.Itoa(s), org, typ, state))
		}
	}
	atoms := map[suppress.Base][]int64{}
	for _, si := range sites {
		for _, model := range []string{contract.ModelPeerPartners, contract.ModelSocialExplorations} {
			if rng.IntN(3) == 0 {
				continue
			}
			v := make([]int64, pairAtoms)
			complete := rng.IntN(2) == 0     // every participant answered at every interview
			for a := range v[:pairAtoms-1] { // the last is no answer at all
				if partial := a/9 == 2 || a/3%3 == 2 || a%3 == 2; (!complete || !partial) && rng.IntN(3) == 0 {
					v[a] = int64(rng.IntN(6))
				}
			}
			// Most participants have all three interviews.
			v[0*9+0*3+0] += int64(rng.IntN(12))
			v[1*9+0*3+0] += int64(rng.IntN(8))
			atoms[suppress.Base{Site: si.ID, Model: model, Year: 2025}] = v
		}
	}
	return sites, atoms
}

// pairInput is the suppression input of a picture, with or without the
// joint that ties paired and unpaired cells.
func pairInput(min int64, sites []suppress.Site, atoms map[suppress.Base][]int64, withJoint bool) (suppress.Input, map[string][]int) {
	cells := pairCells()
	in := suppress.Input{Min: min, Sites: sites, Counts: map[suppress.Base][]int64{}}
	var names []string
	for name := range cells {
		names = append(names, name)
		in.Cells = append(in.Cells, suppress.Cell{Name: name, Protected: true})
	}
	for b, v := range atoms {
		counts := make([]int64, len(names))
		for i, name := range names {
			for _, a := range cells[name] {
				counts[i] += v[a]
			}
		}
		in.Counts[b] = counts
	}
	for _, tp := range []string{"eligibility", "midpoint", "closing"} {
		b := "pom/" + tp + "/I1/"
		in.Groups = append(in.Groups, suppress.Group{Total: b + "n", Parts: []string{b + "present", b + "absent"}})
	}
	for _, span := range []string{"mf", "cf"} {
		b := "pair/" + span + "/I1/"
		in.Groups = append(in.Groups, suppress.Group{Total: b + "n", Parts: []string{b + "both", b + "gained", b + "lost", b + "neither"}})
	}
	if withJoint {
		in.Joints = []suppress.Joint{{Atoms: pairAtoms, Cells: cells}}
	}
	return in, cells
}

// attackPairs is someone holding every report, who knows how the cells add
// up from the atoms of each site, model and year, and that no count is
// negative (a shown zero makes each of its atoms zero). It returns the
// hidden small cells they can work out exactly.
func attackPairs(t *testing.T, l *suppress.Lattice, cells map[string][]int, atoms map[suppress.Base][]int64) []string {
	t.Helper()
	var bases []suppress.Base
	for b := range atoms {
		bases = append(bases, b)
	}
	places := map[string][6]string{}
	for _, si := range l.Sites {
		places[si.ID] = si.Places
	}
	unknowns := len(bases) * pairAtoms
	vec := func(k suppress.Node, atomsOf []int) []uint64 {
		v := make([]uint64, unknowns)
		for bi, b := range bases {
			if covers(places, k, b) {
				for _, a := range atomsOf {
					v[bi*pairAtoms+a] = 1
				}
			}
		}
		return v
	}
	sp := &span{rows: map[int][]uint64{}}
	type target struct {
		name string
		v    []uint64
	}
	var targets []target
	for n, k := range l.Nodes {
		for ci, c := range l.Cells {
			val, hid := l.Counts[n*len(l.Cells)+ci], l.Hidden[n*len(l.Cells)+ci]
			name := k.Place + "," + k.Model + "," + strconv.Itoa(k.Year) + "," + c.Name + "=" + strconv.FormatInt(val, 10)
			switch {
			case !hid && val > 0 && val < l.Min:
				t.Fatalf("%s shown", name)
			case !hid && val == 0:
				for _, a := range cells[c.Name] {
					sp.add(vec(k, []int{a}))
				}
			case !hid:
				sp.add(vec(k, cells[c.Name]))
			case val > 0 && val < l.Min:
				targets = append(targets, target{name, vec(k, cells[c.Name])})
			}
		}
	}
	var found []string
	for _, tg := range targets {
		if zero(sp.reduce(tg.v)) {
			found = append(found, tg.name)
		}
	}
	return found
}

// TestPairedChangesGiveNothingAway: the paired changes count the same
// participants as the answers at each timepoint. Without the joint,
// someone holding every report works small hidden answers out of shown
// paired counts (or the other way round); with it, over many random
// pictures, nothing small can be worked out, and paired changes are still
// shown where they are safe.
func TestPairedChangesGiveNothingAway(t *testing.T) {
	runs := 120
	if testing.Short() {
		runs = 30
	}
	leakedWithout, shownPairs := 0, 0
	for seed := 0; seed < runs; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		sites, atoms := randomPairs(rng)
		in, cells := pairInput(5, sites, atoms, false)
		l, err := suppress.Build(in)
		if err != nil {
			t.Fatal(err)
		}
		leakedWithout += len(attackPairs(t, l, cells, atoms))

		in, cells = pairInput(5, sites, atoms, true)
		l, err = suppress.Build(in)
		if err != nil {
			t.Fatal(err)
		}
		if found := attackPairs(t, l, cells, atoms); len(found) > 0 {
			t.Fatalf("seed %d: %d hidden figures can be worked out, such as %v", seed, len(found), found[:min(3, len(found))])
		}
		if l.Uncertified != 0 {
			t.Fatalf("seed %d: %d small cells without a certificate", seed, l.Uncertified)
		}
		c, _ := l.Cell("pair/cf/I1/gained")
		for n := range l.Nodes {
			if !l.Hidden[n*len(l.Cells)+c] && l.Counts[n*len(l.Cells)+c] > 0 {
				shownPairs++
			}
		}
	}
	if leakedWithout == 0 {
		t.Fatal("without the joint nothing leaked: the pictures do not exercise it")
	}
	if shownPairs == 0 {
		t.Fatal("no paired change is ever shown: the joint hides everything")
	}
	t.Logf("without the joint %d small figures could be worked out; with it none, and %d paired gains shown", leakedWithout, shownPairs)
}

// TestJointRefusesContradictions: a joint naming no cell, or an atom out of
// range, is an error.
func TestJointRefusesContradictions(t *testing.T) {
	cells := []suppress.Cell{{Name: "a", Protected: true}, {Name: "b", Protected: true}}
	two := []suppress.Joint{{Atoms: 1, Cells: map[string][]int{"a": {0}}}, {Atoms: 1, Cells: map[string][]int{"a": {0}}}}
	if _, err := suppress.Build(suppress.Input{Min: 5, Cells: cells, Joints: two}); err == nil {
		t.Error("a cell in two joints: built")
	}
	for name, j := range map[string]suppress.Joint{
		"a cell that is not one": {Atoms: 2, Cells: map[string][]int{"c": {0}}},
		"an atom out of range":   {Atoms: 2, Cells: map[string][]int{"a": {2}}},
		"a negative atom":        {Atoms: 2, Cells: map[string][]int{"a": {-1}}},
	} {
		if _, err := suppress.Build(suppress.Input{Min: 5, Cells: cells, Joints: []suppress.Joint{j}}); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}
