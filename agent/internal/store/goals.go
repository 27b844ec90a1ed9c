package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// GoalsPerParticipant is how many social goals a participant sets with
// their coach.
const GoalsPerParticipant = 3

// Goal is one of a participant's three social goals with its action plan.
// All of it is free text that stays at the site.
type Goal struct {
	ID            string `gorm:"primaryKey"`
	ParticipantID string
	Slot          int
	Title         string
	Why           string
	ActionPlan    string
	CreatedAt     time.Time
	UpdatedAt     time.Time `gorm:"autoUpdateTime:false"`
}

// GoalInput is a goal as staff enter it. Slot is 1, 2 or 3; 0 takes the
// first free slot.
type GoalInput struct {
	Slot       int    `json:"slot"`
	Title      string `json:"title"`
	Why        string `json:"why"`
	ActionPlan string `json:"action_plan"`
}

func (in *GoalInput) blank() bool {
	return in.Title == "" && in.Why == "" && in.ActionPlan == ""
}

func (in *GoalInput) validate(i int) ValidationErrors {
	var errs ValidationErrors
	f := func(name string) string { return fmt.Sprintf("goals[%d].%s", i, name) }
	if in.Slot < 0 || in.Slot > GoalsPerParticipant {
		errs = append(errs, ValidationError{Field: f("slot"), Msg: fmt.Sprintf("Choose goal 1, 2 or 3: a participant has %d social goals", GoalsPerParticipant)})
	}
	errs = append(errs, required(in.Title, f("title"), "Write the goal", 200)...)
	if len(in.Why) > 2000 {
		errs = append(errs, ValidationError{Field: f("why"), Msg: "Use at most 2000 characters"})
	}
	errs = append(errs, required(in.ActionPlan, f("action_plan"), "Write the action plan: the steps the participant takes towards the goal", 4000)...)
	return errs
}

// SaveGoals sets or rewrites a participant's social goals, all or none. A
// participant has at most three; a goal is rewritten, never removed, since
// spending plans and expenses name it. An entry with every field empty is
// skipped when its slot has no goal yet (a form's unused slot).
func (s *stipendStore) SaveGoals(ctx context.Context, participantID string, in []GoalInput) ([]Goal, error) {
	if len(in) > GoalsPerParticipant {
		return nil, &ValidationError{Field: "goals", Msg: fmt.Sprintf("A participant has %d social goals, and %d were sent: send at most %d", GoalsPerParticipant, len(in), GoalsPerParticipant)}
	}
	var out []Goal
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := activeParticipant(tx, participantID, "goals")
		if err != nil {
			return err
		}
		var have []Goal
		if err := tx.Where("participant_id = ?", p.ID).Order("slot").Find(&have).Error; err != nil {
			return err
		}
		bySlot := map[int]Goal{}
		for _, g := range have {
			bySlot[g.Slot] = g
		}
		var errs ValidationErrors
		taken := map[int]bool{}
		for i := range in {
			g := &in[i]
			g.Title, g.Why, g.ActionPlan = strings.TrimSpace(g.Title), strings.TrimSpace(g.Why), strings.TrimSpace(g.ActionPlan)
			if g.Slot >= 1 && g.Slot <= GoalsPerParticipant && taken[g.Slot] {
				errs = append(errs, ValidationError{Field: fmt.Sprintf("goals[%d].slot", i), Msg: fmt.Sprintf("Goal %d is given twice: give each goal once", g.Slot)})
			}
			taken[g.Slot] = true
		}
		now := s.st.Now()
		for i := range in {
			g := in[i]
			if _, exists := bySlot[g.Slot]; g.blank() && !exists {
				continue
			}
			if g.Slot == 0 {
				for slot := 1; slot <= GoalsPerParticipant; slot++ {
					if _, used := bySlot[slot]; !used && !taken[slot] {
						g.Slot, taken[slot] = slot, true
						break
					}
				}
				if g.Slot == 0 {
					errs = append(errs, ValidationError{Field: "goals", Msg: fmt.Sprintf("The participant already has %d social goals: change one of them instead", GoalsPerParticipant)})
					continue
				}
			}
			if e := g.validate(i); len(e) > 0 {
				errs = append(errs, e...)
				continue
			}
			cur, exists := bySlot[g.Slot]
			if !exists {
				cur = Goal{ID: uuid.NewString(), ParticipantID: p.ID, Slot: g.Slot, CreatedAt: now}
			}
			cur.Title, cur.Why, cur.ActionPlan, cur.UpdatedAt = g.Title, g.Why, g.ActionPlan, now
			bySlot[g.Slot] = cur
			if len(errs) == 0 {
				if err := tx.Save(&cur).Error; err != nil {
					return err
				}
			}
		}
		if len(errs) > 0 {
			return errs
		}
		return tx.Where("participant_id = ?", p.ID).Order("slot").Find(&out).Error
	})
	return out, err
}

// Goals lists a participant's goals by slot.
func (s *stipendStore) Goals(ctx context.Context, participantID string) ([]Goal, error) {
	var gs []Goal
	err := s.st.DB.WithContext(ctx).Where("participant_id = ?", participantID).Order("slot").Find(&gs).Error
	return gs, err
}

// activeParticipant loads a participant who may still have records added:
// ErrNotFound when there is none, a validation error when they withdrew.
func activeParticipant(tx *gorm.DB, id, what string) (Participant, error) {
	var p Participant
	if err := tx.First(&p, "id = ?", id).Error; err != nil {
		return p, notFound(err)
	}
	if p.WithdrawnAt != nil {
		return p, &ValidationError{Field: "participant", Msg: "The participant has withdrawn, so their " + what + " cannot be changed"}
	}
	return p, nil
}
