package store

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// CoachInput is a coach's profile as the director enters it.
type CoachInput struct {
	Name   string `json:"name" form:"name"`
	Email  string `json:"email" form:"email"`
	Bio    string `json:"bio" form:"bio"`
	UserID string `json:"user_id" form:"user_id"`
}

// AddCoach adds a coach. A coach may be linked to a local account, which
// then sees the participants of the coach's cohorts.
func (s *coachStore) AddCoach(ctx context.Context, in CoachInput) (Coach, error) {
	if err := in.validate(); err != nil {
		return Coach{}, err
	}
	now := s.st.Now()
	c := Coach{ID: uuid.NewString(), UserID: in.UserID, Name: in.Name, Email: in.Email, Bio: in.Bio, Active: true, CreatedAt: now, UpdatedAt: now}
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkUser(tx, in.UserID, c.ID); err != nil {
			return err
		}
		return tx.Create(&c).Error
	})
	return c, err
}

// checkUser refuses an account coach coachID cannot sign in with: one
// that is not a coach's account at this site, or that another coach
// signs in with already (an account sees one coach's cohorts).
func checkUser(tx *gorm.DB, userID, coachID string) error {
	if userID == "" {
		return nil
	}
	var n int64
	if err := tx.Model(&User{}).Where("id = ? AND role = ?", userID, RoleCoach).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return &ValidationError{Field: "user_id", Msg: "Choose a coach's account at this site"}
	}
	if err := tx.Model(&Coach{}).Where("user_id = ? AND id <> ?", userID, coachID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return &ValidationError{Field: "user_id", Msg: "Another coach signs in with this account: choose an account no coach has"}
	}
	return nil
}

// UpdateCoach changes a coach's profile.
func (s *coachStore) UpdateCoach(ctx context.Context, id string, in CoachInput) (Coach, error) {
	if err := in.validate(); err != nil {
		return Coach{}, err
	}
	var c Coach
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&c, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if err := checkUser(tx, in.UserID, c.ID); err != nil {
			return err
		}
		c.Name, c.Email, c.Bio, c.UserID, c.UpdatedAt = in.Name, in.Email, in.Bio, in.UserID, s.st.Now()
		return tx.Save(&c).Error
	})
	return c, err
}

// Certification is a coach's certification as reported or recorded.
type Certification struct {
	Code           string `json:"code" form:"code"`
	CertifiedUntil string `json:"certified_until" form:"certified_until"`
	Revoked        bool   `json:"revoked" form:"revoked"`
}

// RecordCertification stores a coach's certification. source is "hub" when
// the hub reported it and "site" when the director recorded it while the hub
// does not yet manage certifications; a hub report always replaces a site
// record.
func (s *coachStore) RecordCertification(ctx context.Context, coachID, source string, cert Certification) (Coach, error) {
	var errs ValidationErrors
	cert.Code = strings.TrimSpace(cert.Code)
	errs = append(errs, required(cert.Code, "code", "Enter the certification's code", 60)...)
	if _, ok := parseDate(cert.CertifiedUntil); !ok {
		errs = append(errs, ValidationError{Field: "certified_until", Msg: "Enter the day the certification expires, as YYYY-MM-DD"})
	}
	if source != "hub" && source != "site" {
		errs = append(errs, ValidationError{Field: "source", Msg: "Choose hub or site"})
	}
	if len(errs) > 0 {
		return Coach{}, errs
	}
	var c Coach
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&c, "id = ?", coachID).Error; err != nil {
			return notFound(err)
		}
		if source == "site" && c.CertSource == "hub" {
			return &ValidationError{Field: "source", Msg: "The hub manages this coach's certification, so it cannot be changed at the site"}
		}
		c.CertCode, c.CertifiedUntil, c.CertRevoked, c.CertSource, c.UpdatedAt = cert.Code, cert.CertifiedUntil, cert.Revoked, source, s.st.Now()
		return tx.Save(&c).Error
	})
	return c, err
}

// Coaches lists the coaches by name (kept until the data version moves:
// most pages name them).
func (s *coachStore) Coaches(ctx context.Context) ([]Coach, error) {
	return keptList(s.st, "coaches", func() ([]Coach, error) {
		var cs []Coach
		err := s.st.DB.WithContext(ctx).Order("name").Find(&cs).Error
		return cs, err
	})
}

// Coach finds one coach.
func (s *coachStore) Coach(ctx context.Context, id string) (Coach, error) {
	var c Coach
	err := s.st.DB.WithContext(ctx).First(&c, "id = ?", id).Error
	return c, notFound(err)
}

// CoachOfUser finds the coach linked to an account, if any.
func (s *coachStore) CoachOfUser(ctx context.Context, userID string) (Coach, bool, error) {
	var c Coach
	err := s.st.DB.WithContext(ctx).Limit(1).Find(&c, "user_id = ? AND user_id <> ''", userID).Error
	return c, c.ID != "", err
}

// checkLeader refuses a coach who cannot lead a cohort today.
func (s *coachStore) checkLeader(tx *gorm.DB, coachID string) error {
	var c Coach
	if err := tx.Limit(1).Find(&c, "id = ?", coachID).Error; err != nil {
		return err
	}
	switch {
	case c.ID == "":
		return &ValidationError{Field: "coach_id", Msg: "Choose a coach at this site"}
	case !c.Active:
		return &ValidationError{Field: "coach_id", Msg: c.Name + " no longer coaches at this site"}
	case !c.CertifiedOn(s.st.Now()):
		why := "has no certification on record"
		if c.CertRevoked {
			why = "had their certification revoked"
		} else if c.CertifiedUntil != "" {
			why = "has a certification that expired on " + c.CertifiedUntil
		}
		return &ValidationError{Field: "coach_id", Msg: c.Name + " " + why + "; only a currently certified coach can lead a cohort"}
	}
	return nil
}

// Coach is a Peer Life Coach at the site. The certification is what the
// hub reports for the coach (CertSource "hub"), or until the hub manages
// certification, what the director recorded (CertSource "site").
type Coach struct {
	ID             string    `gorm:"primaryKey" json:"id"`
	UserID         string    `json:"user_id"`
	Name           string    `json:"name"`
	Email          string    `json:"email"`
	Bio            string    `json:"bio"`
	CertCode       string    `json:"cert_code"`
	CertifiedUntil string    `json:"certified_until"`
	CertRevoked    bool      `json:"cert_revoked"`
	CertSource     string    `json:"cert_source"`
	Active         bool      `json:"active"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func (in *CoachInput) validate() error {
	var errs ValidationErrors
	in.Name, in.Email, in.Bio = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email), strings.TrimSpace(in.Bio)
	errs = append(errs, nameErrors(in.Name)...)
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
			errs = append(errs, ValidationError{Field: "email", Msg: "Enter an email address such as name@example.org"})
		}
	}
	if len(in.Bio) > 4000 {
		errs = append(errs, ValidationError{Field: "bio", Msg: "Use at most 4000 characters"})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// nameErrors checks a required name of at most 200 characters: an empty
// one is asked for, a long one cut to the limit.
func nameErrors(name string) []ValidationError {
	switch {
	case name == "":
		return []ValidationError{{Field: "name", Msg: "Enter a name"}}
	case len(name) > 200:
		return []ValidationError{{Field: "name", Msg: "Use at most 200 characters"}}
	}
	return nil
}
