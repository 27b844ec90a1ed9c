package rules

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// Candidate is an unpaired member as the pairing suggestions see them.
type Candidate struct {
	ID string
	// Name orders the suggestions; it stays at the site.
	Name      string
	Interests []string
	Gender    string
	// Stage is the current outing stage (see CurrentStage), 0 for none.
	Stage int
}

// Suggestion is a proposed pair (or trio) with why. When JoinPairID is
// set, the last member joins that current pair as its third.
type Suggestion struct {
	Members     []string `json:"participant_ids"`
	JoinPairID  string   `json:"join_pair_id,omitempty"`
	Score       int      `json:"score"`
	Shared      []string `json:"shared_interests"`
	Explanation string   `json:"explanation"`
}

// ExistingPair is a current pair of two a leftover member could join.
type ExistingPair struct {
	ID      string
	Members [2]Candidate
}

// SuggestInput is what the suggestions are made from.
type SuggestInput struct {
	Candidates []Candidate
	// MixedPairs is the group's preference: false avoids pairing a man
	// with a woman where both genders are known.
	MixedPairs bool
	// TrioAllowed is true when the group is odd and has no trio: an odd
	// number of candidates then gives one trio instead of a leftover,
	// with a proposed pair or with one of Existing.
	TrioAllowed bool
	Existing    []ExistingPair
	// Avoid holds pairs that ended as not working well, keyed by PairKey.
	Avoid map[string]bool
}

// Suggestions are the proposed pairs and the members left without one.
type Suggestions struct {
	Pairs     []Suggestion `json:"pairs"`
	Unmatched []string     `json:"unmatched"`
}

// Scoring weights of a pair: each shared interest (up to
// maxCountedInterests) counts perSharedInterest; the same stage sameStage,
// stages one apart oneStageApart, further apart farApart; a pair the group
// prefers to avoid or that did not work before costs avoidPenalty, so it is
// proposed only when no other pairing exists.
const (
	perSharedInterest   = 2
	maxCountedInterests = 5
	sameStage           = 3
	oneStageApart       = 1
	farApart            = -3
	avoidPenalty        = 100
	// exactLimit is the largest number of candidates matched exactly; a
	// larger (oversized) group is matched greedily.
	exactLimit = 16
)

// PairKey is the order-independent key of two participants.
func PairKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "|" + b
}

type scored struct {
	score  int
	shared []string
	why    []string
}

func sharedInterests(a, b []string) []string {
	in := map[string]bool{}
	for _, t := range a {
		in[NormalizeInterest(t)] = true
	}
	out := []string{}
	seen := map[string]bool{}
	for _, t := range b {
		n := NormalizeInterest(t)
		if in[n] && !seen[n] {
			out = append(out, n)
			seen[n] = true
		}
	}
	sort.Strings(out)
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (in SuggestInput) pairScore(a, b Candidate) scored {
	var s scored
	s.shared = sharedInterests(a.Interests, b.Interests)
	s.score = perSharedInterest * min(len(s.shared), maxCountedInterests)
	if len(s.shared) == 0 {
		s.why = append(s.why, "no shared interests recorded")
	} else {
		s.why = append(s.why, "shares "+plural(len(s.shared), "interest", "interests")+": "+strings.Join(s.shared, ", "))
	}
	lo, hi := min(a.Stage, b.Stage), max(a.Stage, b.Stage)
	switch {
	case hi == 0:
		s.why = append(s.why, "no outings recorded yet for either")
	case lo == 0:
		s.why = append(s.why, fmt.Sprintf("one is at stage %d, the other has no outings recorded yet", hi))
	case lo == hi:
		s.score += sameStage
		s.why = append(s.why, fmt.Sprintf("both at stage %d", lo))
	case hi-lo == 1:
		s.score += oneStageApart
		s.why = append(s.why, fmt.Sprintf("stages %d and %d, one apart", lo, hi))
	default:
		s.score += farApart
		s.why = append(s.why, fmt.Sprintf("stages %d and %d, far apart", lo, hi))
	}
	if !in.MixedPairs && MixedPair(a.Gender, b.Gender) {
		s.score -= avoidPenalty
		s.why = append(s.why, "a man and a woman although the group prefers no mixed pairs: no other pairing was possible")
	}
	if in.Avoid[PairKey(a.ID, b.ID)] {
		s.score -= avoidPenalty
		s.why = append(s.why, "they were partners before and it did not work well: no other pairing was possible")
	}
	return s
}

func byNameID(a, b Candidate) bool {
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.ID < b.ID
}

// trioOption is where a leftover member could go as a third: a proposed
// pair (pair >= 0) or an existing one (existing >= 0).
type trioOption struct {
	pair, existing, gain int
}

// Suggest proposes pairs for the unpaired members of a group: the pairing
// with the highest total score (shared interests, matching outing stages)
// that respects the group's mixed-pairs preference and avoids pairs that
// did not work whenever it can. With an odd number of candidates one is
// left over, or, when TrioAllowed, joins a proposed or existing pair as a
// trio. The result does not depend on the order of the input: candidates
// are ordered by name and id, ties go to the earlier candidate, and pairs
// are listed in order of their first member.
func Suggest(in SuggestInput) Suggestions {
	cs := append([]Candidate(nil), in.Candidates...)
	sort.SliceStable(cs, func(i, j int) bool { return byNameID(cs[i], cs[j]) })
	ex := append([]ExistingPair(nil), in.Existing...)
	for i := range ex {
		if byNameID(ex[i].Members[1], ex[i].Members[0]) {
			ex[i].Members[0], ex[i].Members[1] = ex[i].Members[1], ex[i].Members[0]
		}
	}
	sort.SliceStable(ex, func(i, j int) bool { return byNameID(ex[i].Members[0], ex[j].Members[0]) })
	n := len(cs)
	out := Suggestions{Pairs: []Suggestion{}, Unmatched: []string{}}
	if n == 0 {
		return out
	}
	sc := make([][]scored, n)
	w := make([][]int, n)
	for i := range cs {
		sc[i], w[i] = make([]scored, n), make([]int, n)
		for j := range cs {
			if i != j {
				sc[i][j] = in.pairScore(cs[i], cs[j])
				w[i][j] = sc[i][j].score
			}
		}
	}
	// The gain of a leftover k joining each pair as a third.
	trioWith := func(k int, ps [][2]int) (trioOption, bool) {
		best, found := trioOption{pair: -1, existing: -1}, false
		if !in.TrioAllowed {
			return best, false
		}
		for i, p := range ps {
			if g := w[k][p[0]] + w[k][p[1]]; !found || g > best.gain {
				best, found = trioOption{pair: i, existing: -1, gain: g}, true
			}
		}
		for i, e := range ex {
			if g := in.pairScore(cs[k], e.Members[0]).score + in.pairScore(cs[k], e.Members[1]).score; !found || g > best.gain {
				best, found = trioOption{pair: -1, existing: i, gain: g}, true
			}
		}
		return best, found
	}
	var pairs [][2]int
	left := -1
	trio, hasTrio := trioOption{pair: -1, existing: -1}, false
	if n%2 == 0 {
		pairs = match(w, allIndexes(n))
	} else {
		// Try each candidate as the one left over (or the trio's third),
		// keeping the first best.
		best := 0
		for k := 0; k < n; k++ {
			rest := make([]int, 0, n-1)
			for i := 0; i < n; i++ {
				if i != k {
					rest = append(rest, i)
				}
			}
			ps := match(w, rest)
			total := sumPairs(w, ps)
			t, ok := trioWith(k, ps)
			if ok {
				total += t.gain
			}
			if left < 0 || total > best {
				best, left, pairs, trio, hasTrio = total, k, ps, t, ok
			}
		}
	}
	for pi, p := range pairs {
		a, b := p[0], p[1]
		if !hasTrio || pi != trio.pair {
			s := sc[a][b]
			out.Pairs = append(out.Pairs, Suggestion{Members: []string{cs[a].ID, cs[b].ID}, Score: s.score, Shared: s.shared, Explanation: strings.Join(s.why, "; ")})
			continue
		}
		out.Pairs = append(out.Pairs, in.trio(cs, sc, w, [3]int{a, b, left}))
	}
	if hasTrio && trio.existing >= 0 {
		e := ex[trio.existing]
		k := cs[left]
		shared := mergeSorted(in.pairScore(k, e.Members[0]).shared, in.pairScore(k, e.Members[1]).shared)
		out.Pairs = append(out.Pairs, Suggestion{Members: []string{e.Members[0].ID, e.Members[1].ID, k.ID}, JoinPairID: e.ID, Score: trio.gain, Shared: shared,
			Explanation: "joins a current pair as a trio while the group has an odd number of members: the third " + in.thirdWhy(k, e.Members, shared)})
	}
	if left >= 0 && !hasTrio {
		out.Unmatched = append(out.Unmatched, cs[left].ID)
	}
	return out
}

// trio is the suggestion of the candidates of three (indexes into cs),
// explained as its best-scoring pair and a third.
func (in SuggestInput) trio(cs []Candidate, sc [][]scored, w [][]int, three [3]int) Suggestion {
	idx := three[:]
	sort.Ints(idx)
	x, y, k := idx[0], idx[1], idx[2]
	for _, c := range [][3]int{{idx[0], idx[2], idx[1]}, {idx[1], idx[2], idx[0]}} {
		if w[c[0]][c[1]] > w[x][y] {
			x, y, k = c[0], c[1], c[2]
		}
	}
	s := sc[x][y]
	shared := mergeSorted(sc[k][x].shared, sc[k][y].shared)
	return Suggestion{Members: []string{cs[idx[0]].ID, cs[idx[1]].ID, cs[idx[2]].ID}, Score: s.score + w[k][x] + w[k][y],
		Shared: mergeSorted(s.shared, shared),
		Explanation: strings.Join(s.why, "; ") + "; a trio while the group has an odd number of members: the third " +
			in.thirdWhy(cs[k], [2]Candidate{cs[x], cs[y]}, shared)}
}

func (in SuggestInput) thirdWhy(k Candidate, pair [2]Candidate, shared []string) string {
	var why string
	if len(shared) == 0 {
		why = "shares no recorded interests with the pair"
	} else {
		why = "shares " + plural(len(shared), "interest", "interests") + " with the pair: " + strings.Join(shared, ", ")
	}
	if k.Stage == 0 {
		why += ", no outings recorded yet"
	} else {
		why += fmt.Sprintf(", at stage %d", k.Stage)
	}
	if !in.MixedPairs && MixedPair(k.Gender, pair[0].Gender, pair[1].Gender) {
		why += "; it mixes a man and a woman although the group prefers not to: no other way was possible"
	}
	return why
}

func mergeSorted(lists ...[]string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, l := range lists {
		for _, s := range l {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

func allIndexes(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func sumPairs(w [][]int, ps [][2]int) int {
	t := 0
	for _, p := range ps {
		t += w[p[0]][p[1]]
	}
	return t
}

// match pairs the given candidates (an even number of indexes, in order)
// with the highest total weight: exactly, by dynamic programming over the
// subsets, up to exactLimit candidates; greedily beyond. The lowest
// unmatched index always takes the first best partner, which makes the
// result deterministic.
func match(w [][]int, idx []int) [][2]int {
	n := len(idx)
	if n == 0 {
		return nil
	}
	if n > exactLimit {
		return greedy(w, idx)
	}
	full := uint32(1)<<n - 1
	memo := map[uint32]int{}
	var best func(mask uint32) int
	best = func(mask uint32) int {
		if mask == 0 {
			return 0
		}
		if v, ok := memo[mask]; ok {
			return v
		}
		i := bits.TrailingZeros32(mask)
		rest := mask &^ (1 << i)
		v, first := 0, true
		for r := rest; r != 0; r &= r - 1 {
			j := bits.TrailingZeros32(r)
			if t := w[idx[i]][idx[j]] + best(rest&^(1<<j)); first || t > v {
				v, first = t, false
			}
		}
		memo[mask] = v
		return v
	}
	var out [][2]int
	for mask := full; mask != 0; {
		i := bits.TrailingZeros32(mask)
		rest := mask &^ (1 << i)
		target := best(mask)
		for r := rest; r != 0; r &= r - 1 {
			j := bits.TrailingZeros32(r)
			if w[idx[i]][idx[j]]+best(rest&^(1<<j)) == target {
				out = append(out, [2]int{idx[i], idx[j]})
				mask = rest &^ (1 << j)
				break
			}
		}
	}
	return out
}

// greedy pairs an oversized group: the best-scoring pair first.
func greedy(w [][]int, idx []int) [][2]int {
	used := map[int]bool{}
	var out [][2]int
	for len(used)+1 < len(idx) {
		bi, bj, bv := -1, -1, 0
		for x, i := range idx {
			if used[i] {
				continue
			}
			for _, j := range idx[x+1:] {
				if !used[j] && (bi < 0 || w[i][j] > bv) {
					bi, bj, bv = i, j, w[i][j]
				}
			}
		}
		used[bi], used[bj] = true, true
		out = append(out, [2]int{bi, bj})
	}
	sort.Slice(out, func(a, b int) bool { return out[a][0] < out[b][0] })
	return out
}
