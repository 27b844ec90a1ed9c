package store

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

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

// dummyHash is compared against when no account matches, so that a wrong
// email takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no account has this password"), bcrypt.DefaultCost)
	return h
})

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
	if len(password) < 12 {
		return User{}, &ValidationError{"password", "must be at least 12 characters"}
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return User{}, err
	}
	u := User{ID: uuid.NewString(), Email: email, Name: strings.TrimSpace(name), Role: role, OrgID: orgID, PasswordHash: string(h), CreatedAt: s.Now()}
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
	if err != nil || u.PasswordHash == "" {
		// Spend the same time as a real comparison.
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return User{}, "", ErrBadLogin
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
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
