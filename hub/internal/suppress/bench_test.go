package suppress_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/suppress"
	"github.com/itsmylife/iml/pkg/contract"
)

// nationalRaw is a national picture shaped like the outcomes benchmark's:
// 2,000 sites of 666 organizations (7 types, 50 states), 75 participants
// a site, nine in ten of a site's model, over three enrollment years.
func nationalRaw(sites int) ([]suppress.Site, map[suppress.Base]map[string]int64) {
	rng := rand.New(rand.NewPCG(42, 7))
	orgs := max(1, sites/3)
	types := []string{"peer_run", "state_mh", "csb_mhc", "church", "mha_affiliate", "nami", "other"}
	typeOf, stateOf := make([]string, orgs), make([]string, orgs)
	for o := range orgs {
		typeOf[o], stateOf[o] = types[rng.IntN(len(types))], "S"+strconv.Itoa(rng.IntN(50))
	}
	var infos []suppress.Site
	raw := map[suppress.Base]map[string]int64{}
	for s := range sites {
		o := s % orgs
		si := testSite("site"+strconv.Itoa(s), "org"+strconv.Itoa(o), typeOf[o], stateOf[o])
		infos = append(infos, si)
		main := rng.IntN(2)
		for p := 0; p < 75; p++ {
			model := contract.Models[main]
			if rng.IntN(10) == 0 {
				model = contract.Models[1-main]
			}
			b := suppress.Base{Site: si.ID, Model: model, Year: 2024 + rng.IntN(3)}
			m := raw[b]
			if m == nil {
				m = map[string]int64{}
				raw[b] = m
			}
			for _, c := range []string{"participants", "first_interviews", "mid_interviews", "closing_interviews", "surveys", "part_participants"} {
				m["total/"+c]++
			}
			if rng.Float64() < 0.7 {
				m["total/hosp_participants"]++
			}
			for ti, tp := range contract.Timepoints {
				for i := 1; i <= 13; i++ {
					k := "pom/" + tp + "/I" + strconv.Itoa(i) + "/"
					m[k+"n"]++
					if rng.Float64() < 0.3+0.2*float64(ti) {
						m[k+"present"]++
					} else {
						m[k+"absent"]++
					}
				}
			}
			for i := 1; i <= 11; i++ {
				k := "survey/S" + strconv.Itoa(i) + "/"
				m[k+contract.SurveyAnswers[min(rng.IntN(6), 3)]]++
				m[k+"n"]++
			}
		}
	}
	return infos, raw
}

// BenchmarkPublication times assembling and suppressing the whole
// lattice of a national picture (what a hub does once per version of
// the rollups, after reading them).
func BenchmarkPublication(b *testing.B) {
	n := 2000
	if v := os.Getenv("IML_BENCH_PUBLICATION_SITES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	sites, raw := nationalRaw(n)
	b.ReportAllocs()
	var l *suppress.Lattice
	for b.Loop() {
		l = build(b, 11, sites, raw)
	}
	hidden := 0
	for _, h := range l.Hidden {
		if h {
			hidden++
		}
	}
	b.ReportMetric(float64(len(l.Nodes)), "nodes")
	b.ReportMetric(float64(len(l.Counts)), "cells")
	b.ReportMetric(float64(hidden)/float64(len(l.Counts))*100, "%hidden")
	b.ReportMetric(float64(l.Primary), "primary")
	b.Logf("hidden share of the protected cells, by level of place, for every model and year / for any:")
	for _, lv := range []string{"", "t:", "s:", "ts:", "o:", "x:"} {
		var all, hid, allAny, hidAny int
		for i, k := range l.Nodes {
			lvl := k.Place
			if j := strings.Index(lvl, ":"); j >= 0 {
				lvl = lvl[:j+1]
			}
			if lvl != lv {
				continue
			}
			for c, cell := range l.Cells {
				if !cell.Protected {
					continue
				}
				h := l.Hidden[i*len(l.Cells)+c]
				allAny++
				if h {
					hidAny++
				}
				if k.Model == suppress.AllModels && k.Year == suppress.AllYears {
					all++
					if h {
						hid++
					}
				}
			}
		}
		b.Logf("  %-4q %5.1f%% of %d   %5.1f%% of %d", lv, 100*float64(hid)/float64(max(all, 1)), all, 100*float64(hidAny)/float64(max(allAny, 1)), allAny)
	}
}

// nationalPaired is nationalRaw with each indicator's paired changes:
// every participant's answers at the three interviews (now and then none)
// counted into the unpaired and paired cells, and a joint per indicator.
func nationalPaired(sites int) ([]suppress.Site, map[suppress.Base]map[string]int64, []suppress.Joint) {
	infos, raw := nationalRaw(sites)
	rng := rand.New(rand.NewPCG(43, 8))
	family := pairCells() // the cells of indicator I1 by atom
	byAtom := make([][]string, pairAtoms)
	for name, atoms := range family {
		for _, a := range atoms {
			byAtom[a] = append(byAtom[a], name)
		}
	}
	var joints []suppress.Joint
	for i := 1; i <= 12; i++ {
		code := "I" + strconv.Itoa(i)
		j := suppress.Joint{Atoms: pairAtoms, Cells: map[string][]int{}}
		for name, atoms := range family {
			j.Cells[strings.Replace(name, "/I1/", "/"+code+"/", 1)] = atoms
		}
		joints = append(joints, j)
	}
	for b, m := range raw {
		for k := range m {
			if strings.HasPrefix(k, "pom/") {
				delete(m, k)
			}
		}
		people := int(m["total/participants"])
		for p := 0; p < people; p++ {
			for i := 1; i <= 12; i++ {
				code := "/I" + strconv.Itoa(i) + "/"
				at := [3]int{}
				for t := range at {
					switch r := rng.Float64(); {
					case t > 0 && r < 0.15:
						at[t] = 2 // no interview then
					case r < 0.3+0.2*float64(t):
						at[t] = 0
					default:
						at[t] = 1
					}
				}
				for _, name := range byAtom[at[0]*9+at[1]*3+at[2]] {
					m[strings.Replace(name, "/I1/", code, 1)]++
				}
			}
		}
		raw[b] = m
	}
	return infos, raw, joints
}

// BenchmarkPublicationPaired is BenchmarkPublication with the paired
// changes and their joints, the picture the hub publishes.
func BenchmarkPublicationPaired(b *testing.B) {
	n := 2000
	if v := os.Getenv("IML_BENCH_PUBLICATION_SITES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	sites, raw, joints := nationalPaired(n)
	b.ReportAllocs()
	var l *suppress.Lattice
	for b.Loop() {
		l = buildJoint(b, 11, sites, raw, joints)
	}
	b.ReportMetric(float64(len(l.Counts)), "cells")
	b.ReportMetric(float64(l.Primary), "primary")
	b.ReportMetric(float64(l.Complements), "complements")
}
