package stats

import (
	"errors"
	"math"
)

// Errors returned by this package. Test for them with errors.Is.
var (
	// ErrEmpty means there is nothing to compute from (no participants, or
	// a share of zero people): the figure is undefined.
	ErrEmpty = errors.New("stats: no observations, the figure is undefined")
	// ErrNegative means a count is below zero.
	ErrNegative = errors.New("stats: a count is negative")
	// ErrTooLarge means the counts add up to more than an int can hold.
	ErrTooLarge = errors.New("stats: counts too large")
	// ErrLevel means a confidence level outside the open interval (0, 1).
	ErrLevel = errors.New("stats: confidence level must be strictly between 0 and 1")
	// ErrSuccesses means more successes than observations were given.
	ErrSuccesses = errors.New("stats: more successes than observations")
)

// Paired counts, for one indicator, the participants who answered it at
// both of two interviews, by their pair of answers. "Before" is the
// earlier interview, "after" the later one. The zero value is an empty
// tally, ready for Add.
type Paired struct {
	Both    int // present before and after
	Gained  int // absent before, present after
	Lost    int // present before, absent after
	Neither int // absent before and after
}

// Add counts one participant whose outcome was present (true) or absent
// (false) at each interview.
func (p *Paired) Add(before, after bool) {
	switch {
	case before && after:
		p.Both++
	case after:
		p.Gained++
	case before:
		p.Lost++
	default:
		p.Neither++
	}
}

// AddAnswers counts one participant for the indicator if both interviews'
// answers hold it, and reports whether it did. A missing key (the question
// not asked, or declined) at either interview leaves the participant out
// of this indicator; either map may be nil.
func (p *Paired) AddAnswers(indicator string, before, after map[string]bool) bool {
	b, okB := before[indicator]
	a, okA := after[indicator]
	if !okB || !okA {
		return false
	}
	p.Add(b, a)
	return true
}

// Validate reports whether the counts can be used: none negative, and
// their total within an int.
func (p Paired) Validate() error {
	if p.Both < 0 || p.Gained < 0 || p.Lost < 0 || p.Neither < 0 {
		return ErrNegative
	}
	n := 0
	for _, c := range [...]int{p.Both, p.Gained, p.Lost, p.Neither} {
		if c > math.MaxInt-n {
			return ErrTooLarge
		}
		n += c
	}
	return nil
}

// N is the number of participants counted. It is meaningful only for
// counts that pass Validate.
func (p Paired) N() int { return p.Both + p.Gained + p.Lost + p.Neither }

// Discordant is the number of participants whose answer changed, Gained +
// Lost. It is meaningful only for counts that pass Validate.
func (p Paired) Discordant() int { return p.Gained + p.Lost }

// Before is the share with the outcome present at the earlier interview,
// (Both + Lost) / N.
func (p Paired) Before() (float64, error) { return p.share(p.Both + p.Lost) }

// After is the share with the outcome present at the later interview,
// (Both + Gained) / N.
func (p Paired) After() (float64, error) { return p.share(p.Both + p.Gained) }

// Difference is the change in share, after minus before, which equals
// (Gained − Lost) / N: between −1 and 1, positive when more participants
// have the outcome at the later interview.
func (p Paired) Difference() (float64, error) {
	if err := p.usable(); err != nil {
		return 0, err
	}
	return float64(p.Gained-p.Lost) / float64(p.N()), nil
}

func (p Paired) share(x int) (float64, error) {
	if err := p.usable(); err != nil {
		return 0, err
	}
	return float64(x) / float64(p.N()), nil
}

// usable is Validate, and ErrEmpty when no one is counted.
func (p Paired) usable() error {
	if err := p.Validate(); err != nil {
		return err
	}
	if p.N() == 0 {
		return ErrEmpty
	}
	return nil
}

// Summary is every figure of one indicator's paired change, as a report
// shows it. See the package documentation for what each means.
type Summary struct {
	Counts       Paired
	N            int
	Level        float64  // confidence level of the intervals, e.g. 0.95
	Before       float64  // share present at the earlier interview
	BeforeCI     Interval // Wilson score interval of Before
	After        float64  // share present at the later interview
	AfterCI      Interval // Wilson score interval of After
	Difference   float64  // After − Before
	DifferenceCI Interval // Newcombe's method 10 interval of Difference
	P            float64  // exact McNemar two-sided p-value
}

// Summarize computes every figure at the given confidence level. With no
// participants counted it returns ErrEmpty and a Summary holding only the
// counts, N = 0 and P = 1.
func (p Paired) Summarize(level float64) (Summary, error) {
	s := Summary{Counts: p, Level: level}
	if err := p.Validate(); err != nil {
		return s, err
	}
	if _, err := zFor(level); err != nil {
		return s, err
	}
	s.N = p.N()
	s.P, _ = p.McNemarP()
	if s.N == 0 {
		return s, ErrEmpty
	}
	s.Before, _ = p.Before()
	s.After, _ = p.After()
	s.Difference, _ = p.Difference()
	s.BeforeCI, _ = Wilson(p.Both+p.Lost, s.N, level)
	s.AfterCI, _ = Wilson(p.Both+p.Gained, s.N, level)
	var err error
	s.DifferenceCI, err = p.DifferenceCI(level)
	return s, err
}
