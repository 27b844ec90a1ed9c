package training

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/itsmylife/iml/hub/internal/store"
)

// Trainee roles: a Peer Life Coach candidate or a Program Director.
const (
	TraineeCoach    = "coach"
	TraineeDirector = "director"
)

// Trainee is a person the national organization trains: a coach candidate
// or a Program Director of an implementing organization.
type Trainee struct {
	ID        string    `gorm:"primaryKey;size:36"`
	OrgID     string    `gorm:"size:36;not null;index"`
	Name      string    `gorm:"size:200;not null"`
	Email     string    `gorm:"size:200;not null"`
	Role      string    `gorm:"size:20;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// Training event modes.
const (
	ModeVirtual  = "virtual"
	ModeInPerson = "in_person"
)

// TrainingEvent is a training the national organization holds.
type TrainingEvent struct {
	ID        string    `gorm:"primaryKey;size:36"`
	Title     string    `gorm:"size:200;not null"`
	Mode      string    `gorm:"size:20;not null"`
	StartsOn  string    `gorm:"size:10;not null;index"`
	EndsOn    string    `gorm:"size:10;not null"`
	Location  string    `gorm:"size:300"`
	Trainer   string    `gorm:"size:200;not null"`
	Capacity  int       `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// TrainingRegistration is a person registered for an event, and whether
// they attended.
type TrainingRegistration struct {
	EventID      string    `gorm:"primaryKey;size:36"`
	TraineeID    string    `gorm:"primaryKey;size:36;index"`
	Attended     bool      `gorm:"not null"`
	RegisteredAt time.Time `gorm:"not null"`
}

// ModuleCompletion is a training module a person completed.
type ModuleCompletion struct {
	TraineeID   string    `gorm:"primaryKey;size:36"`
	Module      string    `gorm:"primaryKey;size:40"`
	CompletedOn string    `gorm:"size:10;not null"`
	RecordedBy  string    `gorm:"size:200"`
	CreatedAt   time.Time `gorm:"not null"`
}

// DirectorSession is a Program Director instruction session.
type DirectorSession struct {
	ID        string    `gorm:"primaryKey;size:36"`
	TraineeID string    `gorm:"size:36;not null;index"`
	HeldOn    string    `gorm:"size:10;not null"`
	Trainer   string    `gorm:"size:200;not null"`
	Notes     string    `gorm:"type:text"`
	CreatedAt time.Time `gorm:"not null"`
}

// Modules a Peer Life Coach completes before certification, by stable code.
var Modules = []string{"peer_support", "self_directed_care", "psychiatric_rehabilitation", "life_coaching", "motivational_interviewing", "shared_decision_making"}

// ModuleNames are their human names.
var ModuleNames = map[string]string{
	"peer_support": "Peer support", "self_directed_care": "Self-directed care",
	"psychiatric_rehabilitation": "Psychiatric rehabilitation", "life_coaching": "Life coaching",
	"motivational_interviewing": "Motivational interviewing", "shared_decision_making": "Shared decision-making",
}

// checkDate checks a required date YYYY-MM-DD.
func checkDate(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if !store.IsDay(v) {
		return v, &store.ValidationError{Field: field, Msg: "Enter a date such as 2026-03-04"}
	}
	return v, nil
}

// AddTrainee registers a person of an organization for training.
func (s *Store) AddTrainee(ctx context.Context, orgRef, name, email, role string) (Trainee, error) {
	var t Trainee
	var err error
	if t.Name, err = store.Text("name", name, true, 200); err != nil {
		return t, err
	}
	if email, err = store.ValidEmail(email); err != nil {
		return t, err
	}
	if role != TraineeCoach && role != TraineeDirector {
		return t, &store.ValidationError{Field: "role", Msg: "Choose coach or director"}
	}
	o, err := s.FindOrganization(ctx, orgRef)
	if errors.Is(err, store.ErrNotFound) {
		return t, &store.ValidationError{Field: "org", Msg: "Choose an organization from the list"}
	}
	if err != nil {
		return t, err
	}
	var n int64
	if err := s.DB.WithContext(ctx).Model(&Trainee{}).Where("org_id = ? AND email = ?", o.ID, email).Count(&n).Error; err != nil {
		return t, err
	}
	if n > 0 {
		return t, &store.ValidationError{Field: "email", Msg: "Use another email: someone of this organization is already registered with this one"}
	}
	t = Trainee{ID: uuid.NewString(), OrgID: o.ID, Name: t.Name, Email: email, Role: role, CreatedAt: s.Now()}
	return t, s.DB.WithContext(ctx).Create(&t).Error
}

// Trainee finds a person.
func (s *Store) Trainee(ctx context.Context, id string) (Trainee, error) {
	var t Trainee
	if !store.PlainText(id) {
		return t, store.ErrNotFound
	}
	return t, store.NotFound(s.DB.WithContext(ctx).First(&t, "id = ?", id).Error)
}

// Trainees lists people, optionally of one organization, by name.
func (s *Store) Trainees(ctx context.Context, orgID string) ([]Trainee, error) {
	var ts []Trainee
	q := s.DB.WithContext(ctx).Order("name")
	if orgID != "" {
		q = q.Where("org_id = ?", orgID)
	}
	return ts, q.Find(&ts).Error
}

// AddTrainingEvent schedules a training.
func (s *Store) AddTrainingEvent(ctx context.Context, e TrainingEvent) (TrainingEvent, error) {
	var err error
	if e.Title, err = store.Text("title", e.Title, true, 200); err != nil {
		return e, err
	}
	if e.Mode != ModeVirtual && e.Mode != ModeInPerson {
		return e, &store.ValidationError{Field: "mode", Msg: "Choose virtual or in person"}
	}
	if e.StartsOn, err = checkDate("starts_on", e.StartsOn); err != nil {
		return e, err
	}
	if e.EndsOn == "" {
		e.EndsOn = e.StartsOn
	}
	if e.EndsOn, err = checkDate("ends_on", e.EndsOn); err != nil {
		return e, err
	}
	if e.EndsOn < e.StartsOn {
		return e, &store.ValidationError{Field: "ends_on", Msg: "Enter a last day on or after the first day"}
	}
	if e.Trainer, err = store.Text("trainer", e.Trainer, true, 200); err != nil {
		return e, err
	}
	if e.Location, err = store.Text("location", e.Location, e.Mode == ModeInPerson, 300); err != nil {
		if e.Mode == ModeInPerson {
			return e, &store.ValidationError{Field: "location", Msg: "Enter the place of an in-person training (at most 300 characters)"}
		}
		return e, err
	}
	if e.Capacity < 1 || e.Capacity > 1000 {
		return e, &store.ValidationError{Field: "capacity", Msg: "Enter a number from 1 to 1000"}
	}
	e.ID, e.CreatedAt = uuid.NewString(), s.Now()
	return e, s.DB.WithContext(ctx).Create(&e).Error
}

// TrainingEvents lists events, latest first.
func (s *Store) TrainingEvents(ctx context.Context) ([]TrainingEvent, error) {
	var es []TrainingEvent
	return es, s.DB.WithContext(ctx).Order("starts_on DESC").Find(&es).Error
}

// TrainingEvent finds an event.
func (s *Store) TrainingEvent(ctx context.Context, id string) (TrainingEvent, error) {
	var e TrainingEvent
	if !store.PlainText(id) {
		return e, store.ErrNotFound
	}
	return e, store.NotFound(s.DB.WithContext(ctx).First(&e, "id = ?", id).Error)
}

// Registrations lists who is registered for an event.
func (s *Store) Registrations(ctx context.Context, eventID string) ([]TrainingRegistration, error) {
	var rs []TrainingRegistration
	return rs, s.DB.WithContext(ctx).Where("event_id = ?", eventID).Order("registered_at").Find(&rs).Error
}

// Register adds a person to an event, within its capacity.
func (s *Store) Register(ctx context.Context, eventID, traineeID string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var e TrainingEvent
		if !store.PlainText(eventID) || !store.PlainText(traineeID) {
			return store.ErrNotFound
		}
		// Lock the event so two registrations cannot both take its last seat.
		if err := store.LockFirst(tx, &e, "id = ?", eventID); err != nil {
			return store.NotFound(err)
		}
		var t Trainee
		if err := tx.First(&t, "id = ?", traineeID).Error; err != nil {
			return &store.ValidationError{Field: "trainee_id", Msg: "Choose a person from the list"}
		}
		var n int64
		if err := tx.Model(&TrainingRegistration{}).Where("event_id = ? AND trainee_id = ?", eventID, traineeID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &store.ValidationError{Field: "trainee_id", Msg: t.Name + " is already registered"}
		}
		if err := tx.Model(&TrainingRegistration{}).Where("event_id = ?", eventID).Count(&n).Error; err != nil {
			return err
		}
		if n >= int64(e.Capacity) {
			return &store.ValidationError{Field: "trainee_id", Msg: fmt.Sprintf("Choose another training or give this one more places: it is full (%d places)", e.Capacity)}
		}
		return tx.Create(&TrainingRegistration{EventID: eventID, TraineeID: traineeID, RegisteredAt: s.Now()}).Error
	})
}

// MarkAttendance records whether a registered person attended.
func (s *Store) MarkAttendance(ctx context.Context, eventID, traineeID string, attended bool) error {
	res := s.DB.WithContext(ctx).Model(&TrainingRegistration{}).Where("event_id = ? AND trainee_id = ?", eventID, traineeID).Update("attended", attended)
	if res.Error == nil && res.RowsAffected == 0 {
		return &store.ValidationError{Field: "trainee_id", Msg: "Register this person for the training first"}
	}
	return res.Error
}

// CompleteModule records a module a person completed.
func (s *Store) CompleteModule(ctx context.Context, traineeID, module, completedOn, by string) error {
	if !slices.Contains(Modules, module) {
		return &store.ValidationError{Field: "module", Msg: "Choose one of " + strings.Join(Modules, ", ")}
	}
	completedOn, err := s.DayOrToday("completed_on", completedOn)
	if err != nil {
		return err
	}
	if _, err := s.Trainee(ctx, traineeID); err != nil {
		return err
	}
	m := ModuleCompletion{TraineeID: traineeID, Module: module, CompletedOn: completedOn, RecordedBy: by, CreatedAt: s.Now()}
	return s.DB.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "trainee_id"}, {Name: "module"}},
		DoUpdates: clause.AssignmentColumns([]string{"completed_on", "recorded_by"})}).Create(&m).Error
}

// CompletedModules lists a person's completed modules.
func (s *Store) CompletedModules(ctx context.Context, traineeID string) ([]ModuleCompletion, error) {
	var ms []ModuleCompletion
	return ms, s.DB.WithContext(ctx).Where("trainee_id = ?", traineeID).Find(&ms).Error
}

// AddDirectorSession records an instruction session with a Program
// Director.
func (s *Store) AddDirectorSession(ctx context.Context, traineeID, heldOn, trainer, notes string) (DirectorSession, error) {
	var d DirectorSession
	t, err := s.Trainee(ctx, traineeID)
	if err != nil {
		return d, err
	}
	if t.Role != TraineeDirector {
		return d, &store.ValidationError{Field: "trainee_id", Msg: t.Name + " is not a Program Director"}
	}
	if heldOn, err = checkDate("held_on", heldOn); err != nil {
		return d, err
	}
	if trainer, err = store.Text("trainer", trainer, true, 200); err != nil {
		return d, err
	}
	if notes, err = store.Text("notes", notes, false, 4000); err != nil {
		return d, err
	}
	d = DirectorSession{ID: uuid.NewString(), TraineeID: traineeID, HeldOn: heldOn, Trainer: trainer, Notes: notes, CreatedAt: s.Now()}
	return d, s.DB.WithContext(ctx).Create(&d).Error
}

// DirectorSessions lists a director's instruction sessions.
func (s *Store) DirectorSessions(ctx context.Context, traineeID string) ([]DirectorSession, error) {
	var ds []DirectorSession
	return ds, s.DB.WithContext(ctx).Where("trainee_id = ?", traineeID).Order("held_on DESC").Find(&ds).Error
}
