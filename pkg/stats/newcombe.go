package stats

import "math"

// DifferenceCI is the confidence interval of Difference (after − before) at
// the given level, by method 10 of Newcombe (1998), "Improved confidence
// intervals for the difference between binomial proportions based on
// paired data", Statistics in Medicine 17:2635–2650.
//
// In the paper's notation the cells are e = Both, f = Gained, g = Lost and
// h = Neither, so that its θ = (f − g)/n is our Difference, its first
// proportion (e + f)/n our After and its second (e + g)/n our Before. With
// (l1, u1) and (l2, u2) the Wilson score intervals of After and Before, the
// limits are
//
//	lower = θ − √((After − l1)² − 2φ(After − l1)(u2 − Before) + (u2 − Before)²)
//	upper = θ + √((u1 − After)² − 2φ(u1 − After)(Before − l2) + (Before − l2)²)
//
// where φ is the correlation between the two answers of a participant,
// estimated as in the paper's method 10: with A = eh − fg and
// M = (e + f)(g + h)(e + g)(f + h), φ = (A − n/2)/√M when A > n/2, 0 when
// 0 ≤ A ≤ n/2, A/√M when A < 0, and 0 when any of the four margins is 0.
// (Without the n/2 adjustment, φ would be 1 when no one changed and
// Both = Neither, and the interval would shrink to the single point 0.)
//
// The interval contains Difference and lies within [−1, 1]. It returns
// ErrEmpty when N is 0, and the errors of Validate and of the level.
func (p Paired) DifferenceCI(level float64) (Interval, error) {
	if err := p.usable(); err != nil {
		return Interval{}, err
	}
	z, err := zFor(level)
	if err != nil {
		return Interval{}, err
	}
	n := p.N()
	after, before := p.Both+p.Gained, p.Both+p.Lost
	fn := float64(n)
	p1, p2 := float64(after)/fn, float64(before)/fn
	w1, w2 := wilson(after, n, z), wilson(before, n, z)
	phi := newcombePhi(p)
	theta := float64(p.Gained-p.Lost) / fn

	dl, du := p1-w1.Lower, w2.Upper-p2 // distances setting the lower limit
	el, eu := w1.Upper-p1, p2-w2.Lower // distances setting the upper limit
	delta := math.Sqrt(math.Max(0, dl*dl-2*phi*dl*du+du*du))
	epsilon := math.Sqrt(math.Max(0, el*el-2*phi*el*eu+eu*eu))
	return Interval{
		Lower: math.Max(-1, theta-delta),
		Upper: math.Min(1, theta+epsilon),
	}, nil
}

// newcombePhi is the correlation estimate of Newcombe's method 10 for
// valid counts with N > 0. Products are taken in float64, exact while the
// counts stay below about 9·10⁷ each.
func newcombePhi(p Paired) float64 {
	e, f, g, h := float64(p.Both), float64(p.Gained), float64(p.Lost), float64(p.Neither)
	if e+f == 0 || g+h == 0 || e+g == 0 || f+h == 0 {
		return 0
	}
	n := e + f + g + h
	a := e*h - f*g
	switch {
	case a > n/2:
		a -= n / 2
	case a >= 0:
		a = 0
	}
	phi := a / (math.Sqrt((e+f)*(g+h)) * math.Sqrt((e+g)*(f+h)))
	return math.Max(-1, math.Min(1, phi))
}
