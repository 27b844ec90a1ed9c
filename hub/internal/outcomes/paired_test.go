package outcomes_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/program"
)

// TestPairedPOMReport: the POM report's paired changes count, per
// indicator, the participants who answered it at their first interview
// and at the later one, as a count written here from the interviews
// themselves finds them: at one site and nationally, with interviews that
// leave indicators out, participants without a later interview, and a
// first interview corrected by a new version. At a minimum cell of 5 the
// paired changes of a site of few participants are hidden, and said so.
func TestPairedPOMReport(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		siteA, siteB := storetest.EnrolledSite(t, s, "A").ID, storetest.EnrolledSite(t, s, "B").ID
		rng := rand.New(rand.NewPCG(3, 4))
		var codes []string
		for _, it := range program.Default().POM.Items[:6] {
			codes = append(codes, it.Code)
		}
		type key struct{ site, span, code string }
		want := map[key][4]int{} // both, gained, lost, neither
		for p := 0; p < 40; p++ {
			site := siteA
			if p%2 == 1 {
				site = siteB
			}
			person := uuid.NewString()
			answers := map[string]map[string]bool{}
			for _, tp := range []string{contract.TimepointEligibility, contract.TimepointMidpoint, contract.TimepointClosing} {
				if tp != contract.TimepointEligibility && rng.IntN(4) == 0 {
					continue // no interview then
				}
				a := map[string]bool{}
				for _, c := range codes {
					if rng.IntN(6) != 0 { // now and then an indicator left out
						a[c] = rng.IntN(2) == 0
					}
				}
				answers[tp] = a
				id := deident.NewRecordID(time.Now())
				if tp == contract.TimepointEligibility && p%5 == 0 {
					// A first version the site corrected later.
					wrong := map[string]bool{}
					for c, v := range a {
						wrong[c] = !v
					}
					push(t, s, site, storetest.Interview(t, id, person, tp, 1, wrong))
					projectAll(t, s, 7)
					push(t, s, site, storetest.Interview(t, id, person, tp, 2, a))
					continue
				}
				push(t, s, site, storetest.Interview(t, id, person, tp, 1, a))
			}
			for span, later := range map[string]string{"mf": contract.TimepointMidpoint, "cf": contract.TimepointClosing} {
				for _, c := range codes {
					f, okF := answers[contract.TimepointEligibility][c]
					l, okL := answers[later][c]
					if !okF || !okL {
						continue
					}
					i := map[[2]bool]int{{true, true}: 0, {false, true}: 1, {true, false}: 2, {false, false}: 3}[[2]bool{f, l}]
					for _, k := range []key{{site, span, c}, {"", span, c}} {
						w := want[k]
						w[i]++
						want[k] = w
					}
				}
			}
		}
		projectAll(t, s, 13)
		st := outcomes.New(s)
		check := func(site string) {
			rep, err := st.POMReport(ctx, outcomes.POMFilter{SiteID: site}, 1)
			if err != nil {
				t.Fatal(err)
			}
			seen := 0
			for _, ind := range rep.Indicators {
				for span, got := range map[string]*outcomes.PairedFigures{"mf": ind.ToMidpoint, "cf": ind.ToClosing} {
					w, ok := want[key{site, span, ind.Code}]
					if !ok {
						continue
					}
					seen++
					if got == nil || got.Both.Value == nil {
						t.Fatalf("site %q %s %s: no paired change", site, ind.Code, span)
					}
					val := func(f outcomes.Figure) float64 { return *f.Value }
					if g := [4]float64{val(got.Both), val(got.Gained), val(got.Lost), val(got.Neither)}; g != [4]float64{float64(w[0]), float64(w[1]), float64(w[2]), float64(w[3])} || val(got.N) != float64(w[0]+w[1]+w[2]+w[3]) {
						t.Fatalf("site %q %s %s: %v (n %v), want %v", site, ind.Code, span, g, val(got.N), w)
					}
					if p, lo, hi, pt := got.P.Value, got.Lower.Value, got.Upper.Value, got.Points.Value; p == nil || *p < 0 || *p > 1 || lo == nil || *lo > *pt || *hi < *pt {
						t.Fatalf("site %q %s %s: p %v, interval %v to %v around %v", site, ind.Code, span, p, lo, hi, pt)
					}
				}
			}
			if seen < len(codes) {
				t.Fatalf("site %q: only %d paired changes checked", site, seen)
			}
		}
		check("")
		check(siteA)
		check(siteB)

		// The trend by enrollment year follows one indicator's paired
		// change: here one year, the same counts as the test's.
		tr, err := st.Trend(ctx, outcomes.OutcomeFilter{}, codes[1], 1)
		if err != nil {
			t.Fatal(err)
		}
		w := want[key{"", "cf", codes[1]}]
		if len(tr.Years) != 1 || tr.Years[0].Year != 2026 || tr.Indicator.Code != codes[1] {
			t.Fatalf("trend: %+v", tr)
		}
		if ch := tr.Years[0].Change; ch.Both.Value == nil || *ch.Both.Value != float64(w[0]) || *ch.Gained.Value != float64(w[1]) || *ch.Lost.Value != float64(w[2]) {
			t.Fatalf("trend's paired change %+v, want %v", ch, w)
		}

		// A minimum cell of 5 hides the paired changes that rest on fewer,
		// and the indicator says it is suppressed.
		rep, err := st.POMReport(ctx, outcomes.POMFilter{SiteID: siteA}, 5)
		if err != nil {
			t.Fatal(err)
		}
		hidden := 0
		for _, ind := range rep.Indicators {
			if _, ok := want[key{siteA, "cf", ind.Code}]; ok && ind.ToClosing != nil {
				for i, x := range []outcomes.Figure{ind.ToClosing.Both, ind.ToClosing.Gained, ind.ToClosing.Lost, ind.ToClosing.Neither} {
					if *x.Value > 0 && *x.Value < 5 {
						t.Fatalf("%s: paired count %d (%v) shown at a minimum cell of 5", ind.Code, i, *x.Value)
					}
				}
			} else if ok && ind.ToClosing == nil {
				hidden++
				if !ind.Suppressed {
					t.Fatalf("%s: the paired change is hidden but the indicator does not say so", ind.Code)
				}
			}
		}
		if hidden == 0 {
			t.Fatal("nothing hidden at a minimum cell of 5: the data does not exercise suppression")
		}
	})
}
