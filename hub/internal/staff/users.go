package staff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/dbx"
)

// Sign-in errors.
var (
	// ErrBadLogin is the one answer to a wrong email or password; it is
	// auth.ErrBadLogin.
	ErrBadLogin = fmt.Errorf("email or password is wrong: %w", auth.ErrBadLogin)
	// ErrLocked answers a sign-in to an account locked after failures (an
	// *auth.LockedError, which says until when).
	ErrLocked = auth.ErrLocked
	// ErrNoRole refuses a sign-in through the provider of someone who holds
	// no hub role.
	ErrNoRole = errors.New("the account holds no hub role")
)

// AddUser creates a staff account holding one role (orgID for a Program
// Director). With a password it is a local account; with "" it can only
// sign in through the OpenID Connect provider, which links it by its
// verified email at the first sign-in.
func (s *Store) AddUser(ctx context.Context, email, name, role, orgID, password string) (store.User, error) {
	email, err := store.ValidEmail(email)
	if err != nil {
		return store.User{}, err
	}
	if strings.TrimSpace(name) == "" {
		return store.User{}, &store.ValidationError{Field: "name", Msg: "Enter a name"}
	}
	h := ""
	if password != "" {
		if h, err = auth.HashPassword(password); err != nil {
			return store.User{}, &store.ValidationError{Field: "password", Msg: err.Error()}
		}
	}
	u := store.User{ID: uuid.NewString(), Email: email, Name: strings.TrimSpace(name), PasswordHash: h, CreatedAt: s.Now()}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&u).Error; err != nil {
			if dbx.IsUniqueViolation(err) {
				return &store.ValidationError{Field: "email", Msg: "Use another email: an account with this one exists"}
			}
			return err
		}
		_, err := s.assign(tx, "cli", u.ID, role, orgID)
		return err
	})
	if err != nil {
		return store.User{}, err
	}
	return s.loadGrants(ctx, u, nil)
}

// Assign gives a user a role at the hub; orgID names the organization of a
// Program Director and must be empty for the other roles. A user directs
// at most one organization. by names who assigned it (kept with the row).
func (s *Store) Assign(ctx context.Context, by, userID, role, orgID string) (store.RoleAssignment, error) {
	var a store.RoleAssignment
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		a, err = s.assign(tx, by, userID, role, orgID)
		return err
	})
	return a, err
}

func (s *Store) assign(tx *gorm.DB, by, userID, role, orgID string) (store.RoleAssignment, error) {
	if !slices.Contains(store.Roles, role) {
		return store.RoleAssignment{}, &store.ValidationError{Field: "role", Msg: "Choose one of " + strings.Join(store.Roles, ", ")}
	}
	orgID = strings.TrimSpace(orgID)
	switch {
	case role == store.RoleDirector && orgID == "":
		return store.RoleAssignment{}, &store.ValidationError{Field: "org_id", Msg: "Choose the organization the Program Director belongs to"}
	case role != store.RoleDirector && orgID != "":
		return store.RoleAssignment{}, &store.ValidationError{Field: "org_id", Msg: "Choose no organization: only a Program Director is tied to one"}
	}
	// The user's row stays locked until the transaction ends, so two
	// assignments to one user at the same moment are made one after the
	// other: the second sees the first (a user directs one organization).
	var u store.User
	if err := store.LockFirst(tx, &u, "id = ?", userID); err != nil {
		return store.RoleAssignment{}, store.NotFound(err)
	}
	var n int64
	if role == store.RoleDirector {
		if err := tx.Model(&store.Organization{}).Where("id = ?", orgID).Count(&n).Error; err != nil {
			return store.RoleAssignment{}, err
		}
		if n == 0 {
			return store.RoleAssignment{}, &store.ValidationError{Field: "org_id", Msg: "Choose an organization from the list"}
		}
		if err := tx.Model(&store.RoleAssignment{}).Where("user_id = ? AND role = ?", userID, store.RoleDirector).Count(&n).Error; err != nil {
			return store.RoleAssignment{}, err
		}
		if n > 0 {
			return store.RoleAssignment{}, &store.ValidationError{Field: "role", Msg: "Remove the Program Director role this person holds first: they already direct an organization"}
		}
	}
	a := store.RoleAssignment{ID: uuid.NewString(), UserID: userID, Role: role, OrgID: orgID, CreatedBy: by, CreatedAt: s.Now()}
	if err := tx.Create(&a).Error; err != nil {
		if dbx.IsUniqueViolation(err) {
			return store.RoleAssignment{}, &store.ValidationError{Field: "role", Msg: "Choose another role: the user already holds this one"}
		}
		return store.RoleAssignment{}, err
	}
	return a, nil
}

// Unassign removes one of a user's role assignments. Sessions the user has
// open lose the role at their next request.
func (s *Store) Unassign(ctx context.Context, userID, assignmentID string) (store.RoleAssignment, error) {
	var a store.RoleAssignment
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&a, "id = ? AND user_id = ?", assignmentID, userID).Error; err != nil {
			return store.NotFound(err)
		}
		return tx.Delete(&store.RoleAssignment{}, "id = ?", a.ID).Error
	})
	return a, err
}

// Assignments lists a user's role assignments.
func (s *Store) Assignments(ctx context.Context, userID string) ([]store.RoleAssignment, error) {
	var as []store.RoleAssignment
	err := s.DB.WithContext(ctx).Where("user_id = ?", userID).Order("role, org_id").Find(&as).Error
	return as, err
}

// Users lists the staff accounts by email with their hub assignments as
// grants.
func (s *Store) Users(ctx context.Context) ([]store.User, error) {
	var us []store.User
	if err := s.DB.WithContext(ctx).Order("email").Find(&us).Error; err != nil {
		return nil, err
	}
	var as []store.RoleAssignment
	if err := s.DB.WithContext(ctx).Order("role, org_id").Find(&as).Error; err != nil {
		return nil, err
	}
	by := map[string][]store.RoleAssignment{}
	for _, a := range as {
		by[a.UserID] = append(by[a.UserID], a)
	}
	for i := range us {
		us[i] = store.WithGrants(us[i], by[us[i].ID], nil)
	}
	return us, nil
}

// FindUser finds an account by id or email, with its hub assignments.
func (s *Store) FindUser(ctx context.Context, ref string) (store.User, error) {
	var u store.User
	ref = strings.TrimSpace(ref)
	q := s.DB.WithContext(ctx)
	var err error
	if _, perr := uuid.Parse(ref); perr == nil {
		err = q.First(&u, "id = ?", ref).Error
	} else {
		err = q.First(&u, "email = ?", strings.ToLower(ref)).Error
	}
	if err != nil {
		return store.User{}, store.NotFound(err)
	}
	return s.loadGrants(ctx, u, nil)
}

func (s *Store) loadGrants(ctx context.Context, u store.User, provider []store.Grant) (store.User, error) {
	as, err := s.Assignments(ctx, u.ID)
	if err != nil {
		return store.User{}, err
	}
	return store.WithGrants(u, as, provider), nil
}

// Login checks a password (auth.SignIn: auth.MaxFailures failures in a
// row lock the account for auth.LockoutPeriod) and opens a session. It
// returns the session token.
func (s *Store) Login(ctx context.Context, email, password string) (store.User, string, error) {
	a, err := auth.SignIn(ctx, auth.EmailAccounts{DB: s.DB, Table: "users"}, email, password, s.Now())
	if errors.Is(err, auth.ErrBadLogin) {
		return store.User{}, "", ErrBadLogin
	}
	if err != nil {
		return store.User{}, "", err
	}
	var u store.User
	if err := s.DB.WithContext(ctx).First(&u, "id = ?", a.ID).Error; err != nil {
		return store.User{}, "", err
	}
	u, err = s.loadGrants(ctx, u, nil)
	if err != nil {
		return store.User{}, "", err
	}
	tok, err := s.openSession(ctx, u.ID, "local", nil)
	return u, tok, err
}

func (s *Store) openSession(ctx context.Context, userID, method string, provider []store.Grant) (string, error) {
	now := s.Now()
	var tok string
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&store.User{}).Where("id = ?", userID).Updates(map[string]any{"failed_logins": 0, "locked_until": nil, "last_login_at": now}).Error; err != nil {
			return err
		}
		var err error
		tok, err = staffSessions.Open(tx, userID, now, map[string]any{"roles": store.EncodeGrants(provider), "method": method})
		return err
	})
	return tok, err
}

// staffSessions are the staff's sign-in sessions, by password or through
// the identity provider.
var staffSessions = auth.Sessions{Table: "sessions", Subject: "user_id", Prefix: "imlhub_", TTL: store.SessionTTL}

// SessionUser finds the user and session of a session token. The user's
// grants are their current hub assignments plus the provider's grants
// recorded on the session.
func (s *Store) SessionUser(ctx context.Context, token string) (store.User, store.Session, error) {
	var u store.User
	sess, err := auth.FindSession[store.Session](ctx, s.DB, staffSessions, token, s.Now())
	if errors.Is(err, auth.ErrNoSession) {
		return u, sess, store.ErrNotFound
	}
	if err != nil {
		return u, sess, err
	}
	if err := s.DB.WithContext(ctx).First(&u, "id = ?", sess.UserID).Error; err != nil {
		return u, sess, store.NotFound(err)
	}
	u, err = s.loadGrants(ctx, u, store.DecodeGrants(sess.Roles, "provider"))
	return u, sess, err
}

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, token string) error {
	return staffSessions.End(ctx, s.DB, token)
}
