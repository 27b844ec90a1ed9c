package rules

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func cand(id string, stage int, gender string, interests ...string) Candidate {
	return Candidate{ID: id, Name: id, Stage: stage, Gender: gender, Interests: interests}
}

// pairsOf renders suggestions as "a+b" strings, in order.
func pairsOf(s Suggestions) []string {
	out := []string{}
	for _, p := range s.Pairs {
		out = append(out, strings.Join(p.Members, "+"))
	}
	return out
}

func TestSuggestSharedInterestsAndStage(t *testing.T) {
	in := SuggestInput{MixedPairs: true, Candidates: []Candidate{
		cand("ana", 2, "", "Hiking", "board  games", "cooking", "chess"),
		cand("ben", 1, "", "knitting"),
		cand("cal", 2, "", "cooking", "hiking", "Board Games", "gardening"),
		cand("dee", 1, "", "knitting", "cooking"),
	}}
	s := Suggest(in)
	if got := pairsOf(s); !reflect.DeepEqual(got, []string{"ana+cal", "ben+dee"}) {
		t.Fatalf("pairs %v", got)
	}
	if want := "shares 3 interests: board games, cooking, hiking; both at stage 2"; s.Pairs[0].Explanation != want {
		t.Fatalf("explanation %q, want %q", s.Pairs[0].Explanation, want)
	}
	if !reflect.DeepEqual(s.Pairs[0].Shared, []string{"board games", "cooking", "hiking"}) || len(s.Unmatched) != 0 {
		t.Fatalf("suggestion %+v", s)
	}
	if want := "shares 1 interest: knitting; both at stage 1"; s.Pairs[1].Explanation != want {
		t.Fatalf("explanation %q, want %q", s.Pairs[1].Explanation, want)
	}
}

func TestSuggestIsDeterministic(t *testing.T) {
	var cs []Candidate
	tags := []string{"hiking", "cooking", "music", "films", "board games", "gardening"}
	for i, name := range []string{"ana", "ben", "cal", "dee", "eli", "fay", "gus", "hal", "ivy", "jo", "kim"} {
		cs = append(cs, cand(name, i%4+1, "", tags[i%6], tags[(i*5)%6]))
	}
	// Equal scores everywhere make ties: the tie-breaking must not depend
	// on the input order.
	for i := range 4 {
		cs = append(cs, cand("tie"+string(rune('a'+i)), 0, ""))
	}
	want := Suggest(SuggestInput{Candidates: cs, MixedPairs: true, TrioAllowed: true})
	if len(want.Pairs) != 7 || len(want.Unmatched) != 0 {
		t.Fatalf("15 candidates, trio allowed: %+v", want)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 30 {
		shuffled := append([]Candidate(nil), cs...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := Suggest(SuggestInput{Candidates: shuffled, MixedPairs: true, TrioAllowed: true}); !reflect.DeepEqual(got, want) {
			t.Fatalf("order changed the suggestions:\n%v\n%v", pairsOf(got), pairsOf(want))
		}
	}
}

// A greedy pairing would take the single best pair (ana+ben) and leave
// cal+dee with nothing in common; the best pairing overall is ana+cal and
// ben+dee.
func TestSuggestMaximizesTheWholeGroup(t *testing.T) {
	s := Suggest(SuggestInput{MixedPairs: true, Candidates: []Candidate{
		cand("ana", 0, "", "a", "b", "c", "d", "e"),
		cand("ben", 0, "", "a", "b", "c", "d", "e", "f", "g", "h", "i"),
		cand("cal", 0, "", "a", "b", "c", "d"),
		cand("dee", 0, "", "f", "g", "h", "i"),
	}})
	if got := pairsOf(s); !reflect.DeepEqual(got, []string{"ana+cal", "ben+dee"}) {
		t.Fatalf("pairs %v", got)
	}
}

func TestSuggestMatchesStages(t *testing.T) {
	// One shared interest does not outweigh stages three apart: the two
	// ready to go out alone are paired together.
	s := Suggest(SuggestInput{MixedPairs: true, Candidates: []Candidate{
		cand("ana", 4, "", "films"),
		cand("ben", 1, "", "films"),
		cand("cal", 4, ""),
		cand("dee", 1, ""),
	}})
	if got := pairsOf(s); !reflect.DeepEqual(got, []string{"ana+cal", "ben+dee"}) {
		t.Fatalf("pairs %v", got)
	}
	if !strings.Contains(s.Pairs[0].Explanation, "both at stage 4") {
		t.Fatalf("explanation %q", s.Pairs[0].Explanation)
	}
	one := Suggest(SuggestInput{Candidates: []Candidate{cand("ana", 1, ""), cand("ben", 3, "")}})
	if !strings.Contains(one.Pairs[0].Explanation, "stages 1 and 3, far apart") {
		t.Fatalf("explanation %q", one.Pairs[0].Explanation)
	}
}

func TestSuggestMixedPairsPreference(t *testing.T) {
	cs := []Candidate{
		cand("al", 2, GenderMan, "fishing", "films", "cooking"),
		cand("bo", 2, GenderMan, "chess"),
		cand("cy", 2, GenderWoman, "fishing", "films", "cooking"),
		cand("di", 2, GenderWoman, "chess"),
	}
	if got := pairsOf(Suggest(SuggestInput{Candidates: cs, MixedPairs: true})); !reflect.DeepEqual(got, []string{"al+cy", "bo+di"}) {
		t.Fatalf("mixed pairs allowed: %v", got)
	}
	s := Suggest(SuggestInput{Candidates: cs, MixedPairs: false})
	if got := pairsOf(s); !reflect.DeepEqual(got, []string{"al+bo", "cy+di"}) {
		t.Fatalf("mixed pairs avoided: %v", got)
	}
	// Unknown or other genders are not a man-woman pair.
	cs[1].Gender, cs[3].Gender = "", GenderNonBinary
	if got := pairsOf(Suggest(SuggestInput{Candidates: cs, MixedPairs: false})); !reflect.DeepEqual(got, []string{"al+bo", "cy+di"}) {
		t.Fatalf("unknown genders: %v", got)
	}
	cs[1].Gender = GenderPreferNotToSay
	cs[3].Gender = GenderWoman
	cs[2].Gender = ""
	if got := pairsOf(Suggest(SuggestInput{Candidates: cs, MixedPairs: false})); !reflect.DeepEqual(got, []string{"al+cy", "bo+di"}) {
		t.Fatalf("only known genders count: %v", got)
	}
	// Where there is no other way, the pair is still proposed, and says so.
	s = Suggest(SuggestInput{Candidates: []Candidate{cand("al", 0, GenderMan), cand("cy", 0, GenderWoman)}})
	if len(s.Pairs) != 1 || !strings.Contains(s.Pairs[0].Explanation, "no other pairing was possible") {
		t.Fatalf("the only pair: %+v", s)
	}
}

func TestSuggestAvoidsPairsThatDidNotWork(t *testing.T) {
	cs := []Candidate{cand("ana", 2, "", "films"), cand("ben", 2, "", "films"), cand("cal", 1, ""), cand("dee", 3, "")}
	if got := pairsOf(Suggest(SuggestInput{Candidates: cs})); got[0] != "ana+ben" {
		t.Fatalf("pairs %v", got)
	}
	s := Suggest(SuggestInput{Candidates: cs, Avoid: map[string]bool{PairKey("ben", "ana"): true}})
	if got := pairsOf(s); got[0] == "ana+ben" || got[1] == "ana+ben" {
		t.Fatalf("re-proposed a pair that did not work: %v", got)
	}
}

func TestSuggestOddGroups(t *testing.T) {
	cs := []Candidate{
		cand("ana", 2, "", "films", "chess"), cand("ben", 2, "", "films", "chess"),
		cand("cal", 1, "", "knitting"), cand("dee", 1, "", "knitting"),
		cand("eve", 2, "", "chess"),
	}
	s := Suggest(SuggestInput{Candidates: cs})
	if got := pairsOf(s); !reflect.DeepEqual(got, []string{"ana+ben", "cal+dee"}) || !reflect.DeepEqual(s.Unmatched, []string{"eve"}) {
		t.Fatalf("no trio allowed: %v, left %v", got, s.Unmatched)
	}
	s = Suggest(SuggestInput{Candidates: cs, TrioAllowed: true})
	if got := pairsOf(s); !reflect.DeepEqual(got, []string{"ana+ben+eve", "cal+dee"}) || len(s.Unmatched) != 0 {
		t.Fatalf("trio allowed: %v, left %v", got, s.Unmatched)
	}
	if !strings.Contains(s.Pairs[0].Explanation, "a trio while the group has an odd number") || !strings.Contains(s.Pairs[0].Explanation, "shares 1 interest with the pair: chess, at stage 2") {
		t.Fatalf("trio explanation %q", s.Pairs[0].Explanation)
	}
	// A lone member joins the current pair they fit best.
	existing := []ExistingPair{
		{ID: "p1", Members: [2]Candidate{cand("cal", 1, "", "knitting"), cand("dee", 1, "", "knitting")}},
		{ID: "p2", Members: [2]Candidate{cand("ben", 2, "", "films"), cand("ana", 2, "", "films", "chess")}},
	}
	s = Suggest(SuggestInput{Candidates: []Candidate{cand("eve", 2, "", "chess")}, TrioAllowed: true, Existing: existing})
	if len(s.Pairs) != 1 || s.Pairs[0].JoinPairID != "p2" || !reflect.DeepEqual(s.Pairs[0].Members, []string{"ana", "ben", "eve"}) {
		t.Fatalf("joining a pair: %+v", s)
	}
	if s := Suggest(SuggestInput{Candidates: []Candidate{cand("eve", 2, "")}, Existing: existing}); len(s.Pairs) != 0 || s.Unmatched[0] != "eve" {
		t.Fatalf("joining without a trio allowed: %+v", s)
	}
}

func TestNewPairRules(t *testing.T) {
	members := map[string]bool{"a": true, "b": true, "c": true, "d": true, "e": true}
	ok := NewPair{PeerPartners: true, Members: members, Paired: map[string]bool{"d": true}, Proposed: []string{"a", "b"}}
	if p := ok.Check(); len(p) != 0 {
		t.Fatalf("a valid pair: %v", p)
	}
	for name, c := range map[string]struct {
		n    NewPair
		want string
	}{
		"not a member":  {NewPair{PeerPartners: true, Members: members, Proposed: []string{"a", "x"}}, "not a current member"},
		"already":       {NewPair{PeerPartners: true, Members: members, Paired: map[string]bool{"b": true}, Proposed: []string{"a", "b"}}, "end that pair first"},
		"twice":         {NewPair{PeerPartners: true, Members: members, Proposed: []string{"a", "a"}}, "named twice"},
		"alone":         {NewPair{PeerPartners: true, Members: members, Proposed: []string{"a"}}, "needs two"},
		"four":          {NewPair{PeerPartners: true, Members: members, Proposed: []string{"a", "b", "c", "e"}}, "has two participants"},
		"second trio":   {NewPair{PeerPartners: true, Members: members, TrioExists: true, Proposed: []string{"a", "b", "c"}}, "already has a trio"},
		"even trio":     {NewPair{PeerPartners: true, Members: map[string]bool{"a": true, "b": true, "c": true, "d": true}, Proposed: []string{"a", "b", "c"}}, "even number of members (4)"},
		"other model":   {NewPair{Members: members, Proposed: []string{"a", "b"}}, "Peer Partners"},
		"closed cohort": {NewPair{PeerPartners: true, Closed: true, Members: members, Proposed: []string{"a", "b"}}, "closed"},
	} {
		p := c.n.Check()
		if len(p) == 0 || !strings.Contains(p.Error(), c.want) {
			t.Errorf("%s: %v", name, p)
		}
	}
	trio := NewPair{PeerPartners: true, Members: members, Proposed: []string{"a", "b", "c"}}
	if p := trio.Check(); len(p) != 0 {
		t.Fatalf("a trio in an odd group: %v", p)
	}
}

func TestCheckEnd(t *testing.T) {
	if p := CheckEnd("", ""); len(p) != 1 || p[0].Field != "reason" {
		t.Fatalf("no reason: %v", p)
	}
	if p := CheckEnd("bored", ""); len(p) != 1 {
		t.Fatalf("unknown reason: %v", p)
	}
	if p := CheckEnd(EndOther, "  "); len(p) != 1 || p[0].Field != "note" {
		t.Fatalf("other without a note: %v", p)
	}
	for _, r := range EndReasons {
		if p := CheckEnd(r, "moved away"); len(p) != 0 {
			t.Fatalf("%s: %v", r, p)
		}
	}
}

func TestCleanInterests(t *testing.T) {
	got, p := CleanInterests([]string{" Board  Games", "board games", "", "HIKING"})
	if len(p) != 0 || !reflect.DeepEqual(got, []string{"board games", "hiking"}) {
		t.Fatalf("%v %v", got, p)
	}
	if _, p := CleanInterests([]string{strings.Repeat("x", 41), "a,b"}); len(p) != 2 {
		t.Fatalf("bad tags: %v", p)
	}
	many := make([]string, 21)
	for i := range many {
		many[i] = strings.Repeat("t", i+1)
	}
	if _, p := CleanInterests(many); len(p) != 1 {
		t.Fatalf("21 tags: %v", p)
	}
}

func TestPairAdvice(t *testing.T) {
	if a := PairAdvice(7, []AdvicePair{{Names: []string{"A", "B"}, Stages: []int{1, 1}}}, 1); len(a) != 1 || !strings.Contains(a[0], "as a trio") {
		t.Fatalf("odd group, one unpaired: %v", a)
	}
	if a := PairAdvice(8, []AdvicePair{{Names: []string{"A", "B", "C"}}}, 0); len(a) != 1 || !strings.Contains(a[0], "split the trio") {
		t.Fatalf("even group with a trio: %v", a)
	}
	a := PairAdvice(6, []AdvicePair{{Names: []string{"A", "B"}, Stages: []int{1, 3}}, {Names: []string{"C", "D"}, FormerMember: true}, {Names: []string{"E", "F"}, Stages: []int{0, 4}}}, 0)
	if len(a) != 2 || !strings.Contains(a[0], "A and B are at outing stages 1 and 3") || !strings.Contains(a[1], "left the program") {
		t.Fatalf("advice %v", a)
	}
	if a := PairAdvice(8, nil, 8); len(a) != 1 || !strings.Contains(a[0], "8 members have no peer partner") {
		t.Fatalf("nobody paired: %v", a)
	}
	if a := PairAdvice(1, nil, 1); len(a) != 1 || !strings.Contains(a[0], "needs another member") {
		t.Fatalf("a group of one: %v", a)
	}
}
