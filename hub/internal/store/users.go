package store

import (
	"slices"
	"strings"
	"time"
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

func DecodeGrants(s, source string) []Grant {
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

// WithGrants fills the user's grants (the union of hub assignments and
// provider grants, without repeats) and the role they act under by default:
// the widest.
func WithGrants(u User, assigned []RoleAssignment, provider []Grant) User {
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
