package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/program"
)

// PairingProfile is what a coach knows about a participant for pairing:
// interests (short tags), gender (optional, only for the group's
// mixed-pairs preference) and notes. It never leaves the site.
type PairingProfile struct {
	ParticipantID string `gorm:"primaryKey"`
	Interests     string
	Gender        string
	Notes         string
	UpdatedAt     time.Time
}

// InterestList decodes the interests.
func (p PairingProfile) InterestList() []string {
	out := []string{}
	_ = json.Unmarshal([]byte(p.Interests), &out)
	return out
}

// Pair is a pair of peer partners (or, while a group is odd, a trio) in a
// Peer Partners cohort. A pair ends with a reason; its members then may be
// paired again.
type Pair struct {
	ID        string
	CohortID  string
	FormedOn  string
	EndedOn   string
	EndReason string
	EndNote   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PairMember is a participant's place in a pair. EndedOn is the pair's end
// ("" while current): a participant is in at most one current pair, which
// a unique index enforces.
type PairMember struct {
	PairID        string `gorm:"primaryKey"`
	ParticipantID string `gorm:"primaryKey"`
	JoinedOn      string
	EndedOn       string
}

// problemsErr turns broken rules into the store's validation errors.
func problemsErr(p rules.Problems) error {
	if len(p) == 0 {
		return nil
	}
	errs := make(ValidationErrors, len(p))
	for i, x := range p {
		errs[i] = ValidationError{Field: x.Field, Msg: x.Detail}
	}
	return errs
}

// today is the store's current day at midnight UTC, comparable with
// parsed dates.
func (s *pairStore) today() time.Time {
	t, _ := parseDate(s.st.Now().Format(dateLayout))
	return t
}

// PairingProfileInput is a pairing profile as staff enter it.
type PairingProfileInput struct {
	Interests []string `json:"interests"`
	Gender    string   `json:"gender"`
	Notes     string   `json:"notes"`
}

// PairingProfileOf reads a participant's pairing profile (an empty one
// when none was recorded).
func (s *pairStore) PairingProfileOf(ctx context.Context, participantID string) (PairingProfile, error) {
	if _, err := s.st.Participants.Participant(ctx, participantID); err != nil {
		return PairingProfile{}, err
	}
	pp := PairingProfile{ParticipantID: participantID, Interests: "[]"}
	err := s.st.DB.WithContext(ctx).Limit(1).Find(&pp, "participant_id = ?", participantID).Error
	return pp, err
}

// SavePairingProfile records a participant's pairing profile.
func (s *pairStore) SavePairingProfile(ctx context.Context, participantID string, in PairingProfileInput) (PairingProfile, error) {
	tags, probs := rules.CleanInterests(in.Interests)
	errs := ValidationErrors{}
	for _, p := range probs {
		errs = append(errs, ValidationError{Field: p.Field, Msg: p.Detail})
	}
	valid := in.Gender == ""
	for _, g := range rules.Genders {
		valid = valid || g == in.Gender
	}
	if !valid {
		errs = append(errs, ValidationError{Field: "gender", Msg: "Choose woman, man, non-binary or prefer not to say, or leave it empty"})
	}
	in.Notes = strings.TrimSpace(in.Notes)
	if len(in.Notes) > 2000 {
		errs = append(errs, ValidationError{Field: "notes", Msg: "Use at most 2000 characters"})
	}
	if len(errs) > 0 {
		return PairingProfile{}, errs
	}
	pp := PairingProfile{ParticipantID: participantID, Interests: mustJSON(tags), Gender: in.Gender, Notes: in.Notes, UpdatedAt: s.st.Now()}
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		if p.WithdrawnAt != nil {
			return &ValidationError{Field: "participant", Msg: "The participant has withdrawn, so their record cannot be changed"}
		}
		return tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&pp).Error
	})
	return pp, err
}

// Partner is a member of a pair as the pages and API show it.
type Partner struct {
	ID       string `json:"participant_id"`
	Name     string `json:"name"`
	JoinedOn string `json:"joined_on"`
	// Stage is the participant's current outing stage (0: no outings).
	Stage int `json:"stage"`
	// Member is true while the participant is a current member of the
	// pair's cohort.
	Member bool `json:"current_member"`
}

// PairInfo is a pair with its partners.
type PairInfo struct {
	ID         string    `json:"id"`
	CohortID   string    `json:"cohort_id"`
	CohortName string    `json:"cohort_name,omitempty"`
	FormedOn   string    `json:"formed_on"`
	EndedOn    string    `json:"ended_on,omitempty"`
	EndReason  string    `json:"end_reason,omitempty"`
	EndNote    string    `json:"end_note,omitempty"`
	Partners   []Partner `json:"partners"`
	// Warnings are what the coach should know about a current pair that
	// the rules allow (CohortPairs fills them).
	Warnings []string `json:"warnings"`
}

// Current reports whether the pair has not ended.
func (p PairInfo) Current() bool { return p.EndedOn == "" }

// Names joins the partners' names.
func (p PairInfo) Names() string {
	n := make([]string, len(p.Partners))
	for i, x := range p.Partners {
		n[i] = x.Name
	}
	return rules.JoinNames(n)
}

// PairsView is everything about a cohort's pairs: the current ones, who
// has no partner, suggestions for them, what the group needs, and the
// history of ended pairs.
type PairsView struct {
	CohortID     string             `json:"cohort_id"`
	PeerPartners bool               `json:"peer_partners"`
	MixedPairs   bool               `json:"mixed_pairs"`
	Group        *rules.GroupAdvice `json:"group,omitempty"`
	Current      []PairInfo         `json:"current"`
	Unpaired     []Partner          `json:"unpaired"`
	Suggestions  []rules.Suggestion `json:"suggestions"`
	LeftUnpaired []string           `json:"left_unpaired"`
	Advice       []string           `json:"advice"`
	History      []PairInfo         `json:"history"`
	Names        map[string]string  `json:"-"`
	TrioAllowed  bool               `json:"trio_allowed"`
}

// member is a current member of a cohort.
type member struct {
	ID, FirstName, LastName, JoinedOn string
}

func (m member) name() string { return m.FirstName + " " + m.LastName }

// currentMembers lists a cohort's current, not withdrawn members by name.
func currentMembers(tx *gorm.DB, cohortID string) ([]member, error) {
	var ms []member
	err := tx.Raw(`SELECT p.id, p.first_name, p.last_name, m.joined_on FROM participants p JOIN cohort_members m ON m.participant_id = p.id
WHERE m.cohort_id = ? AND m.left_on = '' AND p.withdrawn_at IS NULL ORDER BY p.last_name, p.first_name, p.id`, cohortID).Scan(&ms).Error
	return ms, err
}

// currentlyPaired lists which of the given participants are in a current
// pair, with the pair's cohort.
func currentlyPaired(tx *gorm.DB, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct{ ParticipantID, CohortID string }
	err := tx.Raw(`SELECT m.participant_id, p.cohort_id FROM pair_members m JOIN pairs p ON p.id = m.pair_id
WHERE m.ended_on = '' AND m.participant_id IN ?`, ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.ParticipantID] = r.CohortID
	}
	return out, err
}

// trioExists reports whether a cohort has a current pair of three.
func trioExists(tx *gorm.DB, cohortID string) (bool, error) {
	var n int64
	err := tx.Raw(`SELECT COUNT(*) FROM (SELECT m.pair_id FROM pair_members m JOIN pairs p ON p.id = m.pair_id
WHERE p.cohort_id = ? AND p.ended_on = '' GROUP BY m.pair_id HAVING COUNT(*) >= 3)`, cohortID).Scan(&n).Error
	return n > 0, err
}

func memberSet(ms []member) map[string]bool {
	out := make(map[string]bool, len(ms))
	for _, m := range ms {
		out[m.ID] = true
	}
	return out
}

// checkPairDate checks the day a pair is formed or joined: a date, not in
// the future, not before any partner joined the group.
func (s *pairStore) checkPairDate(field, day string, ms []member, ids []string) error {
	d, ok := parseDate(day)
	if !ok {
		return &ValidationError{Field: field, Msg: "Enter a date such as 2026-03-04"}
	}
	if d.After(s.today()) {
		return &ValidationError{Field: field, Msg: "Enter a day no later than today"}
	}
	for _, m := range ms {
		for _, id := range ids {
			if m.ID == id && day < m.JoinedOn {
				return &ValidationError{Field: field, Msg: "Enter a day on or after " + m.name() + " joined the group on " + inWords(m.JoinedOn)}
			}
		}
	}
	return nil
}

// PairInput is a new pair.
type PairInput struct {
	ParticipantIDs []string `json:"participant_ids"`
	FormedOn       string   `json:"formed_on"`
}

// FormPair pairs two current members of a Peer Partners cohort (three
// while the group is odd and has no trio), neither of them in a current
// pair. It returns the pair and warnings the coach should know about, such
// as a man-woman pair in a group that prefers none.
func (s *pairStore) FormPair(ctx context.Context, cohortID string, in PairInput) (PairInfo, []string, error) {
	var id string
	var warnings []string
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Cohort
		if err := tx.First(&c, "id = ?", cohortID).Error; err != nil {
			return notFound(err)
		}
		ms, err := currentMembers(tx, cohortID)
		if err != nil {
			return err
		}
		paired, err := currentlyPaired(tx, in.ParticipantIDs)
		if err != nil {
			return err
		}
		trio, err := trioExists(tx, cohortID)
		if err != nil {
			return err
		}
		isPaired := map[string]bool{}
		for pid := range paired {
			isPaired[pid] = true
		}
		check := rules.NewPair{PeerPartners: c.Model == program.ModelPeerPartners, Closed: c.ClosedOn != "", Members: memberSet(ms),
			Paired: isPaired, TrioExists: trio, Proposed: in.ParticipantIDs}
		if err := problemsErr(check.Check()); err != nil {
			return err
		}
		if err := s.checkPairDate("formed_on", in.FormedOn, ms, in.ParticipantIDs); err != nil {
			return err
		}
		now := s.st.Now()
		p := Pair{ID: uuid.NewString(), CohortID: cohortID, FormedOn: in.FormedOn, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		for _, pid := range in.ParticipantIDs {
			if err := tx.Create(&PairMember{PairID: p.ID, ParticipantID: pid, JoinedOn: in.FormedOn}).Error; err != nil {
				return err
			}
		}
		id = p.ID
		if err := s.st.Outcomes.refreshCohort(tx, cohortID, s.st.Outbox.upstreamDay()); err != nil {
			return err
		}
		warnings, err = pairWarnings(tx, c, in.ParticipantIDs)
		return err
	})
	if err != nil {
		return PairInfo{}, nil, err
	}
	info, err := s.pairInfo(ctx, id)
	return info, warnings, err
}

// pairWarnings says what the coach should know about a new pair that the
// rules allow: a man and a woman in a group that prefers no mixed pairs,
// partners who were paired before and it did not work well.
func pairWarnings(tx *gorm.DB, c Cohort, ids []string) ([]string, error) {
	out := []string{}
	if !c.MixedPairs {
		var genders []string
		if err := tx.Model(&PairingProfile{}).Where("participant_id IN ?", ids).Pluck("gender", &genders).Error; err != nil {
			return nil, err
		}
		if rules.MixedPair(genders...) {
			out = append(out, "This pair puts a man and a woman together although the group prefers no mixed pairs.")
		}
	}
	var n int64
	err := tx.Raw(`SELECT COUNT(*) FROM pairs p WHERE p.end_reason = ? AND
(SELECT COUNT(*) FROM pair_members m WHERE m.pair_id = p.id AND m.participant_id IN ?) >= 2`, rules.EndNotWorkingWell, ids).Scan(&n).Error
	if n > 0 {
		out = append(out, "Some of these partners were paired before and it did not work well.")
	}
	return out, err
}

// JoinPairInput adds a third member to a pair.
type JoinPairInput struct {
	ParticipantID string `json:"participant_id"`
	JoinedOn      string `json:"joined_on"`
}

// JoinPair makes a current pair of two a trio, while the group is odd and
// has no other trio.
func (s *pairStore) JoinPair(ctx context.Context, cohortID, pairID string, in JoinPairInput) (PairInfo, []string, error) {
	var warnings []string
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Cohort
		if err := tx.First(&c, "id = ?", cohortID).Error; err != nil {
			return notFound(err)
		}
		var p Pair
		if err := tx.First(&p, "id = ? AND cohort_id = ?", pairID, cohortID).Error; err != nil {
			return notFound(err)
		}
		if p.EndedOn != "" {
			return &ValidationError{Field: "pair", Msg: "The pair ended on " + inWords(p.EndedOn) + ": choose a current pair"}
		}
		var cur []string
		if err := tx.Model(&PairMember{}).Where("pair_id = ?", p.ID).Order("participant_id").Pluck("participant_id", &cur).Error; err != nil {
			return err
		}
		ms, err := currentMembers(tx, cohortID)
		if err != nil {
			return err
		}
		paired, err := currentlyPaired(tx, []string{in.ParticipantID})
		if err != nil {
			return err
		}
		trio, err := trioExists(tx, cohortID)
		if err != nil {
			return err
		}
		check := rules.NewPair{PeerPartners: c.Model == program.ModelPeerPartners, Closed: c.ClosedOn != "", Members: memberSet(ms),
			Paired: map[string]bool{in.ParticipantID: paired[in.ParticipantID] != ""}, TrioExists: trio, Proposed: append(cur, in.ParticipantID)}
		if err := problemsErr(check.Check()); err != nil {
			return err
		}
		if err := s.checkPairDate("joined_on", in.JoinedOn, ms, []string{in.ParticipantID}); err != nil {
			return err
		}
		if in.JoinedOn < p.FormedOn {
			return &ValidationError{Field: "joined_on", Msg: "Enter a day on or after the pair was formed on " + inWords(p.FormedOn)}
		}
		if err := tx.Create(&PairMember{PairID: p.ID, ParticipantID: in.ParticipantID, JoinedOn: in.JoinedOn}).Error; err != nil {
			return err
		}
		if err := tx.Model(&p).Update("updated_at", s.st.Now()).Error; err != nil {
			return err
		}
		if err := s.st.Outcomes.refreshCohort(tx, cohortID, s.st.Outbox.upstreamDay()); err != nil {
			return err
		}
		warnings, err = pairWarnings(tx, c, append(cur, in.ParticipantID))
		return err
	})
	if err != nil {
		return PairInfo{}, nil, err
	}
	info, err := s.pairInfo(ctx, pairID)
	return info, warnings, err
}

// EndPairInput ends a pair: the day, one of rules.EndReasons and a note
// (required for "other"; it stays at the site).
type EndPairInput struct {
	EndedOn string `json:"ended_on" form:"ended_on"`
	Reason  string `json:"reason" form:"reason"`
	Note    string `json:"note" form:"note"`
}

// EndPair ends a current pair of a cohort with a reason; its members may
// then be paired again.
func (s *pairStore) EndPair(ctx context.Context, cohortID, pairID string, in EndPairInput) (PairInfo, error) {
	in.Note = strings.TrimSpace(in.Note)
	errs := ValidationErrors{}
	for _, p := range rules.CheckEnd(in.Reason, in.Note) {
		errs = append(errs, ValidationError{Field: p.Field, Msg: p.Detail})
	}
	d, ok := parseDate(in.EndedOn)
	switch {
	case !ok:
		errs = append(errs, ValidationError{Field: "ended_on", Msg: "Enter a date such as 2026-03-04"})
	case d.After(s.today()):
		errs = append(errs, ValidationError{Field: "ended_on", Msg: "Enter a day no later than today"})
	}
	if len(errs) > 0 {
		return PairInfo{}, errs
	}
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Pair
		if err := tx.First(&p, "id = ? AND cohort_id = ?", pairID, cohortID).Error; err != nil {
			return notFound(err)
		}
		if p.EndedOn != "" {
			return &ValidationError{Field: "pair", Msg: "The pair already ended on " + inWords(p.EndedOn)}
		}
		if in.EndedOn < p.FormedOn {
			return &ValidationError{Field: "ended_on", Msg: "Enter a day on or after the pair was formed on " + inWords(p.FormedOn)}
		}
		if err := tx.Model(&p).Updates(map[string]any{"ended_on": in.EndedOn, "end_reason": in.Reason, "end_note": in.Note, "updated_at": s.st.Now()}).Error; err != nil {
			return err
		}
		if err := tx.Model(&PairMember{}).Where("pair_id = ? AND ended_on = ''", p.ID).Update("ended_on", in.EndedOn).Error; err != nil {
			return err
		}
		return s.st.Outcomes.refreshCohort(tx, cohortID, s.st.Outbox.upstreamDay())
	})
	if err != nil {
		return PairInfo{}, err
	}
	return s.pairInfo(ctx, pairID)
}
