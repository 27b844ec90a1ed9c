package store

import (
	"context"
	"sort"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/program"
)

// pairRow is a pair member joined with its pair, participant and cohort.
type pairRow struct {
	PairID, CohortID, CohortName, FormedOn, EndedOn, EndReason, EndNote string
	ParticipantID, FirstName, LastName, JoinedOn                        string
	Member                                                              bool
}

const pairRowsSQL = `SELECT p.id AS pair_id, p.cohort_id, c.name AS cohort_name, p.formed_on, p.ended_on, p.end_reason, p.end_note,
x.participant_id, q.first_name, q.last_name, x.joined_on,
EXISTS (SELECT 1 FROM cohort_members cm WHERE cm.cohort_id = p.cohort_id AND cm.participant_id = x.participant_id AND cm.left_on = '' AND q.withdrawn_at IS NULL) AS member
FROM pairs p JOIN cohorts c ON c.id = p.cohort_id JOIN pair_members x ON x.pair_id = p.id JOIN participants q ON q.id = x.participant_id `

// gatherPairs groups pair rows into pairs, keeping the rows' order.
func gatherPairs(rows []pairRow, stages map[string]int) []PairInfo {
	var out []PairInfo
	at := map[string]int{}
	for _, r := range rows {
		i, ok := at[r.PairID]
		if !ok {
			i = len(out)
			at[r.PairID] = i
			out = append(out, PairInfo{ID: r.PairID, CohortID: r.CohortID, CohortName: r.CohortName, FormedOn: r.FormedOn, EndedOn: r.EndedOn,
				EndReason: r.EndReason, EndNote: r.EndNote, Partners: []Partner{}, Warnings: []string{}})
		}
		out[i].Partners = append(out[i].Partners, Partner{ID: r.ParticipantID, Name: r.FirstName + " " + r.LastName, JoinedOn: r.JoinedOn,
			Stage: stages[r.ParticipantID], Member: r.Member})
	}
	return out
}

func (s *pairStore) pairInfo(ctx context.Context, pairID string) (PairInfo, error) {
	var rows []pairRow
	db := s.st.DB.WithContext(ctx)
	if err := db.Raw(pairRowsSQL+"WHERE p.id = ? ORDER BY x.joined_on, q.last_name, q.first_name, q.id", pairID).Scan(&rows).Error; err != nil {
		return PairInfo{}, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ParticipantID
	}
	stages, err := currentStages(db, ids)
	if err != nil {
		return PairInfo{}, err
	}
	ps := gatherPairs(rows, stages)
	if len(ps) == 0 {
		return PairInfo{}, ErrNotFound
	}
	return ps[0], nil
}

// ParticipantPairs is a participant's pairing history, newest first,
// kept until the data version moves (or the minute changes): the pairs'
// partners and warnings are shared by the callers, who must not change
// them.
func (s *pairStore) ParticipantPairs(ctx context.Context, participantID string) ([]PairInfo, error) {
	return keptList(s.st, "participant-pairs|"+participantID, func() ([]PairInfo, error) { return s.participantPairs(ctx, participantID) })
}

func (s *pairStore) participantPairs(ctx context.Context, participantID string) ([]PairInfo, error) {
	db := s.st.DB.WithContext(ctx)
	var rows []pairRow
	if err := db.Raw(pairRowsSQL+`WHERE p.id IN (SELECT pair_id FROM pair_members WHERE participant_id = ?)
ORDER BY p.ended_on = '' DESC, p.formed_on DESC, p.id, x.joined_on, q.last_name, q.first_name, q.id`, participantID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ParticipantID
	}
	stages, err := currentStages(db, ids)
	if err != nil {
		return nil, err
	}
	out := gatherPairs(rows, stages)
	if out == nil {
		out = []PairInfo{}
	}
	return out, nil
}

// CohortPairs gathers a cohort's pairs, unpaired members, suggestions for
// them and what the group needs. The view is kept until the data version
// moves (or the minute changes): the callers share it and must not change
// it.
func (s *pairStore) CohortPairs(ctx context.Context, cohortID string) (PairsView, error) {
	return keptValue(s.st, "cohort-pairs|"+cohortID, func() (PairsView, error) { return s.cohortPairs(ctx, cohortID) })
}

func (s *pairStore) cohortPairs(ctx context.Context, cohortID string) (PairsView, error) {
	db := s.st.DB.WithContext(ctx)
	c, err := s.st.Cohorts.Cohort(ctx, cohortID)
	if err != nil {
		return PairsView{}, err
	}
	v := PairsView{CohortID: c.ID, PeerPartners: c.Model == program.ModelPeerPartners, MixedPairs: c.MixedPairs, Current: []PairInfo{}, History: []PairInfo{},
		Unpaired: []Partner{}, Suggestions: []rules.Suggestion{}, LeftUnpaired: []string{}, Advice: []string{}, Names: map[string]string{}}
	ms, err := currentMembers(db, cohortID)
	if err != nil {
		return v, err
	}
	var rows []pairRow
	if err := db.Raw(pairRowsSQL+`WHERE p.cohort_id = ? ORDER BY p.ended_on = '' DESC, p.ended_on DESC, p.formed_on DESC, p.id,
x.joined_on, q.last_name, q.first_name, q.id`, cohortID).Scan(&rows).Error; err != nil {
		return v, err
	}
	ids := make([]string, 0, len(ms)+len(rows))
	for _, m := range ms {
		ids = append(ids, m.ID)
		v.Names[m.ID] = m.name()
	}
	for _, r := range rows {
		ids = append(ids, r.ParticipantID)
		v.Names[r.ParticipantID] = r.FirstName + " " + r.LastName
	}
	stages, err := currentStages(db, ids)
	if err != nil {
		return v, err
	}
	for _, p := range gatherPairs(rows, stages) {
		if p.Current() {
			v.Current = append(v.Current, p)
		} else {
			v.History = append(v.History, p)
		}
	}
	// Current pairs in the order of their partners' names.
	sort.SliceStable(v.Current, func(i, j int) bool { return v.Current[i].Names() < v.Current[j].Names() })
	if !v.PeerPartners {
		return v, nil
	}
	err = s.suggestPairs(ctx, db, c, ms, ids, stages, &v)
	return v, err
}

// suggestPairs adds to a Peer Partners group's view its size check, the
// pairs the rules suggest for its unpaired members, the warnings on its
// current pairs and the advice.
func (s *pairStore) suggestPairs(ctx context.Context, db *gorm.DB, c Cohort, ms []member, ids []string, stages map[string]int, v *PairsView) error {
	cohortID := c.ID
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	g := rules.CheckGroup(len(ms), rel.Groups)
	v.Group = &g
	paired, err := currentlyPaired(db, ids)
	if err != nil {
		return err
	}
	interests, err := profiles(db, ids)
	if err != nil {
		return err
	}
	genders := map[string]string{}
	if !c.MixedPairs {
		if err := genderOf(db, ids, genders); err != nil {
			return err
		}
	}
	cand := func(id string) rules.Candidate {
		return rules.Candidate{ID: id, Name: v.Names[id], Interests: interests[id], Gender: genders[id], Stage: stages[id]}
	}
	var candidates []rules.Candidate
	var elsewhere []string
	for _, m := range ms {
		switch where := paired[m.ID]; {
		case where == "":
			v.Unpaired = append(v.Unpaired, Partner{ID: m.ID, Name: m.name(), JoinedOn: m.JoinedOn, Stage: stages[m.ID], Member: true})
			candidates = append(candidates, cand(m.ID))
		case where != cohortID:
			elsewhere = append(elsewhere, m.name())
		}
	}
	in := rules.SuggestInput{Candidates: candidates, MixedPairs: c.MixedPairs, Avoid: map[string]bool{}}
	trio := false
	var advice []rules.AdvicePair
	for _, p := range v.Current {
		a := rules.AdvicePair{}
		allMembers := true
		for _, x := range p.Partners {
			a.Names = append(a.Names, x.Name)
			a.Stages = append(a.Stages, x.Stage)
			a.FormerMember = a.FormerMember || !x.Member
			allMembers = allMembers && x.Member
		}
		advice = append(advice, a)
		trio = trio || len(p.Partners) == 3
		if len(p.Partners) == 2 && allMembers {
			in.Existing = append(in.Existing, rules.ExistingPair{ID: p.ID, Members: [2]rules.Candidate{cand(p.Partners[0].ID), cand(p.Partners[1].ID)}})
		}
	}
	for _, p := range v.History {
		if p.EndReason != rules.EndNotWorkingWell {
			continue
		}
		for i, a := range p.Partners {
			for _, b := range p.Partners[i+1:] {
				in.Avoid[rules.PairKey(a.ID, b.ID)] = true
			}
		}
	}
	for i, p := range v.Current {
		var gs []string
		for j, a := range p.Partners {
			gs = append(gs, genders[a.ID])
			for _, b := range p.Partners[j+1:] {
				if in.Avoid[rules.PairKey(a.ID, b.ID)] {
					v.Current[i].Warnings = append(v.Current[i].Warnings, a.Name+" and "+b.Name+" were partners before and it did not work well.")
				}
			}
		}
		if !c.MixedPairs && rules.MixedPair(gs...) {
			v.Current[i].Warnings = append(v.Current[i].Warnings, "A man and a woman are paired although the group prefers no mixed pairs.")
		}
	}
	in.TrioAllowed = len(ms)%2 == 1 && !trio
	v.TrioAllowed = in.TrioAllowed
	suggested := rules.Suggest(in)
	v.Suggestions, v.LeftUnpaired = suggested.Pairs, suggested.Unmatched
	v.Advice = append(v.Advice, rules.PairAdvice(len(ms), advice, len(v.Unpaired))...)
	for _, n := range elsewhere {
		v.Advice = append(v.Advice, n+" is still in a pair of another group: end that pair there first.")
	}
	return nil
}

// profiles reads the participants' interests.
func profiles(db *gorm.DB, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var ps []PairingProfile
	if err := db.Where("participant_id IN ?", ids).Find(&ps).Error; err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.ParticipantID] = p.InterestList()
	}
	return out, nil
}

// genderOf reads the participants' recorded genders into out; only the
// mixed-pairs preference uses them.
func genderOf(db *gorm.DB, ids []string, out map[string]string) error {
	if len(ids) == 0 {
		return nil
	}
	var ps []PairingProfile
	if err := db.Select("participant_id", "gender").Where("participant_id IN ?", ids).Find(&ps).Error; err != nil {
		return err
	}
	for _, p := range ps {
		out[p.ParticipantID] = p.Gender
	}
	return nil
}

// InPeerPartnersGroup reports whether a participant is a current member of
// a Peer Partners cohort.
func (s *pairStore) InPeerPartnersGroup(ctx context.Context, participantID string) (bool, error) {
	var n int64
	err := s.st.DB.WithContext(ctx).Raw(`SELECT COUNT(*) FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
WHERE m.participant_id = ? AND m.left_on = '' AND c.model = ?`, participantID, program.ModelPeerPartners).Scan(&n).Error
	return n > 0, err
}
