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

// Staff roles.
const (
	RoleAdmin    = "admin"
	RoleTrainer  = "trainer"
	RoleTA       = "ta"
	RoleAnalyst  = "analyst"
	RoleDirector = "director"
)

// Roles lists the staff roles.
var Roles = []string{RoleAdmin, RoleTrainer, RoleTA, RoleAnalyst, RoleDirector}

// ErrBadLogin is the one answer to a wrong email or password.
var ErrBadLogin = errors.New("email or password is wrong")

// SessionTTL is how long a staff session lasts.
const SessionTTL = 12 * time.Hour

// AddUser creates a local staff account.
func (s *Store) AddUser(ctx context.Context, email, name, role, orgID, password string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return User{}, &ValidationError{"email", "is not an email address"}
	}
	if strings.TrimSpace(name) == "" {
		return User{}, &ValidationError{"name", "is required"}
	}
	ok := false
	for _, r := range Roles {
		ok = ok || r == role
	}
	if !ok {
		return User{}, &ValidationError{"role", "must be one of " + strings.Join(Roles, ", ")}
	}
	if role == RoleDirector && orgID == "" {
		return User{}, &ValidationError{"org", "a Program Director belongs to an organization"}
	}
	h, err := auth.HashPassword(password)
	if err != nil {
		return User{}, &ValidationError{"password", err.Error()}
	}
	u := User{ID: uuid.NewString(), Email: email, Name: strings.TrimSpace(name), Role: role, OrgID: orgID, PasswordHash: h, CreatedAt: s.Now()}
	if err := s.DB.WithContext(ctx).Create(&u).Error; err != nil {
		if dbx.IsUniqueViolation(err) {
			return User{}, &ValidationError{"email", "an account with this email exists"}
		}
		return User{}, err
	}
	return u, nil
}

// Login checks a password and opens a session. It returns the session token.
func (s *Store) Login(ctx context.Context, email, password string) (User, string, error) {
	var u User
	err := s.DB.WithContext(ctx).First(&u, "email = ?", strings.ToLower(strings.TrimSpace(email))).Error
	if err != nil {
		u = User{}
	}
	if !auth.CheckPassword(u.PasswordHash, password) {
		return User{}, "", ErrBadLogin
	}
	tok := secret.Token("imlhub_")
	sess := Session{Hash: secret.Hash(tok), UserID: u.ID, CSRF: secret.Token(""), ExpiresAt: s.Now().Add(SessionTTL), CreatedAt: s.Now()}
	if err := s.DB.WithContext(ctx).Create(&sess).Error; err != nil {
		return User{}, "", err
	}
	return u, tok, nil
}

// SessionUser finds the user and session of a session token.
func (s *Store) SessionUser(ctx context.Context, token string) (User, Session, error) {
	var sess Session
	var u User
	if token == "" {
		return u, sess, ErrNotFound
	}
	err := s.DB.WithContext(ctx).First(&sess, "hash = ? AND expires_at > ?", secret.Hash(token), s.Now()).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, sess, ErrNotFound
	}
	if err != nil {
		return u, sess, err
	}
	err = s.DB.WithContext(ctx).First(&u, "id = ?", sess.UserID).Error
	return u, sess, err
}

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, token string) error {
	return s.DB.WithContext(ctx).Delete(&Session{}, "hash = ?", secret.Hash(token)).Error
}
