package store

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/itsmylife/iml/pkg/contract"
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

// Certification is a Peer Life Coach certification. Seq grows with every
// change, in commit order, so agents pull changes after a cursor.
type Certification struct {
	ID            string `gorm:"primaryKey;size:36"`
	TraineeID     string `gorm:"size:36;not null;index"`
	OrgID         string `gorm:"size:36;not null;index"`
	Code          string `gorm:"size:40;not null;uniqueIndex"`
	IssuedOn      string `gorm:"size:10;not null"`
	ExpiresOn     string `gorm:"size:10;not null;index"`
	RevokedAt     *time.Time
	RevokedReason string    `gorm:"size:500"`
	Seq           int64     `gorm:"not null;index"`
	UpdatedAt     time.Time `gorm:"not null"`
}

// Status is current, expired or revoked on a day.
func (c Certification) Status(today string) string {
	switch {
	case c.RevokedAt != nil:
		return contract.CertRevoked
	case c.ExpiresOn < today:
		return contract.CertExpired
	}
	return contract.CertCurrent
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

// CertPolicy is how long a certification lasts (calendar months) and how
// many days ahead its expiry is flagged.
type CertPolicy struct {
	ValidMonths int
	WarnDays    int
}

// DefaultCertPolicy is two years, flagged 60 days ahead.
var DefaultCertPolicy = CertPolicy{ValidMonths: 24, WarnDays: 60}

func (p CertPolicy) expiry(from time.Time) string {
	return from.AddDate(0, p.ValidMonths, 0).Format(time.DateOnly)
}

func (p CertPolicy) warnUntil(now time.Time) string {
	return now.AddDate(0, 0, p.WarnDays).Format(time.DateOnly)
}

// checkDate checks a required date YYYY-MM-DD.
func checkDate(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if !isDay(v) {
		return v, &ValidationError{Field: field, Msg: "must be a date YYYY-MM-DD"}
	}
	return v, nil
}

// AddTrainee registers a person of an organization for training.
func (s *Store) AddTrainee(ctx context.Context, orgRef, name, email, role string) (Trainee, error) {
	var t Trainee
	var err error
	if t.Name, err = text("name", name, true, 200); err != nil {
		return t, err
	}
	if email, err = validEmail(email); err != nil {
		return t, err
	}
	if role != TraineeCoach && role != TraineeDirector {
		return t, &ValidationError{Field: "role", Msg: "must be coach or director"}
	}
	o, err := s.FindOrganization(ctx, orgRef)
	if errors.Is(err, ErrNotFound) {
		return t, &ValidationError{Field: "org", Msg: "no such organization"}
	}
	if err != nil {
		return t, err
	}
	var n int64
	if err := s.DB.WithContext(ctx).Model(&Trainee{}).Where("org_id = ? AND email = ?", o.ID, email).Count(&n).Error; err != nil {
		return t, err
	}
	if n > 0 {
		return t, &ValidationError{Field: "email", Msg: "someone of this organization is already registered with this email"}
	}
	t = Trainee{ID: uuid.NewString(), OrgID: o.ID, Name: t.Name, Email: email, Role: role, CreatedAt: s.Now()}
	return t, s.DB.WithContext(ctx).Create(&t).Error
}

// Trainee finds a person.
func (s *Store) Trainee(ctx context.Context, id string) (Trainee, error) {
	var t Trainee
	if !plainText(id) {
		return t, ErrNotFound
	}
	return t, notFound(s.DB.WithContext(ctx).First(&t, "id = ?", id).Error)
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
	if e.Title, err = text("title", e.Title, true, 200); err != nil {
		return e, err
	}
	if e.Mode != ModeVirtual && e.Mode != ModeInPerson {
		return e, &ValidationError{Field: "mode", Msg: "must be virtual or in_person"}
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
		return e, &ValidationError{Field: "ends_on", Msg: "cannot be before the first day"}
	}
	if e.Trainer, err = text("trainer", e.Trainer, true, 200); err != nil {
		return e, err
	}
	if e.Location, err = text("location", e.Location, e.Mode == ModeInPerson, 300); err != nil {
		if e.Mode == ModeInPerson {
			return e, &ValidationError{Field: "location", Msg: "an in-person training needs a place (at most 300 characters)"}
		}
		return e, err
	}
	if e.Capacity < 1 || e.Capacity > 1000 {
		return e, &ValidationError{Field: "capacity", Msg: "must be between 1 and 1000"}
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
	if !plainText(id) {
		return e, ErrNotFound
	}
	return e, notFound(s.DB.WithContext(ctx).First(&e, "id = ?", id).Error)
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
		if !plainText(eventID) || !plainText(traineeID) {
			return ErrNotFound
		}
		// Lock the event so two registrations cannot both take its last seat.
		if err := lockFirst(tx, &e, "id = ?", eventID); err != nil {
			return notFound(err)
		}
		var t Trainee
		if err := tx.First(&t, "id = ?", traineeID).Error; err != nil {
			return &ValidationError{Field: "trainee_id", Msg: "no such person"}
		}
		var n int64
		if err := tx.Model(&TrainingRegistration{}).Where("event_id = ? AND trainee_id = ?", eventID, traineeID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &ValidationError{Field: "trainee_id", Msg: t.Name + " is already registered"}
		}
		if err := tx.Model(&TrainingRegistration{}).Where("event_id = ?", eventID).Count(&n).Error; err != nil {
			return err
		}
		if n >= int64(e.Capacity) {
			return &ValidationError{Field: "trainee_id", Msg: fmt.Sprintf("the training is full (%d places)", e.Capacity)}
		}
		return tx.Create(&TrainingRegistration{EventID: eventID, TraineeID: traineeID, RegisteredAt: s.Now()}).Error
	})
}

func lockFirst(tx *gorm.DB, dst any, query string, args ...any) error {
	return lockAll(tx).First(dst, append([]any{query}, args...)...).Error
}

// lockAll makes tx's next query lock the rows it reads (SELECT ... FOR
// UPDATE) until the transaction ends, on PostgreSQL. On SQLite a
// transaction already holds the whole database (it begins immediate).
func lockAll(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "postgres" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// MarkAttendance records whether a registered person attended.
func (s *Store) MarkAttendance(ctx context.Context, eventID, traineeID string, attended bool) error {
	res := s.DB.WithContext(ctx).Model(&TrainingRegistration{}).Where("event_id = ? AND trainee_id = ?", eventID, traineeID).Update("attended", attended)
	if res.Error == nil && res.RowsAffected == 0 {
		return &ValidationError{Field: "trainee_id", Msg: "this person is not registered for the training"}
	}
	return res.Error
}

// CompleteModule records a module a person completed.
func (s *Store) CompleteModule(ctx context.Context, traineeID, module, completedOn, by string) error {
	if !slices.Contains(Modules, module) {
		return &ValidationError{Field: "module", Msg: "must be one of " + strings.Join(Modules, ", ")}
	}
	completedOn, err := s.dayOrToday("completed_on", completedOn)
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
		return d, &ValidationError{Field: "trainee_id", Msg: t.Name + " is not a Program Director"}
	}
	if heldOn, err = checkDate("held_on", heldOn); err != nil {
		return d, err
	}
	if trainer, err = text("trainer", trainer, true, 200); err != nil {
		return d, err
	}
	if notes, err = text("notes", notes, false, 4000); err != nil {
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

// newCertCode makes a verification code: 80 random bits in base32
// (A-Z, 2-7), grouped for reading aloud, such as IML-7K2Q-MD4X-9TRA-LP3C.
func newCertCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("store: no randomness: " + err.Error())
	}
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	return "IML-" + s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// NormalizeCertCode reads a code as people type it.
func NormalizeCertCode(code string) string {
	return strings.ToUpper(strings.Join(strings.Fields(code), ""))
}

// Certify issues a person's certification once every module is complete.
// A person holds at most one certification in force: renew it, or, once
// revoked or expired, certify again (with a new code).
func (s *Store) Certify(ctx context.Context, traineeID string, p CertPolicy) (Certification, error) {
	var c Certification
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		seq, err := nextSeq(tx, "certifications", s.Now())
		if err != nil {
			return err
		}
		var t Trainee
		if !plainText(traineeID) {
			return ErrNotFound
		}
		if err := tx.First(&t, "id = ?", traineeID).Error; err != nil {
			return notFound(err)
		}
		if t.Role != TraineeCoach {
			return &ValidationError{Field: "trainee_id", Msg: t.Name + " is registered as a Program Director; only Peer Life Coaches are certified"}
		}
		var done []string
		if err := tx.Model(&ModuleCompletion{}).Where("trainee_id = ?", traineeID).Pluck("module", &done).Error; err != nil {
			return err
		}
		var missing []string
		for _, m := range Modules {
			if !slices.Contains(done, m) {
				missing = append(missing, ModuleNames[m])
			}
		}
		if len(missing) > 0 {
			return &ValidationError{Field: "modules", Msg: fmt.Sprintf("%s has not completed %s; certification needs all six modules", t.Name, strings.Join(missing, ", "))}
		}
		today := s.Today()
		var inForce int64
		if err := tx.Model(&Certification{}).Where("trainee_id = ? AND revoked_at IS NULL AND expires_on >= ?", traineeID, today).Count(&inForce).Error; err != nil {
			return err
		}
		if inForce > 0 {
			return &ValidationError{Field: "trainee_id", Msg: t.Name + " already holds a current certification; renew it instead"}
		}
		c = Certification{ID: uuid.NewString(), TraineeID: t.ID, OrgID: t.OrgID, Code: newCertCode(), IssuedOn: today,
			ExpiresOn: p.expiry(s.Now()), Seq: seq, UpdatedAt: s.Now()}
		return tx.Create(&c).Error
	})
	return c, err
}

// CertificationByCode finds a certification by its verification code.
func (s *Store) CertificationByCode(ctx context.Context, code string) (Certification, error) {
	var c Certification
	code = NormalizeCertCode(code)
	if !plainText(code) || len(code) > 40 {
		return c, ErrNotFound
	}
	return c, notFound(s.DB.WithContext(ctx).First(&c, "code = ?", code).Error)
}

// changeCert changes a certification under a new change sequence.
func (s *Store) changeCert(ctx context.Context, code string, change func(c *Certification) error) (Certification, error) {
	var c Certification
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		seq, err := nextSeq(tx, "certifications", s.Now())
		if err != nil {
			return err
		}
		code = NormalizeCertCode(code)
		if !plainText(code) {
			return ErrNotFound
		}
		if err := tx.First(&c, "code = ?", code).Error; err != nil {
			return notFound(err)
		}
		if err := change(&c); err != nil {
			return err
		}
		c.Seq, c.UpdatedAt = seq, s.Now()
		return tx.Save(&c).Error
	})
	return c, err
}

// RenewCertification extends a certification that is not revoked by the
// policy's validity from today, or from its expiry when that is later.
func (s *Store) RenewCertification(ctx context.Context, code string, p CertPolicy) (Certification, error) {
	return s.changeCert(ctx, code, func(c *Certification) error {
		if c.RevokedAt != nil {
			return &ValidationError{Field: "code", Msg: "a revoked certification cannot be renewed; certify the coach again once eligible"}
		}
		from := s.Now()
		if exp, err := time.Parse(time.DateOnly, c.ExpiresOn); err == nil && exp.After(from) {
			from = exp
		}
		c.ExpiresOn = p.expiry(from)
		return nil
	})
}

// RevokeCertification revokes a certification, saying why.
func (s *Store) RevokeCertification(ctx context.Context, code, reason string) (Certification, error) {
	reason, err := text("reason", reason, true, 500)
	if err != nil {
		return Certification{}, &ValidationError{Field: "reason", Msg: "say why the certification is revoked (at most 500 characters)"}
	}
	return s.changeCert(ctx, code, func(c *Certification) error {
		if c.RevokedAt != nil {
			return &ValidationError{Field: "code", Msg: "the certification is already revoked"}
		}
		now := s.Now()
		c.RevokedAt, c.RevokedReason = &now, reason
		return nil
	})
}

// CertView is a certification with the person it belongs to.
type CertView struct {
	Certification
	Name, Email, Status string
	ExpiresSoon         bool
}

func (s *Store) certViews(q *gorm.DB, p CertPolicy) ([]CertView, error) {
	var cs []Certification
	if err := q.Find(&cs).Error; err != nil {
		return nil, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.TraineeID
	}
	var ts []Trainee
	if len(ids) > 0 {
		if err := s.DB.Where("id IN ?", ids).Find(&ts).Error; err != nil {
			return nil, err
		}
	}
	people := map[string]Trainee{}
	for _, t := range ts {
		people[t.ID] = t
	}
	today := s.Today()
	soon := p.warnUntil(s.Now())
	out := make([]CertView, len(cs))
	for i, c := range cs {
		st := c.Status(today)
		out[i] = CertView{Certification: c, Name: people[c.TraineeID].Name, Email: people[c.TraineeID].Email, Status: st,
			ExpiresSoon: st == contract.CertCurrent && c.ExpiresOn <= soon}
	}
	return out, nil
}

// Registry lists an organization's certifications, by expiry.
func (s *Store) Registry(ctx context.Context, orgID string, p CertPolicy) ([]CertView, error) {
	return s.certViews(s.DB.WithContext(ctx).Where("org_id = ?", orgID).Order("expires_on DESC"), p)
}

// TraineeCertifications lists a person's certifications, newest first.
func (s *Store) TraineeCertifications(ctx context.Context, traineeID string, p CertPolicy) ([]CertView, error) {
	return s.certViews(s.DB.WithContext(ctx).Where("trainee_id = ?", traineeID).Order("issued_on DESC, seq DESC"), p)
}

// ExpiringCertifications lists current certifications that expire within
// the policy's warning window, soonest first.
func (s *Store) ExpiringCertifications(ctx context.Context, p CertPolicy) ([]CertView, error) {
	soon := p.warnUntil(s.Now())
	return s.certViews(s.DB.WithContext(ctx).Where("revoked_at IS NULL AND expires_on >= ? AND expires_on <= ?", s.Today(), soon).Order("expires_on"), p)
}

// Verification is what anyone may learn from a verification code.
type Verification struct {
	Name      string `json:"name"`
	Status    string `json:"status"`
	ExpiresOn string `json:"expires_on"`
}

// Verify answers the name, status and expiry of the certification with a
// code.
func (s *Store) Verify(ctx context.Context, code string) (Verification, error) {
	c, err := s.CertificationByCode(ctx, code)
	if err != nil {
		return Verification{}, err
	}
	t, err := s.Trainee(ctx, c.TraineeID)
	if err != nil {
		return Verification{}, err
	}
	return Verification{Name: t.Name, Status: c.Status(s.Today()), ExpiresOn: c.ExpiresOn}, nil
}

// CertificationsAfter lists an organization's certifications changed after
// a sequence, in sequence order, as they travel to its agents.
func (s *Store) CertificationsAfter(ctx context.Context, orgID string, seq int64, limit int) ([]contract.CertificationWire, error) {
	var cs []Certification
	if err := s.DB.WithContext(ctx).Where("org_id = ? AND seq > ?", orgID, seq).Order("seq").Limit(limit).Find(&cs).Error; err != nil {
		return nil, err
	}
	out := make([]contract.CertificationWire, 0, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.TraineeID
	}
	var ts []Trainee
	if err := s.DB.WithContext(ctx).Where("id IN ?", ids).Find(&ts).Error; err != nil {
		return nil, err
	}
	var mods []ModuleCompletion
	if err := s.DB.WithContext(ctx).Where("trainee_id IN ?", ids).Order("module").Find(&mods).Error; err != nil {
		return nil, err
	}
	people := map[string]Trainee{}
	for _, t := range ts {
		people[t.ID] = t
	}
	done := map[string][]string{}
	for _, m := range mods {
		done[m.TraineeID] = append(done[m.TraineeID], m.Module)
	}
	today := s.Today()
	for _, c := range cs {
		t := people[c.TraineeID]
		m := done[c.TraineeID]
		if m == nil {
			m = []string{}
		}
		out = append(out, contract.CertificationWire{Seq: c.Seq, Code: c.Code, CoachName: t.Name, CoachEmail: t.Email, Status: c.Status(today),
			IssuedOn: c.IssuedOn, ExpiresOn: c.ExpiresOn, RevokedReason: c.RevokedReason, Modules: m})
	}
	return out, nil
}
