package rules

import (
	"fmt"
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
func GenderLabel(g string) string { return labelOr(genderLabels, g, "Not recorded") }

var genderLabels = map[string]string{GenderWoman: "Woman", GenderMan: "Man", GenderNonBinary: "Non-binary", GenderPreferNotToSay: "Prefers not to say"}

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
func EndReasonLabel(r string) string { return labelOr(endReasonLabels, r, r) }

var endReasonLabels = map[string]string{
	EndNotWorkingWell:       "Not working well",
	EndDifferentProgression: "Partners progressing at different rates",
	EndLeftProgram:          "A partner left the program or the group",
	EndOther:                "Other",
}

// labelOr is the label of k, or none when it has none.
func labelOr[K comparable](labels map[K]string, k K, none string) string {
	if l, ok := labels[k]; ok {
		return l
	}
	return none
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
		p = append(p, Problem{"note", "Use at most 500 characters"})
	}
	return p
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
