package store

import (
	"context"
	"errors"
	"fmt"
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

// SessionTTL is how long a staff session lasts. The lock-out after failed
// sign-ins is auth's (auth.MaxFailures, auth.LockoutPeriod).
const SessionTTL = 12 * time.Hour

// Sign-in errors: ErrBadLogin is auth.ErrBadLogin, and a locked account
// or journal access is refused with an *auth.LockedError, which is
// ErrLocked.
var (
	ErrBadLogin = fmt.Errorf("email or password is wrong: %w", auth.ErrBadLogin)
	ErrLocked   = auth.ErrLocked
)

// AddUser creates a local account.
func (s *Store) AddUser(ctx context.Context, email, name, role, password string) (User, error) {
	return s.addUser(ctx, email, name, role, password, false)
}

// ErrSetUp means the site already has an account: the first one is made
// only once.
var ErrSetUp = errors.New("this site is already set up")

// AddFirstUser makes the site's first account, and refuses with ErrSetUp
// once any account exists: the count and the insert are one transaction
// (an immediate one, so two set-ups at once cannot both see none).
func (s *Store) AddFirstUser(ctx context.Context, email, name, password string) (User, error) {
	return s.addUser(ctx, email, name, RoleDirector, password, true)
}

// CheckAccount reports every mistake in an account's details, as AddUser
// would, without making it (a form can then show them all at once).
func CheckAccount(email, name, role, password string) error {
	if _, _, errs, err := checkAccount(email, name, role, password); err != nil {
		return err
	} else if len(errs) > 0 {
		return errs
	}
	return nil
}

func (s *Store) addUser(ctx context.Context, email, name, role, password string, first bool) (User, error) {
	email, h, errs, err := checkAccount(email, name, role, password)
	if err != nil {
		return User{}, err
	}
	if len(errs) > 0 {
		return User{}, errs
	}
	return s.insertUser(ctx, User{ID: uuid.NewString(), Email: email, Name: strings.TrimSpace(name), Role: role, PasswordHash: h, CreatedAt: s.Now()}, first)
}

// checkAccount is an account's email as kept, its password's hash, and
// every mistake in its details.
func checkAccount(email, name, role, password string) (string, string, ValidationErrors, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var errs ValidationErrors
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 200 {
		errs = append(errs, ValidationError{Field: "email", Msg: "Enter an email address such as name@example.org (at most 200 characters)"})
	}
	errs = append(errs, required(strings.TrimSpace(name), "name", "Enter the person's name", 200)...)
	if role != RoleDirector && role != RoleCoach {
		errs = append(errs, ValidationError{Field: "role", Msg: "Choose director or coach"})
	}
	h, err := hashPassword(password)
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return "", "", nil, err
		}
		errs = append(errs, *ve)
	}
	return email, h, errs, nil
}

// insertUser stores a checked account; first refuses it once any exists.
func (s *Store) insertUser(ctx context.Context, u User, first bool) (User, error) {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if first {
			var n int64
			if err := tx.Model(&User{}).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return ErrSetUp
			}
		}
		return tx.Create(&u).Error
	})
	if err != nil {
		if dbx.IsUniqueViolation(err) {
			return User{}, &ValidationError{Field: "email", Msg: "An account with this email exists: use another email, or change that account"}
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

// Login checks a password (auth.SignIn: auth.MaxFailures failures in a
// row lock the account for auth.LockoutPeriod) and opens a session.
func (s *Store) Login(ctx context.Context, email, password string) (User, string, error) {
	a, err := auth.SignIn(ctx, auth.EmailAccounts{DB: s.DB, Table: "users"}, email, password, s.Now())
	if errors.Is(err, auth.ErrBadLogin) {
		return User{}, "", ErrBadLogin
	}
	if err != nil {
		return User{}, "", err
	}
	var u User
	if err := s.DB.WithContext(ctx).First(&u, "id = ?", a.ID).Error; err != nil {
		return User{}, "", err
	}
	if u.DisabledAt != nil {
		// A disabled account signs in no more: the same answer as a wrong
		// password.
		return User{}, "", ErrBadLogin
	}
	tok, err := staffSessions.Open(s.DB.WithContext(ctx), u.ID, s.Now(), nil)
	return u, tok, err
}

// staffSessions are the staff's sign-in sessions.
var staffSessions = auth.Sessions{Table: "sessions", Subject: "user_id", Prefix: "imlagent_", TTL: SessionTTL}

// SessionUser finds the user and session of a token. What it found is
// kept until the data version moves (a sign-in, a sign-out, an account
// disabled or given a new password all move it) and for the minute at
// most, and an expired session is never answered from what was kept.
func (s *Store) SessionUser(ctx context.Context, token string) (User, Session, error) {
	type kept struct {
		u    User
		sess Session
	}
	// The minute bounds how long a change by another process (the
	// command line) goes unseen.
	v, key := s.Version(), "session|"+secret.Hash(token)+"|"+s.Now().UTC().Format("2006-01-02T15:04")
	if x, ok := s.figures.get(v, key); ok && x.(kept).sess.ExpiresAt.After(s.Now()) {
		return x.(kept).u, x.(kept).sess, nil
	}
	u, sess, err := s.sessionUser(ctx, token)
	if err == nil {
		s.figures.put(v, key, kept{u, sess})
	}
	return u, sess, err
}

func (s *Store) sessionUser(ctx context.Context, token string) (User, Session, error) {
	var u User
	sess, err := auth.FindSession[Session](ctx, s.DB, staffSessions, token, s.Now())
	if errors.Is(err, auth.ErrNoSession) {
		return u, sess, ErrNotFound
	}
	if err != nil {
		return u, sess, err
	}
	err = s.DB.WithContext(ctx).First(&u, "id = ? AND disabled_at IS NULL", sess.UserID).Error
	return u, sess, notFound(err)
}

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, token string) error {
	return staffSessions.End(ctx, s.DB, token)
}
