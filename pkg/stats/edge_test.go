package stats

import (
	"errors"
	"math"
	"testing"
)

func TestAddAndAddAnswers(t *testing.T) {
	var p Paired
	p.Add(true, true)
	p.Add(false, true)
	p.Add(false, true)
	p.Add(true, false)
	p.Add(false, false)
	if want := (Paired{Both: 1, Gained: 2, Lost: 1, Neither: 1}); p != want {
		t.Fatalf("Add: %+v, want %+v", p, want)
	}

	first := map[string]bool{"friends": false, "work": true, "home": true}
	closing := map[string]bool{"friends": true, "work": true}
	var q Paired
	if !q.AddAnswers("friends", first, closing) || !q.AddAnswers("work", first, closing) {
		t.Fatal("AddAnswers left out an indicator answered twice")
	}
	if q.AddAnswers("home", first, closing) || q.AddAnswers("safety", first, closing) || q.AddAnswers("work", nil, closing) {
		t.Fatal("AddAnswers counted an indicator not answered at both interviews")
	}
	if want := (Paired{Both: 1, Gained: 1}); q != want {
		t.Fatalf("AddAnswers: %+v, want %+v", q, want)
	}
}

func TestEmptyIsUndefinedNotNaN(t *testing.T) {
	var p Paired
	for name, f := range map[string]func() (float64, error){
		"Before": p.Before, "After": p.After, "Difference": p.Difference,
	} {
		if v, err := f(); !errors.Is(err, ErrEmpty) || v != 0 {
			t.Errorf("%s of no one = %v, %v; want 0, ErrEmpty", name, v, err)
		}
	}
	if ci, err := p.DifferenceCI(0.95); !errors.Is(err, ErrEmpty) || ci != (Interval{}) {
		t.Errorf("DifferenceCI of no one = %+v, %v", ci, err)
	}
	if ci, err := Wilson(0, 0, 0.95); !errors.Is(err, ErrEmpty) || ci != (Interval{}) {
		t.Errorf("Wilson(0, 0) = %+v, %v", ci, err)
	}
	if v, err := p.McNemarP(); err != nil || v != 1 {
		t.Errorf("McNemarP of no one = %v, %v; want 1", v, err)
	}
	s, err := p.Summarize(0.95)
	if !errors.Is(err, ErrEmpty) || s.N != 0 || s.P != 1 || s.Level != 0.95 {
		t.Errorf("Summarize of no one = %+v, %v", s, err)
	}
	for _, v := range []float64{s.Before, s.After, s.Difference, s.BeforeCI.Lower, s.BeforeCI.Upper, s.AfterCI.Lower, s.AfterCI.Upper, s.DifferenceCI.Lower, s.DifferenceCI.Upper} {
		if math.IsNaN(v) || v != 0 {
			t.Errorf("Summarize of no one leaks %v: %+v", v, s)
		}
	}
}

func TestNegativeCountsAreRejected(t *testing.T) {
	for _, p := range []Paired{{Both: -1}, {Gained: -1, Lost: 2}, {Lost: -3}, {Neither: -1, Both: 5}} {
		if err := p.Validate(); !errors.Is(err, ErrNegative) {
			t.Errorf("%+v: Validate = %v", p, err)
		}
		for name, f := range map[string]func() (float64, error){
			"Before": p.Before, "After": p.After, "Difference": p.Difference, "McNemarP": p.McNemarP,
		} {
			if _, err := f(); !errors.Is(err, ErrNegative) {
				t.Errorf("%+v: %s error = %v", p, name, err)
			}
		}
		if _, err := p.DifferenceCI(0.95); !errors.Is(err, ErrNegative) {
			t.Errorf("%+v: DifferenceCI error = %v", p, err)
		}
		if _, err := p.Summarize(0.95); !errors.Is(err, ErrNegative) {
			t.Errorf("%+v: Summarize error = %v", p, err)
		}
	}
	for _, c := range [][2]int{{-1, 5}, {1, -5}} {
		if _, err := Wilson(c[0], c[1], 0.95); !errors.Is(err, ErrNegative) {
			t.Errorf("Wilson(%d, %d) error = %v", c[0], c[1], err)
		}
	}
	if _, err := Wilson(6, 5, 0.95); !errors.Is(err, ErrSuccesses) {
		t.Errorf("Wilson(6, 5) error = %v", err)
	}
}

func TestCountsBeyondIntAreRejected(t *testing.T) {
	p := Paired{Both: math.MaxInt, Neither: 1}
	if err := p.Validate(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Validate = %v", err)
	}
	if _, err := p.DifferenceCI(0.95); !errors.Is(err, ErrTooLarge) {
		t.Errorf("DifferenceCI error = %v", err)
	}
	if _, err := p.McNemarP(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("McNemarP error = %v", err)
	}
}

func TestConfidenceLevel(t *testing.T) {
	p := Paired{Both: 12, Gained: 9, Lost: 2, Neither: 21}
	for _, level := range []float64{0, 1, -0.5, 1.5, 95, math.NaN(), math.Inf(1)} {
		if _, err := p.DifferenceCI(level); !errors.Is(err, ErrLevel) {
			t.Errorf("DifferenceCI(%v) error = %v", level, err)
		}
		if _, err := Wilson(3, 10, level); !errors.Is(err, ErrLevel) {
			t.Errorf("Wilson(3, 10, %v) error = %v", level, err)
		}
		if _, err := p.Summarize(level); !errors.Is(err, ErrLevel) {
			t.Errorf("Summarize(%v) error = %v", level, err)
		}
	}
	// Two-sided standard normal quantiles (any table of the normal
	// distribution).
	for level, want := range map[float64]float64{
		0.95: 1.959963984540054, 0.90: 1.6448536269514722, 0.99: 2.5758293035489004, 0.80: 1.2815515655446004,
	} {
		if z, _ := zFor(level); math.Abs(z-want) > 1e-12 {
			t.Errorf("z for %v = %.16g, want %.16g", level, z, want)
		}
	}
}

// Everyone in one of the four cells: defined, finite intervals around the
// right difference, and p = 1 or the binomial tail.
func TestAllInOneCell(t *testing.T) {
	for _, c := range []struct {
		p    Paired
		diff float64
		pval float64
	}{
		{Paired{Both: 30}, 0, 1},
		{Paired{Neither: 30}, 0, 1},
		{Paired{Gained: 30}, 1, math.Ldexp(1, -29)},
		{Paired{Lost: 30}, -1, math.Ldexp(1, -29)},
		{Paired{Gained: 1}, 1, 1},
	} {
		s, err := c.p.Summarize(0.95)
		if err != nil {
			t.Fatalf("%+v: %v", c.p, err)
		}
		if s.Difference != c.diff || !s.DifferenceCI.Contains(c.diff) || s.DifferenceCI.Width() <= 0 {
			t.Errorf("%+v: difference %v in %+v", c.p, s.Difference, s.DifferenceCI)
		}
		if s.DifferenceCI.Lower < -1 || s.DifferenceCI.Upper > 1 {
			t.Errorf("%+v: %+v leaves [-1, 1]", c.p, s.DifferenceCI)
		}
		if math.Abs(s.P-c.pval) > 1e-12*c.pval {
			t.Errorf("%+v: p = %v, want %v", c.p, s.P, c.pval)
		}
	}
	// Newcombe's Table III (0, 30, 0, 0): everyone gained, 0.8395 to 1.
	if ci, _ := (Paired{Gained: 30}).DifferenceCI(0.95); ci.Upper != 1 || math.Abs(ci.Lower-0.8395) > halfUnit4 {
		t.Errorf("all gained: %+v", ci)
	}
	// No one changed: symmetric about 0, as (54, 0, 0, 0) in Table III.
	if ci, _ := (Paired{Both: 54}).DifferenceCI(0.95); ci.Lower != -ci.Upper || math.Abs(ci.Upper-0.0664) > halfUnit4 {
		t.Errorf("all present twice: %+v", ci)
	}
}

func TestVeryLargeCounts(t *testing.T) {
	for _, p := range []Paired{
		{Both: 40_000, Gained: 30_000, Lost: 20_000, Neither: 10_000},
		{Both: 400_000_000, Gained: 300_000_000, Lost: 200_000_000, Neither: 100_000_000},
		{Both: 1 << 40, Gained: 1 << 38, Lost: 1 << 38, Neither: 1 << 40},
		{Gained: 1 << 50, Lost: 3},
	} {
		s, err := p.Summarize(0.95)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		for _, v := range []float64{s.Before, s.After, s.Difference, s.P, s.BeforeCI.Lower, s.BeforeCI.Upper, s.AfterCI.Lower, s.AfterCI.Upper, s.DifferenceCI.Lower, s.DifferenceCI.Upper} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%+v: %+v", p, s)
			}
		}
		if !s.DifferenceCI.Contains(s.Difference) || !s.BeforeCI.Contains(s.Before) || !s.AfterCI.Contains(s.After) {
			t.Errorf("%+v: an interval misses its estimate: %+v", p, s)
		}
		if s.P < 0 || s.P > 1 {
			t.Errorf("%+v: p = %v", p, s.P)
		}
	}
	// 100,000 participants: 0.1 ± about 0.004.
	s, _ := Paired{Both: 40_000, Gained: 30_000, Lost: 20_000, Neither: 10_000}.Summarize(0.95)
	if s.DifferenceCI.Width() > 0.01 || s.P != 0 {
		t.Errorf("100,000 participants: %+v", s)
	}
	// Balanced at 2^38 a side: p = 1, interval symmetric and tiny.
	s, _ = Paired{Both: 1 << 40, Gained: 1 << 38, Lost: 1 << 38, Neither: 1 << 40}.Summarize(0.95)
	if s.P != 1 || s.Difference != 0 || s.DifferenceCI.Width() > 1e-5 {
		t.Errorf("2^38 a side: %+v", s)
	}
}

func TestSummarize(t *testing.T) {
	// Bentur et al. (see TestMcNemarExactByHand): 2/21 before, 8/21 after.
	p := Paired{Both: 1, Lost: 1, Gained: 7, Neither: 12}
	s, err := p.Summarize(0.95)
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := p.DifferenceCI(0.95)
	b, _ := Wilson(2, 21, 0.95)
	a, _ := Wilson(8, 21, 0.95)
	want := Summary{
		Counts: p, N: 21, Level: 0.95,
		Before: 2.0 / 21, BeforeCI: b, After: 8.0 / 21, AfterCI: a,
		Difference: 6.0 / 21, DifferenceCI: ci, P: s.P,
	}
	if math.Abs(s.P-9.0/128) > 1e-12 {
		t.Errorf("Summarize P = %v, want 9/128", s.P)
	}
	if s != want {
		t.Errorf("Summarize = %+v,\nwant %+v", s, want)
	}
}
