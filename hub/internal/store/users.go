package store

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/dbx"
)

// Staff roles.
const (
	RoleAdmin    = "admin"
	RoleTrainer  = "trainer"
	RoleTA       = "ta"
	RoleAnalyst  = "analyst"
	RoleDirector = "director"
)

// Roles lists the staff roles, widest first: a user holding several acts
// under the first of them that a route allows.
var Roles = []string{RoleAdmin, RoleAnalyst, RoleTA, RoleTrainer, RoleDirector}

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

// SessionTTL is how long a session lasts. The lock-out after failed
// sign-ins is auth's (auth.MaxFailures, auth.LockoutPeriod).
const SessionTTL = 12 * time.Hour

// Grant is one role a user holds; OrgID is set for a Program Director.
// Source is "hub" (an assignment) or "provider" (the groups claim).
type Grant struct {
	Role   string `json:"role"`
	OrgID  string `json:"org_id,omitempty"`
	Source string `json:"source"`
}

func (g Grant) key() string {
	if g.Role == RoleDirector {
		return g.Role + ":" + g.OrgID
	}
	return g.Role
}

// EncodeGrants writes grants as a session keeps them.
func EncodeGrants(gs []Grant) string {
	var keys []string
	for _, g := range gs {
		keys = append(keys, g.key())
	}
	return strings.Join(keys, ",")
}

func decodeGrants(s, source string) []Grant {
	var out []Grant
	for _, k := range strings.Split(s, ",") {
		if k == "" {
			continue
		}
		role, org, _ := strings.Cut(k, ":")
		out = append(out, Grant{Role: role, OrgID: org, Source: source})
	}
	return out
}

// withGrants fills the user's grants (the union of hub assignments and
// provider grants, without repeats) and the role they act under by default:
// the widest.
func withGrants(u User, assigned []RoleAssignment, provider []Grant) User {
	seen := map[string]bool{}
	u.Grants = nil
	add := func(g Grant) {
		if !seen[g.key()] {
			seen[g.key()] = true
			u.Grants = append(u.Grants, g)
		}
	}
	for _, a := range assigned {
		add(Grant{Role: a.Role, OrgID: a.OrgID, Source: "hub"})
	}
	for _, g := range provider {
		add(g)
	}
	slices.SortStableFunc(u.Grants, func(a, b Grant) int { return slices.Index(Roles, a.Role) - slices.Index(Roles, b.Role) })
	u.Role, u.OrgID = "", ""
	if len(u.Grants) > 0 {
		u.Role, u.OrgID = u.Grants[0].Role, u.Grants[0].OrgID
	}
	return u
}

// ActAs returns the user acting under the widest of their grants whose role
// is among roles, and false when they hold none of them.
func (u User) ActAs(roles ...string) (User, bool) {
	for _, g := range u.Grants {
		if slices.Contains(roles, g.Role) {
			u.Role, u.OrgID = g.Role, g.OrgID
			return u, true
		}
	}
	return u, false
}

// RoleNames lists the user's grants for display and the audit log
// ("admin", "director:<org id>").
func (u User) RoleNames() string { return EncodeGrants(u.Grants) }

// Local reports whether the account can sign in with a password.
func (u User) Local() bool { return u.PasswordHash != "" }

// validEmail checks an email address (at most 200 characters) and
// returns it lowercased.
func validEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 200 {
		return "", &ValidationError{Field: "email", Msg: "must be an email address"}
	}
	return email, nil
}

// AddUser creates a staff account holding one role (orgID for a Program
// Director). With a password it is a local account; with "" it can only
// sign in through the OpenID Connect provider, which links it by its
// verified email at the first sign-in.
func (s *Store) AddUser(ctx context.Context, email, name, role, orgID, password string) (User, error) {
	email, err := validEmail(email)
	if err != nil {
		return User{}, err
	}
	if strings.TrimSpace(name) == "" {
		return User{}, &ValidationError{Field: "name", Msg: "is required"}
	}
	h := ""
	if password != "" {
		if h, err = auth.HashPassword(password); err != nil {
			return User{}, &ValidationError{Field: "password", Msg: err.Error()}
		}
	}
	u := User{ID: uuid.NewString(), Email: email, Name: strings.TrimSpace(name), PasswordHash: h, CreatedAt: s.Now()}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&u).Error; err != nil {
			if dbx.IsUniqueViolation(err) {
				return &ValidationError{Field: "email", Msg: "an account with this email exists"}
			}
			return err
		}
		_, err := s.assign(tx, "cli", u.ID, role, orgID)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return s.loadGrants(ctx, u, nil)
}

// Assign gives a user a role at the hub; orgID names the organization of a
// Program Director and must be empty for the other roles. A user directs
// at most one organization. by names who assigned it (kept with the row).
func (s *Store) Assign(ctx context.Context, by, userID, role, orgID string) (RoleAssignment, error) {
	var a RoleAssignment
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		a, err = s.assign(tx, by, userID, role, orgID)
		return err
	})
	return a, err
}

func (s *Store) assign(tx *gorm.DB, by, userID, role, orgID string) (RoleAssignment, error) {
	if !slices.Contains(Roles, role) {
		return RoleAssignment{}, &ValidationError{Field: "role", Msg: "must be one of " + strings.Join(Roles, ", ")}
	}
	orgID = strings.TrimSpace(orgID)
	switch {
	case role == RoleDirector && orgID == "":
		return RoleAssignment{}, &ValidationError{Field: "org_id", Msg: "a Program Director belongs to an organization"}
	case role != RoleDirector && orgID != "":
		return RoleAssignment{}, &ValidationError{Field: "org_id", Msg: "only a Program Director is tied to an organization"}
	}
	// The user's row stays locked until the transaction ends, so two
	// assignments to one user at the same moment are made one after the
	// other: the second sees the first (a user directs one organization).
	var u User
	if err := lockFirst(tx, &u, "id = ?", userID); err != nil {
		return RoleAssignment{}, notFound(err)
	}
	var n int64
	if role == RoleDirector {
		if err := tx.Model(&Organization{}).Where("id = ?", orgID).Count(&n).Error; err != nil {
			return RoleAssignment{}, err
		}
		if n == 0 {
			return RoleAssignment{}, &ValidationError{Field: "org_id", Msg: "is not an organization id"}
		}
		if err := tx.Model(&RoleAssignment{}).Where("user_id = ? AND role = ?", userID, RoleDirector).Count(&n).Error; err != nil {
			return RoleAssignment{}, err
		}
		if n > 0 {
			return RoleAssignment{}, &ValidationError{Field: "role", Msg: "this user already directs an organization; remove that assignment first"}
		}
	}
	a := RoleAssignment{ID: uuid.NewString(), UserID: userID, Role: role, OrgID: orgID, CreatedBy: by, CreatedAt: s.Now()}
	if err := tx.Create(&a).Error; err != nil {
		if dbx.IsUniqueViolation(err) {
			return RoleAssignment{}, &ValidationError{Field: "role", Msg: "the user already holds this role"}
		}
		return RoleAssignment{}, err
	}
	return a, nil
}

// Unassign removes one of a user's role assignments. Sessions the user has
// open lose the role at their next request.
func (s *Store) Unassign(ctx context.Context, userID, assignmentID string) (RoleAssignment, error) {
	var a RoleAssignment
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&a, "id = ? AND user_id = ?", assignmentID, userID).Error; err != nil {
			return notFound(err)
		}
		return tx.Delete(&RoleAssignment{}, "id = ?", a.ID).Error
	})
	return a, err
}

// Assignments lists a user's role assignments.
func (s *Store) Assignments(ctx context.Context, userID string) ([]RoleAssignment, error) {
	var as []RoleAssignment
	err := s.DB.WithContext(ctx).Where("user_id = ?", userID).Order("role, org_id").Find(&as).Error
	return as, err
}

// Users lists the staff accounts by email with their hub assignments as
// grants.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var us []User
	if err := s.DB.WithContext(ctx).Order("email").Find(&us).Error; err != nil {
		return nil, err
	}
	var as []RoleAssignment
	if err := s.DB.WithContext(ctx).Order("role, org_id").Find(&as).Error; err != nil {
		return nil, err
	}
	by := map[string][]RoleAssignment{}
	for _, a := range as {
		by[a.UserID] = append(by[a.UserID], a)
	}
	for i := range us {
		us[i] = withGrants(us[i], by[us[i].ID], nil)
	}
	return us, nil
}

// FindUser finds an account by id or email, with its hub assignments.
func (s *Store) FindUser(ctx context.Context, ref string) (User, error) {
	var u User
	ref = strings.TrimSpace(ref)
	q := s.DB.WithContext(ctx)
	var err error
	if _, perr := uuid.Parse(ref); perr == nil {
		err = q.First(&u, "id = ?", ref).Error
	} else {
		err = q.First(&u, "email = ?", strings.ToLower(ref)).Error
	}
	if err != nil {
		return User{}, notFound(err)
	}
	return s.loadGrants(ctx, u, nil)
}

func (s *Store) loadGrants(ctx context.Context, u User, provider []Grant) (User, error) {
	as, err := s.Assignments(ctx, u.ID)
	if err != nil {
		return User{}, err
	}
	return withGrants(u, as, provider), nil
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// Login checks a password (auth.SignIn: auth.MaxFailures failures in a
// row lock the account for auth.LockoutPeriod) and opens a session. It
// returns the session token.
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
	u, err = s.loadGrants(ctx, u, nil)
	if err != nil {
		return User{}, "", err
	}
	tok, err := s.openSession(ctx, u.ID, "local", nil)
	return u, tok, err
}

func (s *Store) openSession(ctx context.Context, userID, method string, provider []Grant) (string, error) {
	now := s.Now()
	var tok string
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"failed_logins": 0, "locked_until": nil, "last_login_at": now}).Error; err != nil {
			return err
		}
		var err error
		tok, err = staffSessions.Open(tx, userID, now, map[string]any{"roles": EncodeGrants(provider), "method": method})
		return err
	})
	return tok, err
}

// staffSessions are the staff's sign-in sessions, by password or through
// the identity provider.
var staffSessions = auth.Sessions{Table: "sessions", Subject: "user_id", Prefix: "imlhub_", TTL: SessionTTL}

// SessionUser finds the user and session of a session token. The user's
// grants are their current hub assignments plus the provider's grants
// recorded on the session.
func (s *Store) SessionUser(ctx context.Context, token string) (User, Session, error) {
	var u User
	sess, err := auth.FindSession[Session](ctx, s.DB, staffSessions, token, s.Now())
	if errors.Is(err, auth.ErrNoSession) {
		return u, sess, ErrNotFound
	}
	if err != nil {
		return u, sess, err
	}
	if err := s.DB.WithContext(ctx).First(&u, "id = ?", sess.UserID).Error; err != nil {
		return u, sess, notFound(err)
	}
	u, err = s.loadGrants(ctx, u, decodeGrants(sess.Roles, "provider"))
	return u, sess, err
}

// Logout ends a session.
func (s *Store) Logout(ctx context.Context, token string) error {
	return staffSessions.End(ctx, s.DB, token)
}
