package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/program"
)

// pairSite is a site on 2026-06-20 with a certified coach and a Peer
// Partners group of n members enrolled and joined on 2026-01-12.
type pairSite struct {
	st     *Store
	cohort Cohort
	ps     []Participant
}

func person(t *testing.T, st *Store, first, enrolled string) Participant {
	t.Helper()
	p, err := st.Participants.AddParticipant(context.Background(), eligible(ParticipantInput{FirstName: first, LastName: "Example", BirthDate: "1980-05-05", EnrolledOn: enrolled}))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newPairSite(t *testing.T, n int, mixed bool) pairSite {
	t.Helper()
	ctx := context.Background()
	st := openTestAt(t, time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC))
	c, _ := st.Coaches.AddCoach(ctx, CoachInput{Name: "Casey"})
	if _, err := st.Coaches.RecordCertification(ctx, c.ID, "site", Certification{Code: "PLC-1", CertifiedUntil: "2027-01-01"}); err != nil {
		t.Fatal(err)
	}
	coh, err := st.Cohorts.AddCohort(ctx, CohortInput{Name: "G", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: c.ID, MixedPairs: mixed})
	if err != nil {
		t.Fatal(err)
	}
	s := pairSite{st: st, cohort: coh}
	for i := range n {
		p := person(t, st, string(rune('A'+i))+"lex", "2026-01-12")
		if err := st.Cohorts.AddMember(ctx, coh.ID, p.ID, "2026-01-12"); err != nil {
			t.Fatal(err)
		}
		s.ps = append(s.ps, p)
	}
	return s
}

func (s pairSite) pair(t *testing.T, ids ...string) PairInfo {
	t.Helper()
	p, _, err := s.st.Pairs.FormPair(context.Background(), s.cohort.ID, PairInput{ParticipantIDs: ids, FormedOn: "2026-02-01"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (s pairSite) countPairs(t *testing.T) (pairs, members int64) {
	t.Helper()
	s.st.DB.Model(&Pair{}).Count(&pairs)
	s.st.DB.Model(&PairMember{}).Count(&members)
	return
}

// wantRefused checks an error is a validation error naming field and
// saying want.
func wantRefused(t *testing.T, what string, err error, field, want string) {
	t.Helper()
	var ves ValidationErrors
	var ve *ValidationError
	switch {
	case errors.As(err, &ves):
		for _, e := range ves {
			if e.Field == field && strings.Contains(e.Msg, want) {
				return
			}
		}
	case errors.As(err, &ve):
		if ve.Field == field && strings.Contains(ve.Msg, want) {
			return
		}
	}
	t.Fatalf("%s: got %v, want %s: %q", what, err, field, want)
}

func TestFormingAndEndingPairs(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 6, true)
	st, cid, ps := s.st, s.cohort.ID, s.ps
	outsider := person(t, st, "Olly", "2026-01-12")

	_, _, err := st.Pairs.FormPair(ctx, cid, PairInput{ParticipantIDs: []string{ps[0].ID, outsider.ID}, FormedOn: "2026-02-01"})
	wantRefused(t, "non-member", err, "participant_ids", "not a current member")
	if n, m := s.countPairs(t); n != 0 || m != 0 {
		t.Fatalf("a refused pair stored %d pairs, %d members", n, m)
	}
	p := s.pair(t, ps[0].ID, ps[1].ID)
	if len(p.Partners) != 2 || !p.Current() || p.FormedOn != "2026-02-01" {
		t.Fatalf("pair %+v", p)
	}
	_, _, err = st.Pairs.FormPair(ctx, cid, PairInput{ParticipantIDs: []string{ps[1].ID, ps[2].ID}, FormedOn: "2026-02-01"})
	wantRefused(t, "double pairing", err, "participant_ids", "end that pair first")
	_, _, err = st.Pairs.FormPair(ctx, cid, PairInput{ParticipantIDs: []string{ps[2].ID, ps[3].ID, ps[4].ID}, FormedOn: "2026-02-01"})
	wantRefused(t, "trio in an even group", err, "participant_ids", "even number of members (6)")
	_, _, err = st.Pairs.FormPair(ctx, cid, PairInput{ParticipantIDs: []string{ps[2].ID, ps[3].ID}, FormedOn: "2026-06-21"})
	wantRefused(t, "future", err, "formed_on", "no later than today")
	_, _, err = st.Pairs.FormPair(ctx, cid, PairInput{ParticipantIDs: []string{ps[2].ID, ps[3].ID}, FormedOn: "2026-01-11"})
	wantRefused(t, "before joining", err, "formed_on", "joined the group on Mon 12 Jan 2026")
	if n, _ := s.countPairs(t); n != 1 {
		t.Fatalf("%d pairs after refusals", n)
	}
	// The database holds the line too: one current pair per participant.
	if err := st.DB.Create(&Pair{ID: "x", CohortID: cid, FormedOn: "2026-02-01", CreatedAt: st.Now(), UpdatedAt: st.Now()}).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Create(&PairMember{PairID: "x", ParticipantID: ps[0].ID, JoinedOn: "2026-02-01"}).Error; err == nil {
		t.Fatal("the database took a second current pair for a participant")
	}
	st.DB.Exec("DELETE FROM pairs WHERE id = 'x'")

	// Ending requires a reason (and a note for "other"); nothing changes
	// until it is given.
	_, err = st.Pairs.EndPair(ctx, cid, p.ID, EndPairInput{EndedOn: "2026-03-01"})
	wantRefused(t, "no reason", err, "reason", "choose why")
	_, err = st.Pairs.EndPair(ctx, cid, p.ID, EndPairInput{EndedOn: "2026-03-01", Reason: rules.EndOther})
	wantRefused(t, "other without a note", err, "note", "say why")
	_, err = st.Pairs.EndPair(ctx, cid, p.ID, EndPairInput{EndedOn: "2026-01-31", Reason: rules.EndNotWorkingWell})
	wantRefused(t, "before formed", err, "ended_on", "on or after the pair was formed")
	if cur, _ := st.Pairs.ParticipantPairs(ctx, ps[0].ID); len(cur) != 1 || !cur[0].Current() {
		t.Fatalf("a refused end changed the pair: %+v", cur)
	}
	if _, err := st.Pairs.EndPair(ctx, "another-cohort", p.ID, EndPairInput{EndedOn: "2026-03-01", Reason: rules.EndNotWorkingWell}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ended through another cohort: %v", err)
	}
	ended, err := st.Pairs.EndPair(ctx, cid, p.ID, EndPairInput{EndedOn: "2026-03-01", Reason: rules.EndNotWorkingWell, Note: " kept cancelling "})
	if err != nil || ended.EndedOn != "2026-03-01" || ended.EndReason != rules.EndNotWorkingWell || ended.EndNote != "kept cancelling" {
		t.Fatalf("end: %+v %v", ended, err)
	}
	_, err = st.Pairs.EndPair(ctx, cid, p.ID, EndPairInput{EndedOn: "2026-03-02", Reason: rules.EndOther, Note: "again"})
	wantRefused(t, "ending twice", err, "pair", "already ended")

	// Re-pairing after the end; a pair that did not work is flagged if
	// formed again.
	p2 := s.pair(t, ps[1].ID, ps[2].ID)
	_, warn, err := st.Pairs.FormPair(ctx, cid, PairInput{ParticipantIDs: []string{ps[0].ID, ps[3].ID}, FormedOn: "2026-03-02"})
	if err != nil || len(warn) != 0 {
		t.Fatalf("re-pair: %v %v", warn, err)
	}
	hist, _ := st.Pairs.ParticipantPairs(ctx, ps[1].ID)
	if len(hist) != 2 || hist[0].ID != p2.ID || hist[1].ID != p.ID || hist[1].Current() {
		t.Fatalf("history of the second partner: %+v", hist)
	}
	if _, err := st.Pairs.EndPair(ctx, cid, p2.ID, EndPairInput{EndedOn: "2026-04-01", Reason: rules.EndDifferentProgression}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pairs.EndPair(ctx, cid, hist[0].ID, EndPairInput{EndedOn: "2026-04-01", Reason: rules.EndOther, Note: "x"}); err == nil {
		t.Fatal("an ended pair ended again")
	}
	// ps[1] and ps[0] are both free again? ps[0] is with ps[3]; pair ps[1]
	// with ps[4] and check the flag on a pair that did not work.
	cur, _ := st.Pairs.ParticipantPairs(ctx, ps[0].ID)
	if _, err := st.Pairs.EndPair(ctx, cid, cur[0].ID, EndPairInput{EndedOn: "2026-04-01", Reason: rules.EndOther, Note: "swap"}); err != nil {
		t.Fatal(err)
	}
	_, warn, err = st.Pairs.FormPair(ctx, cid, PairInput{ParticipantIDs: []string{ps[1].ID, ps[0].ID}, FormedOn: "2026-04-02"})
	if err != nil || len(warn) != 1 || !strings.Contains(warn[0], "did not work well") {
		t.Fatalf("pairing again a pair that did not work: %v %v", warn, err)
	}
}

func TestPairsOnlyInPeerPartnersGroups(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 0, true)
	coh, err := s.st.Cohorts.AddCohort(ctx, CohortInput{Name: "One to one", Model: program.ModelSocialExplorations, StartDate: "2026-01-12", CoachID: s.cohort.CoachID})
	if err != nil {
		t.Fatal(err)
	}
	a, b := person(t, s.st, "Ann", "2026-01-12"), person(t, s.st, "Bob", "2026-01-12")
	for _, p := range []Participant{a, b} {
		if err := s.st.Cohorts.AddMember(ctx, coh.ID, p.ID, "2026-01-12"); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = s.st.Pairs.FormPair(ctx, coh.ID, PairInput{ParticipantIDs: []string{a.ID, b.ID}, FormedOn: "2026-02-01"})
	wantRefused(t, "social explorations", err, "cohort", "Peer Partners")
	v, err := s.st.Pairs.CohortPairs(ctx, coh.ID)
	if err != nil || v.PeerPartners || len(v.Suggestions) != 0 {
		t.Fatalf("pairs of a one-to-one cohort: %+v %v", v, err)
	}
	if _, _, err := s.st.Pairs.FormPair(ctx, "nope", PairInput{ParticipantIDs: []string{a.ID, b.ID}, FormedOn: "2026-02-01"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown cohort: %v", err)
	}
}

func TestTriosAndGroupAdvice(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 7, true)
	st, cid, ps := s.st, s.cohort.ID, s.ps
	s.pair(t, ps[0].ID, ps[1].ID)
	s.pair(t, ps[2].ID, ps[3].ID)
	s.pair(t, ps[4].ID, ps[5].ID)
	v, err := st.Pairs.CohortPairs(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Current) != 3 || len(v.Unpaired) != 1 || v.Unpaired[0].ID != ps[6].ID || !v.TrioAllowed {
		t.Fatalf("view %+v", v)
	}
	if len(v.Advice) == 0 || !strings.Contains(v.Advice[0], "as a trio") || v.Group == nil || v.Group.Workable {
		t.Fatalf("advice %v, group %+v", v.Advice, v.Group)
	}
	if len(v.Suggestions) != 1 || v.Suggestions[0].JoinPairID == "" || len(v.Suggestions[0].Members) != 3 {
		t.Fatalf("the lone member should join a pair: %+v", v.Suggestions)
	}
	_, _, err = st.Pairs.JoinPair(ctx, cid, v.Suggestions[0].JoinPairID, JoinPairInput{ParticipantID: ps[6].ID, JoinedOn: "2026-01-01"})
	wantRefused(t, "joining before joining the group", err, "joined_on", "joined the group")
	trio, _, err := st.Pairs.JoinPair(ctx, cid, v.Suggestions[0].JoinPairID, JoinPairInput{ParticipantID: ps[6].ID, JoinedOn: "2026-03-01"})
	if err != nil || len(trio.Partners) != 3 {
		t.Fatalf("join: %+v %v", trio, err)
	}
	// Only one trio at a time. Hal and Ivy join (9 members); the trio's
	// third cannot be paired again; Kim joins (10, even: split the trio);
	// Lee joins (11, odd) and a second trio is refused.
	add := func(name string) Participant {
		t.Helper()
		p := person(t, st, name, "2026-01-12")
		if err := st.Cohorts.AddMember(ctx, cid, p.ID, "2026-01-12"); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hal, ivy := add("Hal"), add("Ivy")
	_, _, err = st.Pairs.FormPair(ctx, cid, PairInput{ParticipantIDs: []string{hal.ID, ivy.ID, ps[6].ID}, FormedOn: "2026-03-01"})
	wantRefused(t, "member of the trio again", err, "participant_ids", "already has a peer partner")
	kim := add("Kim")
	v, _ = st.Pairs.CohortPairs(ctx, cid)
	if len(v.Unpaired) != 3 || v.TrioAllowed || len(v.LeftUnpaired) != 1 || !strings.Contains(strings.Join(v.Advice, " "), "split the trio") {
		t.Fatalf("10 members with a trio: %+v", v)
	}
	add("Lee")
	_, _, err = st.Pairs.FormPair(ctx, cid, PairInput{ParticipantIDs: []string{hal.ID, ivy.ID, kim.ID}, FormedOn: "2026-05-02"})
	wantRefused(t, "second trio", err, "participant_ids", "already has a trio")

	// A partner who leaves the group: the pair is flagged.
	if err := st.Cohorts.RemoveMember(ctx, cid, ps[0].ID, "2026-05-01"); err != nil {
		t.Fatal(err)
	}
	v, _ = st.Pairs.CohortPairs(ctx, cid)
	found := false
	for _, a := range v.Advice {
		found = found || strings.Contains(a, "Alex Example, Blex Example and Glex Example includes someone no longer in the group")
	}
	if !found {
		t.Fatalf("advice %v", v.Advice)
	}
}

func TestSuggestionsUseProfilesAndStages(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 4, false)
	st, cid, ps := s.st, s.cohort.ID, s.ps
	profile := func(p Participant, gender string, interests ...string) {
		t.Helper()
		if _, err := st.Pairs.SavePairingProfile(ctx, p.ID, PairingProfileInput{Interests: interests, Gender: gender}); err != nil {
			t.Fatal(err)
		}
	}
	profile(ps[0], rules.GenderMan, "Hiking", "cooking", "board games")
	profile(ps[1], rules.GenderWoman, "hiking", "cooking", "board games")
	profile(ps[2], rules.GenderMan, "chess")
	profile(ps[3], rules.GenderWoman, "chess")
	for _, p := range ps[:2] {
		if _, err := st.Outings.AddOuting(ctx, p.ID, OutingInput{Date: "2026-05-01", Activity: "Library talk", Stage: 2}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := st.Pairs.CohortPairs(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, sg := range v.Suggestions {
		got[rules.PairKey(sg.Members[0], sg.Members[1])] = true
	}
	if len(v.Suggestions) != 2 || !got[rules.PairKey(ps[0].ID, ps[2].ID)] || !got[rules.PairKey(ps[1].ID, ps[3].ID)] {
		t.Fatalf("the group prefers no mixed pairs: %+v", v.Suggestions)
	}
	// Mixed pairs welcome: interests and stages decide.
	if err := st.DB.Model(&Cohort{}).Where("id = ?", cid).Update("mixed_pairs", true).Error; err != nil {
		t.Fatal(err)
	}
	v, _ = st.Pairs.CohortPairs(ctx, cid)
	want := "shares 3 interests: board games, cooking, hiking; both at stage 2"
	if len(v.Suggestions) != 2 || v.Suggestions[0].Explanation != want || v.Suggestions[0].Members[0] != ps[0].ID || v.Suggestions[0].Members[1] != ps[1].ID {
		t.Fatalf("suggestions %+v", v.Suggestions)
	}
	// Forming a mixed pair against the preference is allowed, with a warning.
	if err := st.DB.Model(&Cohort{}).Where("id = ?", cid).Update("mixed_pairs", false).Error; err != nil {
		t.Fatal(err)
	}
	_, warn, err := st.Pairs.FormPair(ctx, cid, PairInput{ParticipantIDs: []string{ps[0].ID, ps[1].ID}, FormedOn: "2026-05-02"})
	if err != nil || len(warn) != 1 || !strings.Contains(warn[0], "prefers no mixed pairs") {
		t.Fatalf("mixed pair: %v %v", warn, err)
	}
	v, _ = st.Pairs.CohortPairs(ctx, cid)
	if len(v.Current) != 1 || len(v.Unpaired) != 2 || len(v.Suggestions) != 1 || v.Current[0].Partners[0].Stage != 2 {
		t.Fatalf("after pairing: %+v", v)
	}
}

func TestPairingProfile(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 1, true)
	p := s.ps[0]
	pp, err := s.st.Pairs.PairingProfileOf(ctx, p.ID)
	if err != nil || len(pp.InterestList()) != 0 || pp.Gender != "" {
		t.Fatalf("empty profile: %+v %v", pp, err)
	}
	_, err = s.st.Pairs.SavePairingProfile(ctx, p.ID, PairingProfileInput{Interests: []string{"ok", strings.Repeat("x", 50)}, Gender: "female"})
	var ves ValidationErrors
	if !errors.As(err, &ves) || len(ves) != 2 {
		t.Fatalf("bad profile: %v", err)
	}
	if pp, _ := s.st.Pairs.PairingProfileOf(ctx, p.ID); pp.Interests != "[]" {
		t.Fatalf("a refused profile was stored: %+v", pp)
	}
	if _, err := s.st.Pairs.SavePairingProfile(ctx, p.ID, PairingProfileInput{Interests: []string{" Board Games ", "board games", "Films"}, Gender: rules.GenderNonBinary, Notes: "prefers mornings"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.Pairs.SavePairingProfile(ctx, p.ID, PairingProfileInput{Interests: []string{"films", "fishing"}, Gender: rules.GenderNonBinary}); err != nil {
		t.Fatal(err)
	}
	pp, _ = s.st.Pairs.PairingProfileOf(ctx, p.ID)
	if got := strings.Join(pp.InterestList(), ","); got != "films,fishing" || pp.Gender != rules.GenderNonBinary || pp.Notes != "" {
		t.Fatalf("profile %+v", pp)
	}
	if _, err := s.st.Pairs.PairingProfileOf(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown participant: %v", err)
	}
	// Nothing about pairs or outings leaves the site.
	var before, after int64
	s.st.DB.Model(&SyncRecord{}).Count(&before)
	if _, err := s.st.Outings.AddOuting(ctx, p.ID, OutingInput{Date: "2026-05-01", Activity: "Cafe", Stage: 1, CostCents: 500}); err != nil {
		t.Fatal(err)
	}
	s.st.DB.Model(&SyncRecord{}).Count(&after)
	var dirty int64
	s.st.DB.Raw("SELECT COUNT(*) FROM sync_payloads WHERE data LIKE '%Cafe%' OR data LIKE '%films%'").Scan(&dirty)
	if after != before || dirty != 0 {
		t.Fatalf("outbox %d -> %d, %d payloads mention local text", before, after, dirty)
	}
}
