package store

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
)

// Outing is a social outing of a participant: what they did, at which
// stage (rules.Stages), for which goal (an id of the goals feature, kept as
// text), what it cost, and the peer partner who came along, if any. It
// stays at the site.
type Outing struct {
	ID            string    `json:"id"`
	ParticipantID string    `json:"participant_id"`
	OutingOn      string    `json:"date"`
	Activity      string    `json:"activity"`
	Stage         int       `json:"stage"`
	GoalID        string    `json:"goal_id"`
	CostCents     int64     `json:"cost_cents"`
	PartnerID     string    `json:"partner_id"`
	CreatedAt     time.Time `json:"created_at"`
}

// OutingInput is an outing as staff record it.
type OutingInput struct {
	Date      string `json:"date"`
	Activity  string `json:"activity"`
	Stage     int    `json:"stage"`
	GoalID    string `json:"goal_id"`
	CostCents int64  `json:"cost_cents"`
	PartnerID string `json:"partner_id"`
}

// AddOuting records a participant's outing. An outing at stage 2 or 3
// that names the peer partner is a joint outing: it is one record, kept
// on the participant who recorded it, and it counts in the outings,
// current stage and progression of both partners (see Outings).
func (s *outingStore) AddOuting(ctx context.Context, participantID string, in OutingInput) (Outing, error) {
	return s.saveOuting(ctx, participantID, "", in)
}

// UpdateOuting corrects an outing recorded on a participant, applying the
// same rules as AddOuting.
func (s *outingStore) UpdateOuting(ctx context.Context, participantID, outingID string, in OutingInput) (Outing, error) {
	return s.saveOuting(ctx, participantID, outingID, in)
}

// DeleteOuting removes an outing recorded on a participant by mistake (a
// joint outing then leaves the partner's outings too).
func (s *outingStore) DeleteOuting(ctx context.Context, participantID, outingID string) (Outing, error) {
	var o Outing
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Limit(1).Find(&o, "id = ? AND participant_id = ?", outingID, participantID).Error; err != nil {
			return err
		}
		if o.ID == "" {
			return &MissingError{"outing"}
		}
		if err := tx.Delete(&o).Error; err != nil {
			return err
		}
		return s.st.Outcomes.refreshRecords(tx, []string{participantID, o.PartnerID}, nil)
	})
	return o, err
}

// Outing finds an outing recorded on a participant.
func (s *outingStore) Outing(ctx context.Context, participantID, outingID string) (Outing, error) {
	var o Outing
	if err := s.st.DB.WithContext(ctx).Limit(1).Find(&o, "id = ? AND participant_id = ?", outingID, participantID).Error; err != nil {
		return o, err
	}
	if o.ID == "" {
		return o, &MissingError{"outing"}
	}
	return o, nil
}

// saveOuting records a new outing (outingID "") or replaces one.
func (s *outingStore) saveOuting(ctx context.Context, participantID, outingID string, in OutingInput) (Outing, error) {
	in.Activity, in.GoalID, in.PartnerID = strings.TrimSpace(in.Activity), strings.TrimSpace(in.GoalID), strings.TrimSpace(in.PartnerID)
	var o Outing
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		var old Outing
		if outingID != "" {
			if err := tx.Limit(1).Find(&old, "id = ? AND participant_id = ?", outingID, participantID).Error; err != nil {
				return err
			}
			if old.ID == "" {
				return &MissingError{"outing"}
			}
		}
		if p.WithdrawnAt != nil {
			return &ValidationError{Field: "participant", Msg: "The participant has withdrawn, so no outings can be recorded"}
		}
		enrolled, _ := parseDate(p.EnrolledOn)
		day, _ := parseDate(in.Date)
		facts := rules.OutingFacts{Date: day, Today: s.st.Pairs.today(), EnrolledOn: enrolled, Activity: in.Activity, Stage: in.Stage,
			CostCents: in.CostCents, GoalID: in.GoalID, PartnerID: in.PartnerID, ParticipantID: participantID}
		if in.PartnerID != "" && !day.IsZero() {
			var err error
			if facts.PartnerWasPaired, err = pairedOn(tx, participantID, in.PartnerID, in.Date); err != nil {
				return err
			}
		}
		if err := problemsErr(facts.CheckOuting()); err != nil {
			return err
		}
		if in.GoalID != "" {
			var n int64
			if err := tx.Model(&Goal{}).Where("id = ? AND participant_id = ?", in.GoalID, participantID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return &ValidationError{Field: "goal_id", Msg: "Choose one of this participant's goals"}
			}
		}
		o = Outing{ID: uuid.NewString(), ParticipantID: participantID, OutingOn: in.Date, Activity: in.Activity, Stage: in.Stage,
			GoalID: in.GoalID, CostCents: in.CostCents, PartnerID: in.PartnerID, CreatedAt: s.st.Now()}
		if old.ID != "" {
			o.ID, o.CreatedAt = old.ID, old.CreatedAt
			if err := tx.Save(&o).Error; err != nil {
				return err
			}
		} else if err := tx.Create(&o).Error; err != nil {
			return err
		}
		// A joint outing counts for the partner too, before and after.
		return s.st.Outcomes.refreshRecords(tx, []string{participantID, o.PartnerID, old.PartnerID}, nil)
	})
	return o, err
}

// pairedOn reports whether two participants were in the same pair on a day.
func pairedOn(tx *gorm.DB, a, b, day string) (bool, error) {
	var n int64
	err := tx.Raw(`SELECT COUNT(*) FROM pair_members x JOIN pair_members y ON y.pair_id = x.pair_id
WHERE x.participant_id = ? AND y.participant_id = ? AND x.joined_on <= ? AND y.joined_on <= ?
AND (x.ended_on = '' OR x.ended_on >= ?) AND (y.ended_on = '' OR y.ended_on >= ?)`, a, b, day, day, day, day).Scan(&n).Error
	return n > 0, err
}

// jointStages are the stages at which a peer partner comes along, so that
// an outing naming the partner is theirs too.
var jointStages = []int{rules.StageWithCoachAndFriend, rules.StageWithFriendOrPartner}

// Outings lists a participant's outings, newest first: those recorded on
// them and the joint outings their peer partner recorded naming them (the
// outing's ParticipantID then is the partner's).
func (s *outingStore) Outings(ctx context.Context, participantID string) ([]Outing, error) {
	os := []Outing{}
	err := s.st.DB.WithContext(ctx).Where("participant_id = ? OR (partner_id = ? AND stage IN ?)", participantID, participantID, jointStages).
		Order("outing_on DESC, created_at DESC, id").Find(&os).Error
	return os, err
}

// currentStages computes the current outing stage (rules.CurrentStage) of
// each participant; those without outings are left out (stage 0).
func currentStages(db *gorm.DB, ids []string) (map[string]int, error) {
	out := map[string]int{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ParticipantID, OutingOn string
		Stage                   int
	}
	if err := db.Raw(`SELECT participant_id, outing_on, stage FROM outings WHERE participant_id IN ?
UNION ALL SELECT partner_id, outing_on, stage FROM outings WHERE partner_id IN ? AND stage IN ?`, ids, ids, jointStages).Scan(&rows).Error; err != nil {
		return nil, err
	}
	points := map[string][]rules.OutingPoint{}
	for _, r := range rows {
		d, _ := parseDate(r.OutingOn)
		points[r.ParticipantID] = append(points[r.ParticipantID], rules.OutingPoint{Date: d, Stage: r.Stage})
	}
	for id, ps := range points {
		out[id] = rules.CurrentStage(ps)
	}
	return out, nil
}

// OutingsView is a participant's outings with their progression.
type OutingsView struct {
	CurrentStage     int    `json:"current_stage"`
	CurrentStageName string `json:"current_stage_name"`
	// ProgramMonth is today's month of the participant's program year.
	ProgramMonth int                `json:"program_month"`
	Progression  []rules.MonthStage `json:"progression"`
	Outings      []Outing           `json:"outings"`
	// Partners are the participant's peer partners, current and past, for
	// recording an outing with one of them.
	Partners []Partner `json:"partners"`
	// TotalCostCents adds up the costs of the outings recorded on the
	// participant (a joint outing's cost is on the partner who recorded it).
	TotalCostCents int64 `json:"total_cost_cents"`
}

// ViewOutings gathers a participant's outings, current stage and
// progression month by month since enrollment. The view is kept until
// the data version moves (or the minute changes): the callers share it
// and must not change it.
func (s *outingStore) ViewOutings(ctx context.Context, participantID string) (OutingsView, error) {
	return keptValue(s.st, "outings|"+participantID, func() (OutingsView, error) { return s.viewOutings(ctx, participantID) })
}

func (s *outingStore) viewOutings(ctx context.Context, participantID string) (OutingsView, error) {
	p, err := s.st.Participants.Participant(ctx, participantID)
	if err != nil {
		return OutingsView{}, err
	}
	v := OutingsView{Partners: []Partner{}}
	if v.Outings, err = s.Outings(ctx, participantID); err != nil {
		return v, err
	}
	enrolled, _ := parseDate(p.EnrolledOn)
	points := make([]rules.OutingPoint, 0, len(v.Outings))
	for _, o := range v.Outings {
		d, _ := parseDate(o.OutingOn)
		if !d.Before(enrolled) {
			// (A partner's outing is on a day both were paired, so after
			// both enrolled; the check keeps the chart's months sound.)
			points = append(points, rules.OutingPoint{Date: d, Stage: o.Stage})
		}
		if o.ParticipantID == participantID {
			v.TotalCostCents += o.CostCents
		}
	}
	v.CurrentStage = rules.CurrentStage(points)
	v.CurrentStageName = rules.StageName(v.CurrentStage)
	v.Progression = rules.Progression(enrolled, points)
	if today := s.st.Pairs.today(); !today.Before(enrolled) {
		v.ProgramMonth = rules.ProgramMonth(enrolled, today)
	}
	pairs, err := s.st.Pairs.ParticipantPairs(ctx, participantID)
	if err != nil {
		return v, err
	}
	seen := map[string]bool{participantID: true}
	for _, pr := range pairs {
		for _, x := range pr.Partners {
			if !seen[x.ID] {
				seen[x.ID] = true
				v.Partners = append(v.Partners, x)
			}
		}
	}
	return v, nil
}

// LeadsParticipant reports whether a user may correct or remove a
// participant's outings: the director, or the coach who leads the
// cohort the participant is in now (for someone in no cohort, the coach
// they chose). Another coach who sees the participant, as the coach they
// chose while someone else leads their group, may not.
func (s *outingStore) LeadsParticipant(ctx context.Context, u User, participantID string) (bool, error) {
	if u.Role == RoleDirector {
		return true, nil
	}
	if u.Role != RoleCoach {
		return false, nil
	}
	var lead []string
	err := s.st.DB.WithContext(ctx).Raw(`SELECT COALESCE((SELECT c.coach_id FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
WHERE m.participant_id = p.id AND m.left_on = '' LIMIT 1), p.coach_id) FROM participants p WHERE p.id = ?`, participantID).Scan(&lead).Error
	if err != nil || len(lead) == 0 || lead[0] == "" {
		return false, err
	}
	var n int64
	err = s.st.DB.WithContext(ctx).Model(&Coach{}).Where("id = ? AND user_id = ? AND user_id <> ''", lead[0], u.ID).Count(&n).Error
	return n > 0, err
}
