package staff_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/auth/authtest"
)

func TestRoleAssignments(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		org, _ := affiliates.New(s).AddOrganization(ctx, "Riverside", "peer_run", "VA")
		other, _ := affiliates.New(s).AddOrganization(ctx, "Hilltop", "peer_run", "VA")
		u, err := staff.New(s).AddUser(ctx, "sam@example.org", "Sam", store.RoleTrainer, "", pw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := staff.New(s).Assign(ctx, "admin@example.org", u.ID, store.RoleDirector, org.ID); err != nil {
			t.Fatal(err)
		}
		u, _ = staff.New(s).FindUser(ctx, u.ID)
		if u.Role != store.RoleTrainer || u.RoleNames() != "trainer,director:"+org.ID {
			t.Fatalf("roles %q acting as %q", u.RoleNames(), u.Role)
		}
		if acting, ok := u.ActAs(store.RoleAnalyst, store.RoleDirector); !ok || acting.Role != store.RoleDirector || acting.OrgID != org.ID {
			t.Fatalf("ActAs(analyst, director) = %q %q %v", acting.Role, acting.OrgID, ok)
		}
		if _, ok := u.ActAs(store.RoleAdmin); ok {
			t.Fatal("a trainer and director acts as admin")
		}
		refusals := []struct {
			name, role, org, field string
		}{
			{"unknown role", "superuser", "", "role"},
			{"director without organization", store.RoleDirector, "", "org_id"},
			{"organization for an analyst", store.RoleAnalyst, org.ID, "org_id"},
			{"director of an unknown organization", store.RoleDirector, "00000000-0000-0000-0000-000000000009", "org_id"},
			{"second organization", store.RoleDirector, other.ID, "role"},
			{"same role twice", store.RoleTrainer, "", "role"},
		}
		before, _ := staff.New(s).Assignments(ctx, u.ID)
		for _, tc := range refusals {
			_, err := staff.New(s).Assign(ctx, "x", u.ID, tc.role, tc.org)
			var ve *store.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("%s: %v, want a validation error on %s", tc.name, err, tc.field)
			}
		}
		if _, err := staff.New(s).Assign(ctx, "x", "00000000-0000-0000-0000-000000000009", store.RoleAnalyst, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("assigning to an unknown user: %v", err)
		}
		after, _ := staff.New(s).Assignments(ctx, u.ID)
		if len(after) != len(before) {
			t.Fatalf("refused assignments changed the user's: %d then %d", len(before), len(after))
		}
		for _, a := range after {
			if a.Role == store.RoleTrainer {
				if _, err := staff.New(s).Unassign(ctx, u.ID, a.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := staff.New(s).Unassign(ctx, u.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("removing twice: %v", err)
				}
			}
		}
		u, _ = staff.New(s).FindUser(ctx, u.ID)
		if u.RoleNames() != "director:"+org.ID || u.OrgID != org.ID {
			t.Fatalf("after removing trainer: %q", u.RoleNames())
		}
	})
}

// A user directs one organization, even when two organizations are given
// to them at the same moment: of several assignments at once, one is made.
func TestDirectorAssignmentsAtOnce(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		var orgs []string
		for _, name := range []string{"Riverside", "Hilltop", "Lakeside", "Northgate"} {
			o, err := affiliates.New(s).AddOrganization(ctx, name, "peer_run", "VA")
			if err != nil {
				t.Fatal(err)
			}
			orgs = append(orgs, o.ID)
		}
		for round := range 3 {
			u, err := staff.New(s).AddUser(ctx, fmt.Sprintf("pd%d@example.org", round), "PD", store.RoleTrainer, "", pw)
			if err != nil {
				t.Fatal(err)
			}
			errs := make(chan error, len(orgs))
			start := make(chan struct{})
			var wg sync.WaitGroup
			for _, org := range orgs {
				wg.Go(func() {
					<-start
					_, err := staff.New(s).Assign(ctx, "admin@example.org", u.ID, store.RoleDirector, org)
					errs <- err
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			made := 0
			for err := range errs {
				var ve *store.ValidationError
				switch {
				case err == nil:
					made++
				case !errors.As(err, &ve) || ve.Field != "role":
					t.Errorf("an assignment: %v", err)
				}
			}
			if u, _ = staff.New(s).FindUser(ctx, u.ID); made != 1 || strings.Count(u.RoleNames(), "director:") != 1 {
				t.Fatalf("round %d: %d director assignments made at once, roles %q", round, made, u.RoleNames())
			}
		}
	})
}

// The hub locks a local account after MaxFailures wrong passwords in a row,
// as the agent does; the right password does not open it before the period
// ends, and does after.
func TestLoginLockout(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		now := time.Now().UTC()
		s.Now = func() time.Time { return now }
		if _, err := staff.New(s).AddUser(ctx, "lee@example.org", "Lee", store.RoleAnalyst, "", pw); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < auth.MaxFailures-1; i++ {
			if _, _, err := staff.New(s).Login(ctx, "lee@example.org", "wrong password!"); !errors.Is(err, staff.ErrBadLogin) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		// A success resets the count.
		if _, _, err := staff.New(s).Login(ctx, "lee@example.org", pw); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < auth.MaxFailures; i++ {
			_, _, _ = staff.New(s).Login(ctx, "lee@example.org", "wrong password!")
		}
		if _, _, err := staff.New(s).Login(ctx, "lee@example.org", pw); !errors.Is(err, staff.ErrLocked) {
			t.Fatalf("right password on a locked account: %v", err)
		}
		now = now.Add(auth.LockoutPeriod + time.Second)
		if _, tok, err := staff.New(s).Login(ctx, "lee@example.org", pw); err != nil || tok == "" {
			t.Fatalf("after the lock-out period: %v", err)
		}
		// An account without a password (provider only) never signs in locally.
		if _, err := staff.New(s).AddUser(ctx, "sso@example.org", "SSO", store.RoleAnalyst, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := staff.New(s).Login(ctx, "sso@example.org", ""); !errors.Is(err, staff.ErrBadLogin) {
			t.Fatalf("empty password on a provider-only account: %v", err)
		}
	})
}

// Forty wrong passwords at once against one account: exactly
// auth.MaxFailures are checked, the rest are refused as locked, and so is
// the right password after them (the count is kept in the database, one
// atomic statement per attempt, before the password is checked).
func TestLoginLockoutParallel(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		if _, err := staff.New(s).AddUser(ctx, "lee@example.org", "Lee", store.RoleAnalyst, "", pw); err != nil {
			t.Fatal(err)
		}
		wait := authtest.Burst(40, func() error {
			_, _, err := staff.New(s).Login(ctx, "lee@example.org", "wrong password!")
			return err
		})
		authtest.CheckLockout(t, wait(), staff.ErrBadLogin)
		if _, tok, err := staff.New(s).Login(ctx, "lee@example.org", pw); !errors.Is(err, staff.ErrLocked) || tok != "" {
			t.Fatalf("the right password after the burst: %v", err)
		}
		u, err := staff.New(s).FindUser(ctx, "lee@example.org")
		if err != nil || u.LockedUntil == nil || !u.LockedUntil.After(s.Now()) {
			t.Fatalf("the account after the burst: locked until %v, %v", u.LockedUntil, err)
		}
	})
}

func TestOIDCSignIn(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		iss := "https://login.example.org"
		// No role anywhere: refused, but the account is kept for an admin.
		u, tok, err := staff.New(s).OIDCSignIn(ctx, staff.Identity{Issuer: iss, Subject: "s1", Email: "new@example.org", EmailVerified: true, Name: "New"})
		if !errors.Is(err, staff.ErrNoRole) || tok != "" || u.ID == "" {
			t.Fatalf("no role: %v, token %q", err, tok)
		}
		if _, err := staff.New(s).Assign(ctx, "x", u.ID, store.RoleTA, ""); err != nil {
			t.Fatal(err)
		}
		u2, tok, err := staff.New(s).OIDCSignIn(ctx, staff.Identity{Issuer: iss, Subject: "s1", Email: "new@example.org", EmailVerified: true,
			Grants: []store.Grant{{Role: store.RoleAnalyst, Source: "provider"}}})
		if err != nil || u2.ID != u.ID {
			t.Fatalf("second sign-in: %v, user %s then %s", err, u.ID, u2.ID)
		}
		su, sess, err := staff.New(s).SessionUser(ctx, tok)
		if err != nil || sess.Method != "oidc" || su.RoleNames() != "analyst,ta" {
			t.Fatalf("session: roles %q method %q %v", su.RoleNames(), sess.Method, err)
		}
		// A pre-made account is linked by verified email, not by an
		// unverified one.
		pre, _ := staff.New(s).AddUser(ctx, "pd@example.org", "PD", store.RoleAdmin, "", "")
		if _, _, err := staff.New(s).OIDCSignIn(ctx, staff.Identity{Issuer: iss, Subject: "s2", Email: "pd@example.org", EmailVerified: false}); !errors.Is(err, staff.ErrNoRole) {
			t.Fatalf("unverified email took over a pre-made account: %v", err)
		}
		linked, _, err := staff.New(s).OIDCSignIn(ctx, staff.Identity{Issuer: iss, Subject: "s3", Email: "PD@example.org", EmailVerified: true})
		if err != nil || linked.ID != pre.ID || linked.Role != store.RoleAdmin {
			t.Fatalf("verified email: %v, linked %s want %s", err, linked.ID, pre.ID)
		}
		// Another subject with the same verified email cannot take it again.
		third, _, _ := staff.New(s).OIDCSignIn(ctx, staff.Identity{Issuer: iss, Subject: "s4", Email: "pd@example.org", EmailVerified: true})
		if third.ID == pre.ID || !strings.HasSuffix(third.Email, "@oidc.invalid") {
			t.Fatalf("a second subject got the linked account (%s, %s)", third.ID, third.Email)
		}
	})
}

func TestOIDCFlowWorksOnce(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		state, f, err := staff.New(s).StartFlow(ctx, "/outcomes/pom")
		if err != nil || len(f.Verifier) < 43 || len(f.Verifier) > 128 || f.Nonce == "" {
			t.Fatalf("flow %+v, %v", f, err)
		}
		got, err := staff.New(s).TakeFlow(ctx, state)
		if err != nil || got.Nonce != f.Nonce || got.Next != "/outcomes/pom" {
			t.Fatalf("take: %+v, %v", got, err)
		}
		if _, err := staff.New(s).TakeFlow(ctx, state); !errors.Is(err, staff.ErrFlowInvalid) {
			t.Fatalf("second take: %v", err)
		}
		now := time.Now().UTC()
		s.Now = func() time.Time { return now }
		state, _, _ = staff.New(s).StartFlow(ctx, "/")
		now = now.Add(staff.FlowTTL)
		if _, err := staff.New(s).TakeFlow(ctx, state); !errors.Is(err, staff.ErrFlowInvalid) {
			t.Fatalf("expired flow: %v", err)
		}
	})
}

func TestAuditSearch(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		entries := []store.AuditEntry{
			{At: day, ActorID: "a1", ActorEmail: "ana@example.org", ActorKind: "staff", Method: "POST", Route: "/api/v1/users/:id/roles", Status: 201},
			{At: day.Add(24 * time.Hour), ActorID: "b2", ActorEmail: "bo@example.org", ActorKind: "staff", Method: "GET", Route: "/api/v1/outcomes/pom", Status: 200},
			{At: day.Add(48 * time.Hour), ActorID: "a1", ActorEmail: "ana@example.org", ActorKind: "staff", Method: "GET", Route: "/outcomes/pom", Status: 403},
			{At: day.Add(48 * time.Hour), ActorID: "c3", ActorEmail: "c_3%@example.org", ActorKind: "staff", Method: "DELETE", Route: "/api/v1/users/:id/roles/:assignment", Status: 204},
		}
		for _, e := range entries {
			if err := s.AddAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name string
			f    staff.AuditFilter
			want []string
		}{
			{"all", staff.AuditFilter{}, []string{"c3", "a1", "b2", "a1"}},
			{"actor by email part", staff.AuditFilter{Actor: "ANA@"}, []string{"a1", "a1"}},
			{"actor by id", staff.AuditFilter{Actor: "b2"}, []string{"b2"}},
			{"like wildcards are literal", staff.AuditFilter{Actor: "_3%"}, []string{"c3"}},
			{"wildcard matches nothing else", staff.AuditFilter{Actor: "%"}, []string{"c3"}},
			{"action", staff.AuditFilter{Action: "GET /api/v1/outcomes"}, []string{"b2"}},
			{"date range", staff.AuditFilter{From: day.Add(24 * time.Hour).Truncate(24 * time.Hour), To: day.Add(48 * time.Hour).Truncate(24 * time.Hour)}, []string{"b2"}},
		}
		for _, tc := range cases {
			es, err := staff.New(s).Audit(ctx, tc.f, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.ActorID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		n := 0
		if err := staff.New(s).EachAudit(ctx, staff.AuditFilter{Actor: "ana"}, func(store.AuditEntry) error { n++; return nil }); err != nil || n != 2 {
			t.Fatalf("EachAudit: %d, %v", n, err)
		}
	})
}

func TestPruneExpired(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		now := time.Now().UTC()
		s.Now = func() time.Time { return now }
		if _, err := staff.New(s).AddUser(ctx, "kim@example.org", "Kim", store.RoleAnalyst, "", pw); err != nil {
			t.Fatal(err)
		}
		_, old, _ := staff.New(s).Login(ctx, "kim@example.org", pw)
		if _, _, err := staff.New(s).StartFlow(ctx, "/"); err != nil {
			t.Fatal(err)
		}
		now = now.Add(store.SessionTTL - time.Minute)
		_, fresh, _ := staff.New(s).Login(ctx, "kim@example.org", pw)
		now = now.Add(2 * time.Minute)
		n, err := staff.New(s).PruneExpired(ctx)
		if err != nil || n != 2 {
			t.Fatalf("pruned %d, %v; want the old session and the flow", n, err)
		}
		if _, _, err := staff.New(s).SessionUser(ctx, fresh); err != nil {
			t.Fatalf("the fresh session went: %v", err)
		}
		var left int64
		s.DB.Model(&store.Session{}).Count(&left)
		if left != 1 || old == fresh {
			t.Fatalf("%d sessions left", left)
		}
	})
}

const pw = "correct horse battery staple"
