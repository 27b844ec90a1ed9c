package stats

import "math"

// Z95 is the two-sided 95% standard normal quantile, used for level 0.95.
const Z95 = 1.959963984540054

// Interval is a confidence interval, Lower ≤ Upper.
type Interval struct {
	Lower, Upper float64
}

// Contains reports whether x lies in the interval, ends included.
func (i Interval) Contains(x float64) bool { return i.Lower <= x && x <= i.Upper }

// Width is Upper − Lower.
func (i Interval) Width() float64 { return i.Upper - i.Lower }

// zFor is the two-sided standard normal quantile of a confidence level:
// the z with P(−z < Z < z) = level.
func zFor(level float64) (float64, error) {
	if !(level > 0 && level < 1) { // also rejects NaN
		return 0, ErrLevel
	}
	if level == 0.95 {
		return Z95, nil
	}
	return math.Sqrt2 * math.Erfinv(level), nil
}

// Wilson is the Wilson score interval for the proportion successes/n at the
// given confidence level (Wilson 1927; Newcombe 1998, "Two-sided confidence
// intervals for the single proportion", method 3, without continuity
// correction). It lies within [0, 1], its lower end is 0 when successes is
// 0 and its upper end 1 when successes is n. It returns ErrEmpty when n is
// 0, ErrNegative for a negative count and ErrSuccesses when successes > n.
func Wilson(successes, n int, level float64) (Interval, error) {
	if successes < 0 || n < 0 {
		return Interval{}, ErrNegative
	}
	if successes > n {
		return Interval{}, ErrSuccesses
	}
	if n == 0 {
		return Interval{}, ErrEmpty
	}
	z, err := zFor(level)
	if err != nil {
		return Interval{}, err
	}
	return wilson(successes, n, z), nil
}

// wilson is the score interval for 0 ≤ x ≤ n, n > 0: the two roots in p of
// (x/n − p)² = z² p(1 − p)/n, written as centre ± half-width:
//
//	(x + z²/2 ± z·√(x(n − x)/n + z²/4)) / (n + z²)
func wilson(x, n int, z float64) Interval {
	fx, fn, z2 := float64(x), float64(n), z*z
	centre := (fx + z2/2) / (fn + z2)
	half := z * math.Sqrt(fx*(fn-fx)/fn+z2/4) / (fn + z2)
	i := Interval{Lower: centre - half, Upper: centre + half}
	if x == 0 || i.Lower < 0 {
		i.Lower = 0
	}
	if x == n || i.Upper > 1 {
		i.Upper = 1
	}
	return i
}
