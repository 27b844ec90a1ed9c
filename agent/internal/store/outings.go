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

// AddOuting records a participant's outing.
func (s *Store) AddOuting(ctx context.Context, participantID string, in OutingInput) (Outing, error) {
	in.Activity, in.GoalID, in.PartnerID = strings.TrimSpace(in.Activity), strings.TrimSpace(in.GoalID), strings.TrimSpace(in.PartnerID)
	var o Outing
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		if p.WithdrawnAt != nil {
			return &ValidationError{"participant", "has withdrawn; no outings can be recorded"}
		}
		enrolled, _ := parseDate(p.EnrolledOn)
		day, _ := parseDate(in.Date)
		facts := rules.OutingFacts{Date: day, Today: s.today(), EnrolledOn: enrolled, Activity: in.Activity, Stage: in.Stage,
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
				return &ValidationError{"goal_id", "is not one of this participant's goals"}
			}
		}
		o = Outing{ID: uuid.NewString(), ParticipantID: participantID, OutingOn: in.Date, Activity: in.Activity, Stage: in.Stage,
			GoalID: in.GoalID, CostCents: in.CostCents, PartnerID: in.PartnerID, CreatedAt: s.Now()}
		if err := tx.Create(&o).Error; err != nil {
			return err
		}
		return s.refreshUpstream(tx, participantID)
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

// Outings lists a participant's outings, newest first.
func (s *Store) Outings(ctx context.Context, participantID string) ([]Outing, error) {
	os := []Outing{}
	err := s.DB.WithContext(ctx).Where("participant_id = ?", participantID).Order("outing_on DESC, created_at DESC, id").Find(&os).Error
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
	if err := db.Raw("SELECT participant_id, outing_on, stage FROM outings WHERE participant_id IN ?", ids).Scan(&rows).Error; err != nil {
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
	// TotalCostCents adds up the outings' costs.
	TotalCostCents int64 `json:"total_cost_cents"`
}

// ViewOutings gathers a participant's outings, current stage and
// progression month by month since enrollment.
func (s *Store) ViewOutings(ctx context.Context, participantID string) (OutingsView, error) {
	p, err := s.Participant(ctx, participantID)
	if err != nil {
		return OutingsView{}, err
	}
	v := OutingsView{Partners: []Partner{}}
	if v.Outings, err = s.Outings(ctx, participantID); err != nil {
		return v, err
	}
	enrolled, _ := parseDate(p.EnrolledOn)
	points := make([]rules.OutingPoint, len(v.Outings))
	for i, o := range v.Outings {
		d, _ := parseDate(o.OutingOn)
		points[i] = rules.OutingPoint{Date: d, Stage: o.Stage}
		v.TotalCostCents += o.CostCents
	}
	v.CurrentStage = rules.CurrentStage(points)
	v.CurrentStageName = rules.StageName(v.CurrentStage)
	v.Progression = rules.Progression(enrolled, points)
	if today := s.today(); !today.Before(enrolled) {
		v.ProgramMonth = rules.ProgramMonth(enrolled, today)
	}
	pairs, err := s.ParticipantPairs(ctx, participantID)
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
