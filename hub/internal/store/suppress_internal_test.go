package store

import (
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/contract"
)

// testPublication assembles a publication from counts by base, without a
// database.
func testPublication(min int64, sites []siteInfo, raw map[pubBase]map[string]int64) *publication {
	p := &publication{min: min, sites: map[string]siteInfo{}, orgs: map[string]siteInfo{}}
	for _, si := range sites {
		p.sites[si.ID] = si
		p.orgs[si.OrgID] = si
	}
	var r rawCells
	for b, m := range raw {
		for k, v := range m {
			i := r.cell(k)
			r.at(b)[i] += v
		}
	}
	p.assemble(&r)
	return p
}

// covers reports whether a node's report counts a base.
func (p *publication) covers(k nodeKey, b pubBase) bool {
	pl := placesOf(p.sites[b.site])
	return strings.Contains(strings.Join(pl[:], "\x00")+"\x00", k.place+"\x00") && (k.model == modelAll || k.model == b.model) && (k.year == 0 || k.year == b.year)
}

// parts are the base cells a cell adds up: an indicator's n is its present
// and absent answers, a statement's n its four answers.
func parts(cell string) []string {
	f := strings.Split(cell, "/")
	switch {
	case f[0] == "pom" && f[3] == "n":
		b := strings.Join(f[:3], "/") + "/"
		return []string{b + "present", b + "absent"}
	case f[0] == "survey" && f[2] == "n":
		var out []string
		for _, a := range contract.SurveyAnswers {
			out = append(out, f[0]+"/"+f[1]+"/"+a)
		}
		return out
	}
	return []string{cell}
}

// prime is the field the attack solves in: exact for these small systems.
const prime = (1 << 61) - 1

func mulmod(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	// (hi*2^64 + lo) mod (2^61-1)
	r := (lo & prime) + (lo >> 61) + (hi << 3)
	for r >= prime {
		r -= prime
	}
	return r
}

func powmod(a, e uint64) uint64 {
	r := uint64(1)
	for ; e > 0; e >>= 1 {
		if e&1 == 1 {
			r = mulmod(r, a)
		}
		a = mulmod(a, a)
	}
	return r
}

// span is a row-reduced basis over the prime field.
type span struct {
	rows  map[int][]uint64 // pivot column -> row with 1 there
	order []int
}

// reduce returns v minus its projection on the basis.
func (s *span) reduce(v []uint64) []uint64 {
	v = append([]uint64(nil), v...)
	for _, c := range s.order {
		if f := v[c]; f != 0 {
			r := s.rows[c]
			for j := range v {
				if r[j] != 0 {
					v[j] = (v[j] + prime - mulmod(f, r[j])) % prime
				}
			}
		}
	}
	return v
}

func (s *span) add(v []uint64) {
	v = s.reduce(v)
	for c, x := range v {
		if x != 0 {
			inv := powmod(x, prime-2)
			for j := range v {
				v[j] = mulmod(v[j], inv)
			}
			s.rows[c] = v
			s.order = append(s.order, c)
			return
		}
	}
}

func zero(v []uint64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// attackLattice is someone with every report of the publication: every
// shown figure is a sum of base cells; a hidden figure is pinned down when
// it is a linear combination of shown ones. It returns the small hidden
// figures (1 to min-1) that can be worked out exactly, the unknown
// model's (which no report shows) included, and fails on any shown small
// cell or any shown figure of the unknown model.
func attackLattice(t *testing.T, p *publication, raw map[pubBase]map[string]int64) []string {
	t.Helper()
	var bases []pubBase
	for b := range raw {
		bases = append(bases, b)
	}
	var found []string
	// One system per group of cells that share base cells.
	groups := map[string][]int{} // group total -> its cells
	for i, c := range p.cells {
		if !isCell(c) {
			continue
		}
		ps := parts(c)
		key := ps[0]
		if len(ps) == 1 {
			for j, d := range p.cells {
				if j != i && isCell(d) && len(parts(d)) > 1 && strings.Contains(strings.Join(parts(d), ","), c) {
					key = parts(d)[0]
				}
			}
		}
		groups[key] = append(groups[key], i)
	}
	for _, cells := range groups {
		unknown := map[string]int{}
		for _, b := range bases {
			for _, ci := range cells {
				for _, part := range parts(p.cells[ci]) {
					k := b.site + "|" + b.model + "|" + strconv.Itoa(b.year) + "|" + part
					if _, ok := unknown[k]; !ok {
						unknown[k] = len(unknown)
					}
				}
			}
		}
		vec := func(k nodeKey, cell string) []uint64 {
			v := make([]uint64, len(unknown))
			for _, b := range bases {
				if p.covers(k, b) {
					for _, part := range parts(cell) {
						v[unknown[b.site+"|"+b.model+"|"+strconv.Itoa(b.year)+"|"+part]] = 1
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
		for n, k := range p.keys {
			for _, ci := range cells {
				val, hid := p.vals[n*len(p.cells)+ci], p.hidden[n*len(p.cells)+ci]
				name := k.place + "," + k.model + "," + strconv.Itoa(k.year) + "," + p.cells[ci]
				switch {
				case !hid && k.model == "":
					t.Fatalf("%s of the unknown model shown", name)
				case !hid && val > 0 && val < p.min:
					t.Fatalf("%s = %d shown", name, val)
				case !hid:
					sp.add(vec(k, p.cells[ci]))
				case val > 0 && val < p.min:
					targets = append(targets, target{name + "=" + strconv.FormatInt(val, 10), vec(k, p.cells[ci])})
				}
			}
		}
		for _, tg := range targets {
			if zero(sp.reduce(tg.v)) {
				found = append(found, tg.name)
			}
		}
	}
	return found
}

// randomLattice makes a small national picture: organizations of two
// types in two states, a few sites each, records of two models (and now
// and then of none) over two years, with counts that are often small.
func randomLattice(rng *rand.Rand) ([]siteInfo, map[pubBase]map[string]int64) {
	var sites []siteInfo
	nOrgs := 2 + rng.IntN(4)
	for o := 0; o < nOrgs; o++ {
		org := "org" + strconv.Itoa(o)
		typ, state := []string{"peer_run", "church"}[rng.IntN(2)], []string{"VA", "MD"}[rng.IntN(2)]
		for s := 0; s < 1+rng.IntN(3); s++ {
			sites = append(sites, siteInfo{ID: org + "-site" + strconv.Itoa(s), Name: "Site", OrgID: org, OrgName: org, OrgType: typ, State: state})
		}
	}
	raw := map[pubBase]map[string]int64{}
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
				raw[pubBase{si.ID, model, year}] = m
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
		p := testPublication(11, sites, raw)
		for _, h := range p.hidden {
			if h {
				hiddenTotal++
			}
		}
		if found := attackLattice(t, p, raw); len(found) > 0 {
			t.Fatalf("seed %d: %d hidden figures can be worked out, such as %v", seed, len(found), found[:min(3, len(found))])
		}
		if p.uncertified != 0 {
			t.Fatalf("seed %d: %d small cells got no certificate", seed, p.uncertified)
		}
	}
	if hiddenTotal == 0 {
		t.Fatal("nothing was hidden: the data does not exercise suppression")
	}
	// And a picture shaped like the national one (every indicator and
	// statement, seven types, many states), at 18 sites.
	sites, raw := nationalRaw(18)
	p := testPublication(11, sites, raw)
	if p.uncertified != 0 {
		t.Fatalf("national shape: %d small cells got no certificate", p.uncertified)
	}
	if found := attackLattice(t, p, raw); len(found) > 0 {
		t.Fatalf("national shape: %d hidden figures can be worked out, such as %v", len(found), found[:min(3, len(found))])
	}
}

// TestLatticeCrossFilter is the case a report decided one filter at a time
// gets wrong: one organization is the only one with Social Explorations
// participants, so its own report minus the national Social Explorations
// report would give its 4 Peer Partners participants.
func TestLatticeCrossFilter(t *testing.T) {
	sites := []siteInfo{
		{ID: "a1", OrgID: "A", OrgType: "peer_run", State: "VA"},
		{ID: "b1", OrgID: "B", OrgType: "church", State: "MD"},
		{ID: "b2", OrgID: "B", OrgType: "church", State: "MD"},
	}
	pp, se := contract.ModelPeerPartners, contract.ModelSocialExplorations
	raw := map[pubBase]map[string]int64{
		{"a1", pp, 2025}: {"total/participants": 4},
		{"a1", se, 2025}: {"total/participants": 15},
		{"b1", pp, 2025}: {"total/participants": 50},
		{"b2", pp, 2025}: {"total/participants": 45},
	}
	p := testPublication(11, sites, raw)
	cell := func(f OutcomeFilter) (int64, bool) {
		v := p.view(f)
		return v.val("total/participants"), v.hid("total/participants")
	}
	if v, hid := cell(OutcomeFilter{OrgID: "A", Model: pp}); v != 4 || !hid {
		t.Fatalf("A's Peer Partners: %d, hidden %v", v, hid)
	}
	_, orgHidden := cell(OutcomeFilter{OrgID: "A"})
	_, seHidden := cell(OutcomeFilter{Model: se})
	if !orgHidden && !seHidden {
		t.Fatal("A's report and the national Social Explorations report are both shown: their difference is A's 4")
	}
	if found := attackLattice(t, p, raw); len(found) > 0 {
		t.Fatalf("worked out: %v", found)
	}
	// The national report stays shown: hiding it protects nothing here.
	if v, hid := cell(OutcomeFilter{}); v != 114 || hid {
		t.Fatalf("national: %d, hidden %v", v, hid)
	}
	// A filter that matches nothing is an empty report, not an error.
	if v, hid := cell(OutcomeFilter{OrgID: "A", SiteID: "b1"}); v != 0 || hid {
		t.Fatalf("site of another organization: %d, hidden %v", v, hid)
	}
}

// TestLatticeDeterministic: the subproblems run in parallel, yet two
// builds of the same data hide the same cells (replicas must agree).
func TestLatticeDeterministic(t *testing.T) {
	sites, raw := nationalRaw(90)
	a, b := testPublication(11, sites, raw), testPublication(11, sites, raw)
	if len(a.hidden) != len(b.hidden) || a.primary != b.primary || a.complements != b.complements {
		t.Fatalf("two builds differ: %d/%d cells, %d/%d primary, %d/%d complements", len(a.hidden), len(b.hidden), a.primary, b.primary, a.complements, b.complements)
	}
	for i := range a.hidden {
		if a.hidden[i] != b.hidden[i] {
			t.Fatalf("cell %d of node %v: hidden %v, then %v", i%len(a.cells), a.keys[i/len(a.cells)], a.hidden[i], b.hidden[i])
		}
	}
	if a.primary == 0 || a.complements == 0 {
		t.Fatalf("%d primary, %d complements: the data does not exercise suppression", a.primary, a.complements)
	}
}

// TestLatticeShowsLargeReports: suppression protects small cells without
// hiding the large reports people read: in a national-shaped picture the
// national reports (every model and year, and each of them) and each
// state's report show every figure.
func TestLatticeShowsLargeReports(t *testing.T) {
	sites, raw := nationalRaw(400)
	p := testPublication(11, sites, raw)
	for n, k := range p.keys {
		if k.place != "" && (!strings.HasPrefix(k.place, "s:") || k.model != modelAll || k.year != 0) {
			continue
		}
		for c, name := range p.cells {
			if isCell(name) && p.hidden[n*len(p.cells)+c] {
				t.Errorf("report %v hides %s = %d", k, name, p.vals[n*len(p.cells)+c])
			}
		}
	}
}
