package training

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
)

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

// Certify issues a person's certification once every module is complete.
// A person holds at most one certification in force: renew it, or, once
// revoked or expired, certify again (with a new code).
func (s *Store) Certify(ctx context.Context, traineeID string, p CertPolicy) (Certification, error) {
	var c Certification
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		seq, err := store.NextSeq(tx, "certifications", s.Now())
		if err != nil {
			return err
		}
		var t Trainee
		if !store.PlainText(traineeID) {
			return store.ErrNotFound
		}
		if err := tx.First(&t, "id = ?", traineeID).Error; err != nil {
			return store.NotFound(err)
		}
		if t.Role != TraineeCoach {
			return &store.ValidationError{Field: "trainee_id", Msg: t.Name + " is registered as a Program Director; only Peer Life Coaches are certified"}
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
			return &store.ValidationError{Field: "modules", Msg: fmt.Sprintf("%s has not completed %s; certification needs all six modules", t.Name, strings.Join(missing, ", "))}
		}
		today := s.Today()
		var inForce int64
		if err := tx.Model(&Certification{}).Where("trainee_id = ? AND revoked_at IS NULL AND expires_on >= ?", traineeID, today).Count(&inForce).Error; err != nil {
			return err
		}
		if inForce > 0 {
			return &store.ValidationError{Field: "trainee_id", Msg: t.Name + " already holds a current certification; renew it instead"}
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
	code = store.NormalizeCertCode(code)
	if !store.PlainText(code) || len(code) > 40 {
		return c, store.ErrNotFound
	}
	return c, store.NotFound(s.DB.WithContext(ctx).First(&c, "code = ?", code).Error)
}

// changeCert changes a certification under a new change sequence.
func (s *Store) changeCert(ctx context.Context, code string, change func(c *Certification) error) (Certification, error) {
	var c Certification
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		seq, err := store.NextSeq(tx, "certifications", s.Now())
		if err != nil {
			return err
		}
		code = store.NormalizeCertCode(code)
		if !store.PlainText(code) {
			return store.ErrNotFound
		}
		if err := tx.First(&c, "code = ?", code).Error; err != nil {
			return store.NotFound(err)
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
			return &store.ValidationError{Field: "code", Msg: "Certify the coach again once eligible: a revoked certification cannot be renewed"}
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
	reason, err := store.Text("reason", reason, true, 500)
	if err != nil {
		return Certification{}, &store.ValidationError{Field: "reason", Msg: "Enter why the certification is revoked, in at most 500 characters"}
	}
	return s.changeCert(ctx, code, func(c *Certification) error {
		if c.RevokedAt != nil {
			return &store.ValidationError{Field: "code", Msg: "Reload the page: the certification is already revoked"}
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
