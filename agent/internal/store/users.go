package store

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/secret"
)

// Site roles.
const (
	RoleDirector = "director"
	RoleCoach    = "coach"
)

// Sign-in limits.
const (
	SessionTTL    = 12 * time.Hour
	MaxFailures   = 5
	LockoutPeriod = 15 * time.Minute
)

// Sign-in errors.
var (
	ErrBadLogin = errors.New("email or password is wrong")
	ErrLocked   = errors.New("too many failed sign-ins: the account is locked for 15 minutes")
)

// AddUser creates a local account.
func (s *Store) AddUser(ctx context.Context, email, name, role, password string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return User{}, &ValidationError{"email", "is not an email address"}
	}
	if strings.TrimSpace(name) == "" {
		return User{}, &ValidationError{"name", "is required"}
	}
	if role != RoleDirector && role != RoleCoach {
		return User{}, &ValidationError{"role", "must be director or coach"}
	}
	h, err := auth.HashPassword(password)
	if err != nil {
		return User{}, &ValidationError{"password", err.Error()}
	}
	u := User{ID: uuid.NewString(), Email: email, Name: strings.TrimSpace(name), Role: role, PasswordHash: h, CreatedAt: s.Now()}
	if err := s.DB.WithContext(ctx).Create(&u).Error; err != nil {
		if dbx.IsUniqueViolation(err) {
			return User{}, &ValidationError{"email", "an account with this email exists"}
		}
		return User{}, err
	}
	return u, nil
}

// Users lists the accounts with a role, by name.
func (s *Store) Users(ctx context.Context, role string) ([]User, error) {
	var us []User
	err := s.DB.WithContext(ctx).Where("role = ?", role).Order("name").Find(&us).Error
	return us, err
}

// UserCount counts accounts (zero means first-run set-up is due).
func (s *Store) UserCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Model(&User{}).Count(&n).Error
	return n, err
}

// Login checks a password, locking the account after repeated failures,
// and opens a session.
func (s *Store) Login(ctx context.Context, email, password string) (User, string, error) {
	var u User
	now := s.Now()
	err := s.DB.WithContext(ctx).Limit(1).Find(&u, "email = ?", strings.ToLower(strings.TrimSpace(email))).Error
	if err != nil {
		return User{}, "", err
	}
	if u.LockedUntil != nil && now.Before(*u.LockedUntil) {
		return User{}, "", ErrLocked
	}
	if !auth.CheckPassword(u.PasswordHash, password) {
		if u.ID != "" {
			upd := map[string]any{"failed_logins": gorm.Expr("failed_logins + 1")}
			if u.FailedLogins+1 >= MaxFailures {
				upd["locked_until"], upd["failed_logins"] = now.Add(LockoutPeriod), 0
			}
			if err := s.DB.WithContext(ctx).Model(&User{}).Where("id = ?", u.ID).Updates(upd).Error; err != nil {
				return User{}, "", err
			}
		}
		return User{}, "", ErrBadLogin
	}
	tok := secret.Token("imlagent_")
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"failed_logins": 0, "locked_until": nil}).Error; err != nil {
			return err
		}
		return tx.Create(&Session{Hash: secret.Hash(tok), UserID: u.ID, CSRF: secret.Token(""), ExpiresAt: now.Add(SessionTTL), CreatedAt: now}).Error
	})
	return u, tok, err
}

// SessionUser finds the user and session of a token.
func (s *Store) SessionUser(ctx context.Context, token string) (User, Session, error) {
	var sess Session
	var u User
	if token == "" {
		return u, sess, ErrNotFound
	}
	if err := s.DB.WithContext(ctx).First(&sess, "hash = ? AND expires_at > ?", secret.Hash(token), s.Now()).Error; err != nil {
		return u, sess, notFound(err)
	}
	err := s.DB.WithContext(ctx).First(&u, "id = ?", sess.UserID).Error
	return u, sess, notFound(err)
}

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, token string) error {
	return s.DB.WithContext(ctx).Delete(&Session{}, "hash = ?", secret.Hash(token)).Error
}
