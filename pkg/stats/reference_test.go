package stats

import (
	"fmt"
	"math"
	"testing"
)

// Published figures are printed to 4 decimals, so a correct computation
// is within half a unit of the last printed digit.
const halfUnit4 = 0.00005 + 1e-12

// Newcombe RG (1998). Two-sided confidence intervals for the single
// proportion: comparison of seven methods. Statistics in Medicine
// 17:857–872. Table I, method 3 (the Wilson score interval without
// continuity correction), 95%. The last three rows are also asserted, to
// 4 decimals, by the test suite of the R package ratesci (wilsonci,
// cc = FALSE, "Single proportion, Newcombe examples").
func TestWilsonNewcombe1998TableI(t *testing.T) {
	for _, c := range []struct {
		x, n         int
		lower, upper float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0.0000, 0.1611},
		{1, 29, 0.0061, 0.1718},
	} {
		got, err := Wilson(c.x, c.n, 0.95)
		if err != nil {
			t.Fatalf("Wilson(%d, %d): %v", c.x, c.n, err)
		}
		if math.Abs(got.Lower-c.lower) > halfUnit4 || math.Abs(got.Upper-c.upper) > halfUnit4 {
			t.Errorf("Wilson(%d, %d) = [%.6f, %.6f], published [%.4f, %.4f]",
				c.x, c.n, got.Lower, got.Upper, c.lower, c.upper)
		}
	}
}

// Newcombe RG (1998). Improved confidence intervals for the difference
// between binomial proportions based on paired data. Statistics in
// Medicine 17:2635–2650. Table III, the 95% limits of method 10 for the
// paper's example tables, cells (e, f, g, h) with θ = (f − g)/n. In our
// terms e = Both, f = Gained, g = Lost, h = Neither, and θ is Difference.
//
// The row (20, 12, 2, 16) → (0.0562, 0.3292) is also asserted by the test
// suite of the R package ratesci (pairbinci, method_RD = "MOVER_newc",
// moverbase = "wilson": "against Newcombe's method 10 result").
//
// One row is held to a full unit of the last digit instead of half: for
// (1, 97, 1, 1), eh − fg < 0, so the n/2 adjustment does not apply and
// the exact lower limit is 0.873672, which rounds to 0.8737; the table
// prints 0.8736 for method 10.
func TestDifferenceCINewcombe1998TableIII(t *testing.T) {
	for _, c := range []struct {
		e, f, g, h   int
		lower, upper float64
	}{
		{36, 12, 2, 0, 0.0569, 0.3404},
		{20, 12, 2, 16, 0.0562, 0.3292},
		{18, 12, 2, 18, 0.0562, 0.3290},
		{36, 14, 0, 0, 0.1528, 0.4167},
		{35, 14, 0, 1, 0.1461, 0.4175},
		{18, 14, 0, 18, 0.1441, 0.3963},
		{2, 97, 1, 0, 0.8721, 0.9854},
		{1, 97, 1, 1, 0.8736, 0.9850},
		{0, 29, 1, 0, 0.6666, 0.9882},
		{2, 98, 0, 0, 0.9178, 0.9945},
		{1, 98, 0, 1, 0.9171, 0.9916},
		{0, 30, 0, 0, 0.8395, 1.0000},
		{54, 0, 0, 0, -0.0664, 0.0664},
		{53, 0, 0, 1, -0.0729, 0.0729},
		{30, 0, 0, 24, -0.0358, 0.0358},
		{29, 0, 0, 25, -0.0354, 0.0354},
		{28, 0, 0, 26, -0.0352, 0.0352},
		{27, 0, 0, 27, -0.0351, 0.0351},
	} {
		p := Paired{Both: c.e, Gained: c.f, Lost: c.g, Neither: c.h}
		tol := halfUnit4
		if p == (Paired{1, 97, 1, 1}) {
			tol = 2 * halfUnit4
		}
		assertInterval(t, p, c.lower, c.upper, tol)
	}
}

// Further published paired examples, 95%:
//
//   - Cavo et al. (2012), complete response before (rows) and after
//     (columns) consolidation therapy, 59 6 / 16 80: the worked example of
//     chapter 8 ("The paired 2×2 table") of Fagerland MW, Lydersen S,
//     Laake P (2017), Statistical Analysis of Contingency Tables. The
//     Newcombe square-and-add interval of before − after, −0.0621 (−0.1186
//     to −0.0046), is asserted to 4 decimals in the test suite of the
//     book's R package contingencytables (test-ch8.R). Six lost the
//     response and sixteen gained it, so our after − before is its mirror
//     image, 0.0621 (0.0046 to 0.1186).
//   - Tang ML, Li HQ, Tang NS (2010), Statistical Methods in Medical
//     Research 21:361–378, example table (8, 3, 1, 2) read as Newcombe's
//     (e, f, g, h): −0.1574 to 0.4136, as asserted by the ratesci test
//     suite ("MOVER-wilson matches").
func TestDifferenceCIOtherPublishedExamples(t *testing.T) {
	cavo := Paired{Both: 59, Lost: 6, Gained: 16, Neither: 80}
	assertInterval(t, cavo, 0.0046, 0.1186, halfUnit4)
	if d, _ := cavo.Difference(); math.Abs(d-0.0621) > halfUnit4 {
		t.Errorf("Cavo difference = %.6f, published 0.0621 (as before − after, -0.0621)", d)
	}
	assertInterval(t, Paired{Both: 8, Gained: 3, Lost: 1, Neither: 2}, -0.1574, 0.4136, halfUnit4)
}

func assertInterval(t *testing.T, p Paired, lower, upper, tol float64) {
	t.Helper()
	got, err := p.DifferenceCI(0.95)
	if err != nil {
		t.Fatalf("%+v: %v", p, err)
	}
	if math.Abs(got.Lower-lower) > tol || math.Abs(got.Upper-upper) > tol {
		t.Errorf("%+v: [%.6f, %.6f], published [%.4f, %.4f]", p, got.Lower, got.Upper, lower, upper)
	}
}

// The exact McNemar p-value, 2·P(X ≤ min(Gained, Lost)) with X binomial
// (Gained + Lost, 1/2), worked by hand as fractions:
//
//   - Bentur et al. (2009), airway hyper-responsiveness before (rows) and
//     after (columns) stem cell transplantation in 21 children, 1 1 / 7 12:
//     the example of Fagerland MW, Lydersen S, Laake P (2013), "The
//     McNemar test for binary matched-pairs data: mid-p and asymptotic are
//     better than exact conditional", BMC Medical Research Methodology
//     13:91, Table 1, whose supplement computes the exact conditional
//     p-value as 2·binomcdf(1, 8, 0.5): one loss and seven gains,
//     p = 2·(1 + 8)/2⁸ = 9/128 = 0.0703125.
//   - Cavo et al. (2012) above, 16 gains against 6 losses: 2·(1 + 22 +
//     231 + 1540 + 7315 + 26334 + 74613)/2²² = 13757/262144.
//   - 12 against 5: 2·(1 + 17 + 136 + 680 + 2380 + 6188)/2¹⁷ = 4701/32768.
//   - 9 against 2 (2·(1 + 11 + 55)/2¹¹ = 67/1024) and 10 against 2
//     (2·(1 + 12 + 66)/2¹² = 79/2048).
//   - 5 against 0: 2/2⁵ = 1/16; an even split or no change: 1.
func TestMcNemarExactByHand(t *testing.T) {
	for _, c := range []struct {
		p    Paired
		want float64
	}{
		{Paired{Both: 1, Gained: 7, Lost: 1, Neither: 12}, 9.0 / 128},
		{Paired{Both: 59, Gained: 16, Lost: 6, Neither: 80}, 13757.0 / 262144},
		{Paired{Gained: 12, Lost: 5}, 4701.0 / 32768},
		{Paired{Gained: 9, Lost: 2}, 67.0 / 1024},
		{Paired{Gained: 2, Lost: 10}, 79.0 / 2048},
		{Paired{Both: 14, Lost: 5, Neither: 22}, 1.0 / 16},
		{Paired{Both: 3, Gained: 3, Lost: 3}, 1},
		{Paired{Both: 3, Neither: 4}, 1},
		{Paired{}, 1},
	} {
		got, err := c.p.McNemarP()
		if err != nil {
			t.Fatalf("%+v: %v", c.p, err)
		}
		if math.Abs(got-c.want) > 1e-12*c.want {
			t.Errorf("%+v: p = %.15g, want %.15g", c.p, got, c.want)
		}
		if rounded := fmt.Sprintf("%.4f", got); rounded != fmt.Sprintf("%.4f", c.want) {
			t.Errorf("%+v: p = %s to 4 decimals, want %.4f", c.p, rounded, c.want)
		}
	}
}

// Large counts: references from the exact sum of binomial coefficients in
// arbitrary-precision integers, 2·Σ_{i≤k} C(m, i) / 2^m, rounded to
// float64 (TestMcNemarMatchesExactArithmetic re-derives the smaller ones).
func TestMcNemarLargeCounts(t *testing.T) {
	for _, c := range []struct {
		gained, lost int
		want         float64
	}{
		{50500, 49500, 0.0015823598788515956},
		{50200, 49800, 0.20703897176422484},
		{50100, 49900, 0.52915729408019319},
		{51000, 49000, 2.5887160383468979e-10},
		{50000, 50000, 1},
		{2100, 2000, 0.12206497999113813},
		{20300, 20000, 0.13637447838816746},
		{99990, 10, 0}, // about 10^-30092: below the smallest float64
	} {
		got, err := Paired{Gained: c.gained, Lost: c.lost}.McNemarP()
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(got) || math.Abs(got-c.want) > 1e-9*c.want {
			t.Errorf("McNemar %d/%d: p = %.17g, want %.17g", c.gained, c.lost, got, c.want)
		}
	}
}
