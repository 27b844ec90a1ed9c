package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// Who may call a route.
type access int

const (
	// public: anyone; the answer does not depend on who asks.
	public access = iota
	// siteOnly: the sync API, for an agent's credential; no staff session
	// and nobody anonymous gets in.
	siteOnly
	// staffAPI and staffPage: signed-in staff holding one of the route's
	// roles; the API answers 401 without a session, the pages send to the
	// sign-in page.
	staffAPI
	staffPage
)

var (
	everyRole = store.Roles
	adminOnly = []string{store.RoleAdmin}
)

// route is one row of the authorization matrix.
type route struct {
	access access
	roles  []string
	// path is the request path (with query) for a fixture; the row's key
	// is the pattern.
	path func(f *fixture) string
	// body is sent as JSON to the API and as a form to the pages.
	body map[string]string
	// otherOrg, for a route that names an organization or site: the path
	// naming organization A's. A Program Director of organization B must
	// be refused or answered without a trace of A.
	otherOrg func(f *fixture) string
	// freshSession: the request ends the session (sign out).
	freshSession bool
}

func fixed(p string) func(*fixture) string { return func(*fixture) string { return p } }

// matrix classifies every route on the hub. A route registered on the
// engine and missing here fails TestAuthorizationMatrix: whoever adds a
// route says who may call it.
var matrix = map[string]route{
	"GET /static/*filepath":  {access: public, path: fixed("/static/style.css")},
	"HEAD /static/*filepath": {access: public, path: fixed("/static/style.css")},
	"GET /healthz":           {access: public, path: fixed("/healthz")},
	"GET /readyz":            {access: public, path: fixed("/readyz")},
	"GET /login":             {access: public, path: fixed("/login")},
	"POST /login":            {access: public, path: fixed("/login"), body: map[string]string{"email": "nobody@example.org", "password": "not a password!"}},
	"POST /api/v1/auth/login": {access: public, path: fixed("/api/v1/auth/login"),
		body: map[string]string{"email": "nobody@example.org", "password": "not a password!"}},
	"GET /auth/oidc/start":    {access: public, path: fixed("/auth/oidc/start")},
	"GET /auth/oidc/callback": {access: public, path: fixed("/auth/oidc/callback?state=x&code=y")},

	"POST /api/v1/sync/enroll": {access: public, path: fixed(contract.PathEnroll), body: map[string]string{"token": "imlenr_unknown"}},
	"GET /api/v1/sync/status":  {access: siteOnly, path: fixed(contract.PathStatus)},
	"POST /api/v1/sync/push":   {access: siteOnly, path: fixed(contract.PathPush), body: map[string]string{}},
	"GET /api/v1/sync/pull":    {access: siteOnly, path: fixed(contract.PathPull)},

	"GET /api/v1/me": {access: staffAPI, roles: everyRole, path: fixed("/api/v1/me")},
	"GET /api/v1/organizations": {access: staffAPI, roles: everyRole, path: fixed("/api/v1/organizations"),
		otherOrg: fixed("/api/v1/organizations")},
	"GET /api/v1/sites": {access: staffAPI, roles: everyRole, path: fixed("/api/v1/sites"),
		otherOrg: func(f *fixture) string { return "/api/v1/sites?org=" + f.orgA.ID }},
	"GET /api/v1/outcomes/pom": {access: staffAPI, roles: everyRole, path: fixed("/api/v1/outcomes/pom"),
		otherOrg: func(f *fixture) string { return "/api/v1/outcomes/pom?org=" + f.orgA.ID }},
	"GET /api/v1/users":     {access: staffAPI, roles: adminOnly, path: fixed("/api/v1/users")},
	"GET /api/v1/users/:id": {access: staffAPI, roles: adminOnly, path: func(f *fixture) string { return "/api/v1/users/" + f.target.ID }},
	"POST /api/v1/users/:id/roles": {access: staffAPI, roles: adminOnly, path: func(f *fixture) string { return "/api/v1/users/" + f.target.ID + "/roles" },
		body: map[string]string{"role": store.RoleAnalyst}},
	"DELETE /api/v1/users/:id/roles/:assignment": {access: staffAPI, roles: adminOnly,
		path: func(f *fixture) string { return "/api/v1/users/" + f.target.ID + "/roles/" + f.targetRole.ID }},
	"GET /api/v1/audit":        {access: staffAPI, roles: adminOnly, path: fixed("/api/v1/audit?actor=x")},
	"GET /api/v1/audit/export": {access: staffAPI, roles: adminOnly, path: fixed("/api/v1/audit/export")},

	"GET /":             {access: staffPage, roles: everyRole, path: fixed("/"), otherOrg: fixed("/")},
	"POST /logout":      {access: staffPage, roles: everyRole, path: fixed("/logout"), freshSession: true},
	"GET /outcomes/pom": {access: staffPage, roles: everyRole, path: fixed("/outcomes/pom"), otherOrg: func(f *fixture) string { return "/outcomes/pom?org=" + f.orgA.ID }},
	"GET /admin/users":  {access: staffPage, roles: adminOnly, path: fixed("/admin/users")},
	"POST /admin/users/:id/roles": {access: staffPage, roles: adminOnly, path: func(f *fixture) string { return "/admin/users/" + f.target.ID + "/roles" },
		body: map[string]string{"role": store.RoleTA}},
	"POST /admin/users/:id/roles/:assignment/delete": {access: staffPage, roles: adminOnly,
		path: func(f *fixture) string {
			return "/admin/users/" + f.target.ID + "/roles/" + f.targetRole.ID + "/delete"
		}},
	"GET /admin/audit":     {access: staffPage, roles: adminOnly, path: fixed("/admin/audit")},
	"GET /admin/audit.csv": {access: staffPage, roles: adminOnly, path: fixed("/admin/audit.csv")},
}

// caller is one signed-in staff member (or nobody).
type caller struct {
	name        string
	email       string
	token, csrf string
}

type fixture struct {
	orgA, orgB   store.Organization
	siteA, siteB store.Site
	// target is the account admin routes act on; targetRole one of its
	// assignments.
	target     store.User
	targetRole store.RoleAssignment
	callers    map[string]*caller
}

func newFixture(t *testing.T, h *hub) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{callers: map[string]*caller{}}
	var err error
	if f.orgA, err = h.st.AddOrganization(ctx, "Alpha Peer Center", "peer_run", "VA"); err != nil {
		t.Fatal(err)
	}
	if f.orgB, err = h.st.AddOrganization(ctx, "Beta Clubhouse", "nami", "MD"); err != nil {
		t.Fatal(err)
	}
	f.siteA, _ = h.site("Alpha Main Street", &f.orgA)
	f.siteB, _ = h.site("Beta Riverside", &f.orgB)
	if f.target, err = h.st.AddUser(ctx, "target@example.org", "Tar Get", store.RoleTrainer, "", ""); err != nil {
		t.Fatal(err)
	}
	as, _ := h.st.Assignments(ctx, f.target.ID)
	f.targetRole = as[0]
	for _, r := range store.Roles {
		org := ""
		if r == store.RoleDirector {
			org = f.orgB.ID
		}
		f.callers[r] = f.signIn(t, h, r, r+"@example.org", org)
	}
	return f
}

func (f *fixture) signIn(t *testing.T, h *hub, name, email, org string) *caller {
	t.Helper()
	ctx := context.Background()
	if _, err := h.st.FindUser(ctx, email); err != nil {
		role := name
		if org != "" {
			role = store.RoleDirector
		}
		if _, err := h.st.AddUser(ctx, email, name, role, org, pw); err != nil {
			t.Fatal(err)
		}
	}
	_, tok, err := h.st.Login(ctx, email, pw)
	if err != nil {
		t.Fatal(err)
	}
	_, sess, err := h.st.SessionUser(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return &caller{name: name, email: email, token: tok, csrf: sess.CSRF}
}

const pw = "correct horse battery staple"

// call sends the row's request as c (nil: anonymous).
func (h *hub) call(t *testing.T, method string, rt route, path string, c *caller) (*answer, []byte) {
	t.Helper()
	hdr := map[string]string{}
	var body []byte
	if rt.access == siteOnly || strings.HasPrefix(path, "/api/v1/sync/") {
		hdr = syncHeaders("")
	}
	page := rt.access == staffPage || (rt.access == public && !strings.HasPrefix(path, "/api/"))
	if c != nil {
		if page {
			hdr["Cookie"] = "iml_hub_session=" + c.token
		} else {
			hdr["Authorization"] = "Bearer " + c.token
		}
	}
	if rt.body != nil {
		if page {
			form := url.Values{}
			for k, v := range rt.body {
				form.Set(k, v)
			}
			if c != nil {
				form.Set("csrf", c.csrf)
			}
			body = []byte(form.Encode())
			hdr["Content-Type"] = "application/x-www-form-urlencoded"
		} else {
			body = mustJSON(t, rt.body)
			hdr["Content-Type"] = "application/json"
		}
	} else if page && c != nil && method != http.MethodGet && method != http.MethodHead {
		body = []byte(url.Values{"csrf": {c.csrf}}.Encode())
		hdr["Content-Type"] = "application/x-www-form-urlencoded"
	}
	return h.do(t, request{method: method, path: path, header: hdr, body: body})
}

// state counts the rows a refused request must not change.
func (h *hub) state(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tbl := range []string{"users", "role_assignments", "organizations", "sites", "records", "releases", "enrollment_tokens"} {
		var n int64
		if err := h.st.DB.Table(tbl).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

// TestAuthorizationMatrix calls every route registered on the hub as every
// role, as nobody, and (where the route names an organization or site) as
// the Program Director of another organization, and checks who gets in.
func TestAuthorizationMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		h := newHub(t, dsn)
		f := newFixture(t, h)
		engine := h.srv.Config.Handler.(*gin.Engine)
		for _, r := range engine.Routes() {
			key := r.Method + " " + r.Path
			rt, ok := matrix[key]
			if !ok {
				t.Errorf("route %s is not in the authorization matrix (matrix_test.go): classify it", key)
				continue
			}
			t.Run(key, func(t *testing.T) {
				path := rt.path(f)
				sameForAll := -1
				check := func(who string, c *caller) {
					t.Helper()
					if rt.freshSession && c != nil {
						c = f.signIn(t, h, c.name, c.email, "")
					}
					before := h.state(t)
					resp, b := h.call(t, r.Method, rt, path, c)
					refused := resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden ||
						(rt.access == staffPage && resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login?next="))
					allowed := false
					switch rt.access {
					case public:
						if sameForAll == -1 {
							sameForAll = resp.StatusCode
						}
						if resp.StatusCode != sameForAll {
							t.Errorf("%s: public route answered %d, others %d", who, resp.StatusCode, sameForAll)
						}
						return
					case siteOnly:
						if resp.StatusCode != http.StatusUnauthorized {
							t.Errorf("%s: sync route answered %d without a site credential, want 401: %.200s", who, resp.StatusCode, b)
						}
					case staffAPI, staffPage:
						allowed = c != nil && slices.Contains(rt.roles, c.name)
						switch {
						case c == nil && rt.access == staffAPI && resp.StatusCode != http.StatusUnauthorized:
							t.Errorf("anonymous: %d, want 401", resp.StatusCode)
						case c == nil && rt.access == staffPage && (resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=")):
							t.Errorf("anonymous: %d to %q, want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
						case c != nil && allowed && refused:
							t.Errorf("%s: refused with %d, the role is allowed: %.200s", who, resp.StatusCode, b)
						case c != nil && !allowed && resp.StatusCode != http.StatusForbidden:
							t.Errorf("%s: %d, want 403: %.200s", who, resp.StatusCode, b)
						}
					}
					if !allowed {
						if after := h.state(t); !mapsEqual(before, after) {
							t.Errorf("%s: a refused request changed the database: %v then %v", who, before, after)
						}
					}
				}
				check("anonymous", nil)
				for _, role := range store.Roles {
					check(role, f.callers[role])
				}
				if rt.otherOrg == nil {
					return
				}
				// The director of organization B asks for A's.
				c := f.callers[store.RoleDirector]
				resp, b := h.call(t, r.Method, rt, rt.otherOrg(f), c)
				if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound {
					return
				}
				for _, trace := range []string{f.orgA.ID, f.orgA.Name, f.siteA.ID, f.siteA.Name} {
					if strings.Contains(string(b), trace) {
						t.Errorf("director of another organization got %d with %q in it", resp.StatusCode, trace)
					}
				}
				if !strings.Contains(string(b), f.orgB.ID) && !strings.Contains(string(b), f.orgB.Name) && resp.StatusCode == http.StatusOK {
					t.Logf("note: %s shows the director nothing of their own organization", key)
				}
			})
		}
	})
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
