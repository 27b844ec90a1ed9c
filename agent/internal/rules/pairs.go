package rules

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// Genders a pairing profile may record. The gender is optional, stays at
// the site and serves only the group's mixed-pairs preference.
const (
	GenderWoman          = "woman"
	GenderMan            = "man"
	GenderNonBinary      = "non_binary"
	GenderPreferNotToSay = "prefer_not_to_say"
)

// Genders lists the recordable genders ("" means not recorded).
var Genders = []string{GenderWoman, GenderMan, GenderNonBinary, GenderPreferNotToSay}

// GenderLabel names a gender for people.
func GenderLabel(g string) string {
	switch g {
	case GenderWoman:
		return "Woman"
	case GenderMan:
		return "Man"
	case GenderNonBinary:
		return "Non-binary"
	case GenderPreferNotToSay:
		return "Prefers not to say"
	}
	return "Not recorded"
}

// Reasons a pair ends.
const (
	EndNotWorkingWell       = "not_working_well"
	EndDifferentProgression = "different_progression"
	EndLeftProgram          = "left_program"
	EndOther                = "other"
)

// EndReasons lists the reasons a pair can end for.
var EndReasons = []string{EndNotWorkingWell, EndDifferentProgression, EndLeftProgram, EndOther}

// EndReasonLabel names an end reason for people.
func EndReasonLabel(r string) string {
	switch r {
	case EndNotWorkingWell:
		return "Not working well"
	case EndDifferentProgression:
		return "Partners progressing at different rates"
	case EndLeftProgram:
		return "A partner left the program or the group"
	case EndOther:
		return "Other"
	}
	return r
}

// MaxInterests and MaxInterestLen bound a pairing profile's interests.
const (
	MaxInterests   = 20
	MaxInterestLen = 40
)

// NormalizeInterest is the form an interest tag is kept and compared in:
// trimmed, lower case, inner spaces collapsed.
func NormalizeInterest(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// CleanInterests normalizes and de-duplicates interest tags, keeping their
// order, and lists what is wrong with them.
func CleanInterests(tags []string) ([]string, Problems) {
	var p Problems
	seen := map[string]bool{}
	out := []string{}
	for _, t := range tags {
		n := NormalizeInterest(t)
		switch {
		case n == "" || seen[n]:
			continue
		case len(n) > MaxInterestLen:
			p = append(p, Problem{"interests", fmt.Sprintf("%q is longer than %d characters: use a short tag", n, MaxInterestLen)})
		case strings.Contains(n, ","):
			p = append(p, Problem{"interests", fmt.Sprintf("%q holds a comma: give each interest as its own tag", n)})
		}
		seen[n] = true
		out = append(out, n)
	}
	if len(out) > MaxInterests {
		p = append(p, Problem{"interests", fmt.Sprintf("at most %d interests", MaxInterests)})
	}
	return out, p
}

// NewPair is a proposed pair with what the store knows around it.
type NewPair struct {
	// PeerPartners is false for a cohort of another model; Closed when the
	// cohort has closed.
	PeerPartners bool
	Closed       bool
	// Members are the cohort's current members; Paired those of them (or
	// anyone) already in a current pair.
	Members map[string]bool
	Paired  map[string]bool
	// TrioExists is true when the cohort already has a current trio.
	TrioExists bool
	Proposed   []string
}

// Check lists what keeps the proposed pair from being formed: only current
// members of the same Peer Partners cohort; two people, or three only while
// the group has an odd number of members and no other trio; nobody already
// in a current pair (re-pairing someone means ending their pair first, with
// a reason).
func (n NewPair) Check() Problems {
	var p Problems
	if !n.PeerPartners {
		return append(p, Problem{"cohort", "pairs are formed only in a Peer Partners group"})
	}
	if n.Closed {
		return append(p, Problem{"cohort", "has closed"})
	}
	seen := map[string]bool{}
	for _, id := range n.Proposed {
		switch {
		case id == "":
			p = append(p, Problem{"participant_ids", "an empty participant id"})
		case seen[id]:
			p = append(p, Problem{"participant_ids", "the same participant is named twice"})
		case !n.Members[id]:
			p = append(p, Problem{"participant_ids", "a proposed partner is not a current member of this group"})
		case n.Paired[id]:
			p = append(p, Problem{"participant_ids", "a proposed partner already has a peer partner: end that pair first, with a reason"})
		}
		seen[id] = true
	}
	switch size := len(n.Proposed); {
	case size < 2:
		p = append(p, Problem{"participant_ids", "a pair needs two participants"})
	case size > 3:
		p = append(p, Problem{"participant_ids", "a pair has two participants (three only while the group is odd)"})
	case size == 3 && len(n.Members)%2 == 0:
		p = append(p, Problem{"participant_ids", fmt.Sprintf("the group has an even number of members (%d): pair two, not three", len(n.Members))})
	case size == 3 && n.TrioExists:
		p = append(p, Problem{"participant_ids", "the group already has a trio; there is only one at a time"})
	}
	return p
}

// MixedPair reports whether a pair or trio puts a man and a woman
// together, on what is known of their genders.
func MixedPair(genders ...string) bool {
	var man, woman bool
	for _, g := range genders {
		man = man || g == GenderMan
		woman = woman || g == GenderWoman
	}
	return man && woman
}

// CheckEnd lists what is wrong with ending a pair: a reason is required,
// and a note when the reason is "other".
func CheckEnd(reason, note string) Problems {
	var p Problems
	valid := false
	for _, r := range EndReasons {
		valid = valid || r == reason
	}
	if !valid {
		p = append(p, Problem{"reason", "choose why the pair ends: not working well, different progression, left the program or other"})
	}
	note = strings.TrimSpace(note)
	if reason == EndOther && note == "" {
		p = append(p, Problem{"note", "say why, when the reason is other"})
	}
	if len(note) > 500 {
		p = append(p, Problem{"note", "is longer than 500 characters"})
	}
	return p
}

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
		// A trio: explained as its best-scoring pair and a third.
		idx := []int{a, b, left}
		sort.Ints(idx)
		x, y, k := idx[0], idx[1], idx[2]
		for _, c := range [][3]int{{idx[0], idx[2], idx[1]}, {idx[1], idx[2], idx[0]}} {
			if w[c[0]][c[1]] > w[x][y] {
				x, y, k = c[0], c[1], c[2]
			}
		}
		s := sc[x][y]
		shared := mergeSorted(sc[k][x].shared, sc[k][y].shared)
		sug := Suggestion{Members: []string{cs[idx[0]].ID, cs[idx[1]].ID, cs[idx[2]].ID}, Score: s.score + w[k][x] + w[k][y],
			Shared: mergeSorted(s.shared, shared),
			Explanation: strings.Join(s.why, "; ") + "; a trio while the group has an odd number of members: the third " +
				in.thirdWhy(cs[k], [2]Candidate{cs[x], cs[y]}, shared)}
		out.Pairs = append(out.Pairs, sug)
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

// AdvicePair is a current pair as the group advice sees it.
type AdvicePair struct {
	Names []string
	// Stages are the partners' current stages (0 for no outings).
	Stages []int
	// FormerMember is true when a partner is no longer in the group.
	FormerMember bool
}

// PairAdvice says what the group's pairs need: members without a partner,
// a trio the group no longer needs, a pair with someone who left, partners
// whose outing stages have grown far apart.
func PairAdvice(groupSize int, pairs []AdvicePair, unpaired int) []string {
	var out []string
	trios := 0
	for _, p := range pairs {
		if len(p.Names) == 3 {
			trios++
		}
	}
	switch {
	case unpaired == 1 && groupSize%2 == 1 && trios == 0 && len(pairs) > 0:
		out = append(out, "One member has no peer partner because the group has an odd number: add them to a pair as a trio until the numbers change.")
	case unpaired == 1 && len(pairs) == 0:
		out = append(out, "1 member has no peer partner yet: pairing needs another member in the group.")
	case unpaired == 1:
		out = append(out, "1 member has no peer partner yet.")
	case unpaired > 1:
		out = append(out, fmt.Sprintf("%d members have no peer partner yet: the suggestions below pair them.", unpaired))
	}
	if trios > 0 && groupSize%2 == 0 {
		out = append(out, "The group now has an even number of members: split the trio (end it with a reason) so that everyone has one partner.")
	}
	for _, p := range pairs {
		who := JoinNames(p.Names)
		if p.FormerMember {
			out = append(out, "The pair of "+who+" includes someone no longer in the group: end it with the reason \u201cleft the program\u201d.")
			continue
		}
		lo, hi := 0, 0
		for i, s := range p.Stages {
			if i == 0 || s < lo {
				lo = s
			}
			hi = max(hi, s)
		}
		if lo > 0 && hi-lo >= 2 {
			out = append(out, fmt.Sprintf("%s are at outing stages %d and %d: consider re-pairing with partners at the same stage (end the pair with the reason \u201cdifferent progression\u201d).", who, lo, hi))
		}
	}
	return out
}

// JoinNames lists names as people write them: "A", "A and B", "A, B and C".
func JoinNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
