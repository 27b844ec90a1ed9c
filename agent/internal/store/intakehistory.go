package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ParticipantChange is one field of a participant's intake details
// changed: by whom, when, from what to what (as people read them: a
// coach by name, a checklist item as yes or no). It stays at the site.
type ParticipantChange struct {
	ID            int64 `gorm:"primaryKey"`
	ParticipantID string
	ChangedAt     time.Time
	ChangedBy     string
	ChangedByName string
	Field         string
	OldValue      string
	NewValue      string
}

// IntakeField is a field of the intake details, with its label and its
// value as people read it (names is the site's coaches' names by id).
type IntakeField struct {
	Key, Label string
	Value      func(p Participant, names map[string]string) string
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// IntakeFields are the intake details a change is recorded for, in the
// form's order.
var IntakeFields = []IntakeField{
	{"first_name", "First name", func(p Participant, _ map[string]string) string { return p.FirstName }},
	{"last_name", "Last name", func(p Participant, _ map[string]string) string { return p.LastName }},
	{"birth_date", "Date of birth", func(p Participant, _ map[string]string) string { return p.BirthDate }},
	{"phone", "Phone", func(p Participant, _ map[string]string) string { return p.Phone }},
	{"email", "Email", func(p Participant, _ map[string]string) string { return p.Email }},
	{"address", "Address", func(p Participant, _ map[string]string) string { return p.Address }},
	{"enrolled_on", "Enrolled on", func(p Participant, _ map[string]string) string { return p.EnrolledOn }},
	{"coach_id", "Coach", func(p Participant, names map[string]string) string {
		if p.CoachID == "" {
			return ""
		}
		if n := names[p.CoachID]; n != "" {
			return n
		}
		return "a coach no longer at the site"
	}},
	{"age_override_reason", "Reason to enroll outside the age range", func(p Participant, _ map[string]string) string { return p.AgeOverrideReason }},
	{"informed_consent", "Informed consent", func(p Participant, _ map[string]string) string { return yesNo(p.InformedConsent) }},
	{"manages_finances", "Manages their own finances", func(p Participant, _ map[string]string) string { return yesNo(p.ManagesFinances) }},
	{"sets_goals", "Sets their own goals", func(p Participant, _ map[string]string) string { return yesNo(p.SetsGoals) }},
	{"accepts_responsibilities", "Accepts the participant's responsibilities", func(p Participant, _ map[string]string) string {
		return yesNo(p.AcceptsResponsibilities)
	}},
	{"agreement_signed_on", "Enrollment agreement signed on", func(p Participant, _ map[string]string) string { return p.AgreementSignedOn }},
	{"hospitalization_consent_on", "Consent to record hospitalizations given on", func(p Participant, _ map[string]string) string {
		return p.HospitalizationConsentOn
	}},
}

// IntakeIsDate reports whether an intake field holds a date (YYYY-MM-DD),
// which pages show in words.
func IntakeIsDate(key string) bool {
	return key == "birth_date" || strings.HasSuffix(key, "_on")
}

// IntakeLabel is the label of an intake field, the key itself when
// unknown.
func IntakeLabel(key string) string {
	for _, f := range IntakeFields {
		if f.Key == key {
			return f.Label
		}
	}
	return key
}

// coachNames are the site's coaches' names by id.
func coachNames(tx *gorm.DB) (map[string]string, error) {
	var cs []Coach
	if err := tx.Select("id", "name").Find(&cs).Error; err != nil {
		return nil, err
	}
	out := make(map[string]string, len(cs))
	for _, c := range cs {
		out[c.ID] = c.Name
	}
	return out, nil
}

// recordChanges writes a line of history for each intake field that
// differs between before and after, in the caller's transaction.
func recordChanges(tx *gorm.DB, before, after Participant, by User, at time.Time) error {
	names, err := coachNames(tx)
	if err != nil {
		return err
	}
	var rows []ParticipantChange
	for _, f := range IntakeFields {
		o, n := f.Value(before, names), f.Value(after, names)
		if o != n {
			rows = append(rows, ParticipantChange{ParticipantID: after.ID, ChangedAt: at, ChangedBy: by.ID, ChangedByName: by.Name, Field: f.Key, OldValue: o, NewValue: n})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Create(&rows).Error
}

// ParticipantChanges is the history of a participant's intake details,
// newest first.
func (s *participantStore) ParticipantChanges(ctx context.Context, participantID string) ([]ParticipantChange, error) {
	var out []ParticipantChange
	err := s.st.DB.WithContext(ctx).Where("participant_id = ?", participantID).Order("id DESC").Find(&out).Error
	return out, err
}
