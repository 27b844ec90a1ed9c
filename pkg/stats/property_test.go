package stats

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// randomPaired draws a table with up to max participants in each cell,
// often with empty cells, the cases where the methods have special rules.
func randomPaired(r *rand.Rand, max int) Paired {
	cell := func() int {
		if r.IntN(4) == 0 {
			return 0
		}
		return r.IntN(max + 1)
	}
	return Paired{Both: cell(), Gained: cell(), Lost: cell(), Neither: cell()}
}

func TestDifferenceCIProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		p := randomPaired(r, []int{3, 12, 60, 400, 5000}[r.IntN(5)])
		if p.N() == 0 {
			continue
		}
		d, err := p.Difference()
		if err != nil {
			t.Fatal(err)
		}
		ci, err := p.DifferenceCI(0.95)
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(ci.Lower) || math.IsNaN(ci.Upper) {
			t.Fatalf("%+v: NaN in %+v", p, ci)
		}
		if !ci.Contains(d) {
			t.Errorf("%+v: %+v does not contain the difference %v", p, ci, d)
		}
		if ci.Lower < -1 || ci.Upper > 1 {
			t.Errorf("%+v: %+v leaves [-1, 1]", p, ci)
		}
		if ci.Width() <= 0 {
			t.Errorf("%+v: %+v has no width", p, ci)
		}

		// Gains and losses swapped: the same interval, mirrored.
		m, _ := Paired{Both: p.Both, Gained: p.Lost, Lost: p.Gained, Neither: p.Neither}.DifferenceCI(0.95)
		if math.Abs(m.Lower+ci.Upper) > 1e-12 || math.Abs(m.Upper+ci.Lower) > 1e-12 {
			t.Errorf("%+v: %+v, mirrored %+v", p, ci, m)
		}

		// The same proportions from twice the participants: a narrower
		// interval, still around the same difference.
		twice := Paired{Both: 2 * p.Both, Gained: 2 * p.Gained, Lost: 2 * p.Lost, Neither: 2 * p.Neither}
		w, _ := twice.DifferenceCI(0.95)
		if w.Width() >= ci.Width() {
			t.Errorf("%+v: width %v, at twice the size %v", p, ci.Width(), w.Width())
		}
		if !w.Contains(d) {
			t.Errorf("%+v doubled: %+v does not contain %v", p, w, d)
		}

		// A higher confidence level gives a wider interval.
		if hi, _ := p.DifferenceCI(0.99); !(hi.Lower <= ci.Lower && hi.Upper >= ci.Upper && hi.Width() > ci.Width()) {
			t.Errorf("%+v: 99%% %+v is not wider than 95%% %+v", p, hi, ci)
		}
	}
}

func TestDifferenceCINarrowsAsNGrows(t *testing.T) {
	for _, base := range []Paired{{12, 9, 2, 21}, {20, 12, 2, 16}, {1, 1, 7, 12}, {0, 3, 0, 0}, {5, 0, 0, 5}, {3, 1, 1, 0}} {
		last := math.Inf(1)
		for k := 1; k <= 1000; k = k*3/2 + 1 {
			p := Paired{Both: k * base.Both, Gained: k * base.Gained, Lost: k * base.Lost, Neither: k * base.Neither}
			ci, err := p.DifferenceCI(0.95)
			if err != nil {
				t.Fatal(err)
			}
			if ci.Width() >= last {
				t.Errorf("%+v ×%d: width %v, not below %v", base, k, ci.Width(), last)
			}
			last = ci.Width()
		}
	}
}

func TestWilsonProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		n := 1 + r.IntN([]int{5, 50, 1000, 1_000_000}[r.IntN(4)])
		x := r.IntN(n + 1)
		ci, err := Wilson(x, n, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		share := float64(x) / float64(n)
		if !ci.Contains(share) || ci.Lower < 0 || ci.Upper > 1 || ci.Width() <= 0 {
			t.Errorf("Wilson(%d, %d) = %+v", x, n, ci)
		}
		if (x == 0) != (ci.Lower == 0) || (x == n) != (ci.Upper == 1) {
			t.Errorf("Wilson(%d, %d) = %+v: an end at 0 or 1 without the share there", x, n, ci)
		}
		if w, _ := Wilson(3*x, 3*n, 0.95); w.Width() >= ci.Width() {
			t.Errorf("Wilson(%d, %d) width %v, tripled %v", x, n, ci.Width(), w.Width())
		}
	}
}

func TestMcNemarProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		p := randomPaired(r, []int{4, 30, 300, 30000}[r.IntN(4)])
		got, err := p.McNemarP()
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(got) || got < 0 || got > 1 {
			t.Fatalf("%+v: p = %v", p, got)
		}
		swapped, _ := Paired{Both: p.Both, Gained: p.Lost, Lost: p.Gained, Neither: p.Neither}.McNemarP()
		if swapped != got {
			t.Errorf("%+v: p = %v, with gains and losses swapped %v", p, got, swapped)
		}
		concordant, _ := Paired{Gained: p.Gained, Lost: p.Lost}.McNemarP()
		if concordant != got {
			t.Errorf("%+v: p = %v depends on the unchanged (%v without them)", p, got, concordant)
		}
		if p.Gained == p.Lost && got != 1 {
			t.Errorf("%+v: even split, p = %v", p, got)
		}
	}
	// More lopsided splits of the same number of changers: smaller p.
	for _, m := range []int{7, 40, 1001, 100000} {
		last := 1.0
		for k := m / 2; k >= 0; k -= 1 + m/50 {
			got, _ := Paired{Gained: m - k, Lost: k}.McNemarP()
			if got > last {
				t.Errorf("m = %d: p(%d) = %v above p of a more even split %v", m, k, got, last)
			}
			last = got
		}
	}
}

// The p-value against exact rational arithmetic: 2·Σ_{i≤k} C(m, i)/2^m
// summed in big integers.
func TestMcNemarMatchesExactArithmetic(t *testing.T) {
	exact := func(a, b int) float64 {
		m, k := a+b, min(a, b)
		c, s := big.NewInt(1), big.NewInt(1)
		for i := 1; i <= k; i++ {
			c.Mul(c, big.NewInt(int64(m-i+1)))
			c.Quo(c, big.NewInt(int64(i)))
			s.Add(s, c)
		}
		v, _ := new(big.Rat).SetFrac(new(big.Int).Lsh(s, 1), new(big.Int).Lsh(big.NewInt(1), uint(m))).Float64()
		return math.Min(1, v)
	}
	cases := [][2]int{{2100, 2000}, {20300, 20000}, {0, 1}, {1, 0}, {0, 1000}, {3, 1000}}
	r := rand.New(rand.NewPCG(7, 8))
	for range 300 {
		cases = append(cases, [2]int{r.IntN(300), r.IntN(300)})
	}
	for _, c := range cases {
		want := exact(c[0], c[1])
		got, _ := Paired{Gained: c[0], Lost: c[1]}.McNemarP()
		if math.Abs(got-want) > 1e-10*want {
			t.Errorf("%d against %d: p = %.17g, exact %.17g", c[0], c[1], got, want)
		}
	}
}
