package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// oidcHub is a hub signing staff in through a real OIDC provider running
// in-process (mockoidc).
type oidcHub struct {
	*hub
	op   *mockoidc.MockOIDC
	orgA store.Organization
}

func newOIDCHub(t *testing.T, dsn string) *oidcHub {
	t.Helper()
	op, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = op.Shutdown() })
	// The organization named in the role map exists before the hub starts
	// (hub serve resolves the map at start-up).
	st, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	orgA, err := affiliates.New(st).AddOrganization(context.Background(), "Alpha Peer Center", "peer_run", "VA")
	if err != nil {
		t.Fatal(err)
	}
	m, err := server.ParseRoleMap("admin=iml-admins, analyst=iml-analysts,director:Alpha Peer Center=alpha-directors")
	if err != nil {
		t.Fatal(err)
	}
	if err := server.ResolveRoleMap(context.Background(), st, m); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := op.Config()
	h := newHubWith(t, dsn, func(base string) server.Config {
		return server.Config{OIDC: &server.OIDCConfig{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			RedirectURL: base + "/auth/oidc/callback", Name: "Mock Login", GroupsClaim: "groups", RoleMap: m, Scopes: []string{"groups"}}}
	})
	return &oidcHub{hub: h, op: op, orgA: orgA}
}

// browser is an HTTP client with a cookie jar that stops at each redirect,
// so a test can look at (and tamper with) every step of the flow.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get sends a GET and reads (and closes) the whole answer.
func (b *browser) get(u string) (*answer, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		b.t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	return answerOf(resp), string(body)
}

func (b *browser) cookie(base, name string) string {
	u, _ := url.Parse(base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// tamper changes one step of the flow.
type tamper struct {
	authorize func(q url.Values)    // the request to the provider
	callback  func(q url.Values)    // the provider's answer to the hub
	before    func(b *browser)      // just before the callback
	replay    func(callback string) // after the callback, with its URL
}

// signIn runs the flow from the hub's start to its answer to the callback
// and returns that answer.
func (h *oidcHub) signIn(t *testing.T, b *browser, next string, tm tamper) (*answer, string) {
	t.Helper()
	resp, _ := b.get(h.srv.URL + "/auth/oidc/start?next=" + url.QueryEscape(next))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	auth, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(auth.String(), h.op.AuthorizationEndpoint()) {
		t.Fatalf("start sent to %q, not the provider", resp.Header.Get("Location"))
	}
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Fatalf("authorization request without PKCE S256, nonce or state: %v", q)
	}
	if b.cookie(h.srv.URL+"/auth/oidc/callback", "iml_hub_oidc") != q.Get("state") {
		t.Fatal("the flow cookie does not hold the state")
	}
	if tm.authorize != nil {
		tm.authorize(q)
		auth.RawQuery = q.Encode()
	}
	resp, _ = b.get(auth.String())
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("provider answered %d", resp.StatusCode)
	}
	cb, _ := url.Parse(resp.Header.Get("Location"))
	if tm.callback != nil {
		cq := cb.Query()
		tm.callback(cq)
		cb.RawQuery = cq.Encode()
	}
	if tm.before != nil {
		tm.before(b)
	}
	resp, body := b.get(cb.String())
	if tm.replay != nil {
		tm.replay(cb.String())
	}
	return resp, body
}

func (h *oidcHub) sessionRoles(t *testing.T, b *browser) string {
	t.Helper()
	tok := b.cookie(h.srv.URL, "iml_hub_session")
	u, _, err := staff.New(h.st).SessionUser(context.Background(), tok)
	if err != nil {
		t.Fatalf("no session: %v", err)
	}
	return u.RoleNames()
}

func TestOIDCSignInThroughProvider(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		h := newOIDCHub(t, dsn)
		ctx := context.Background()

		t.Run("login page offers the provider", func(t *testing.T) {
			_, body := newBrowser(t).get(h.srv.URL + "/login?next=/outcomes/pom")
			if !strings.Contains(body, "Sign in with Mock Login") || !strings.Contains(body, `href="/auth/oidc/start?next=%2Foutcomes%2Fpom"`) {
				t.Fatalf("login page: %s", body)
			}
		})

		t.Run("success: roles from the groups claim", func(t *testing.T) {
			h.op.QueueUser(&mockoidc.MockUser{Subject: "sub-admin", Email: "ada@example.org", EmailVerified: true, Groups: []string{"iml-admins", "unrelated"}})
			b := newBrowser(t)
			resp, _ := h.signIn(t, b, "/admin/users", tamper{})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/users" {
				t.Fatalf("callback: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if r := h.sessionRoles(t, b); r != "admin" {
				t.Fatalf("roles %q, want admin", r)
			}
			resp, body := b.get(h.srv.URL + "/admin/users")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "ada@example.org") {
				t.Fatalf("admin page after sign-in: %d", resp.StatusCode)
			}
			u, err := staff.New(h.st).FindUser(ctx, "ada@example.org")
			if err != nil || u.Issuer == nil || *u.Issuer != h.op.Issuer() || *u.Subject != "sub-admin" {
				t.Fatalf("account %+v, %v", u, err)
			}
			// The provider's role is not an assignment: it goes when the
			// group goes.
			if as, _ := staff.New(h.st).Assignments(ctx, u.ID); len(as) != 0 {
				t.Fatalf("provider role stored as an assignment: %+v", as)
			}
			es, _ := staff.New(h.st).Audit(ctx, staff.AuditFilter{Action: "/auth/oidc/callback", Actor: "ada@"}, 10)
			if len(es) != 1 || es[0].Status != http.StatusSeeOther || es[0].Roles != "admin" {
				t.Fatalf("audit of the sign-in: %+v", es)
			}
		})

		t.Run("director from the groups claim sees only their organization", func(t *testing.T) {
			other, _ := affiliates.New(h.st).AddOrganization(ctx, "Other Org", "nami", "MD")
			h.op.QueueUser(&mockoidc.MockUser{Subject: "sub-pd", Email: "pd@alpha.example", EmailVerified: true, Groups: []string{"alpha-directors"}})
			b := newBrowser(t)
			resp, _ := h.signIn(t, b, "/outcomes/pom", tamper{})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("callback: %d", resp.StatusCode)
			}
			if r := h.sessionRoles(t, b); r != "director:"+h.orgA.ID {
				t.Fatalf("roles %q", r)
			}
			if resp, _ := b.get(h.srv.URL + "/outcomes/pom"); resp.StatusCode != http.StatusOK {
				t.Fatalf("own outcomes: %d", resp.StatusCode)
			}
			if resp, _ := b.get(h.srv.URL + "/outcomes/pom?org=" + other.ID); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("other organization's outcomes: %d, want 403", resp.StatusCode)
			}
			if resp, _ := b.get(h.srv.URL + "/admin/users"); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("admin page: %d, want 403", resp.StatusCode)
			}
		})

		t.Run("roles are the union of the groups claim and hub assignments", func(t *testing.T) {
			pre, err := staff.New(h.st).AddUser(ctx, "uma@example.org", "Uma", store.RoleTA, "", "")
			if err != nil {
				t.Fatal(err)
			}
			h.op.QueueUser(&mockoidc.MockUser{Subject: "sub-uma", Email: "uma@example.org", EmailVerified: true, Groups: []string{"iml-analysts"}})
			b := newBrowser(t)
			if resp, _ := h.signIn(t, b, "/", tamper{}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("callback: %d", resp.StatusCode)
			}
			if r := h.sessionRoles(t, b); r != "analyst,ta" {
				t.Fatalf("roles %q, want analyst,ta", r)
			}
			tok := b.cookie(h.srv.URL, "iml_hub_session")
			if u, _, _ := staff.New(h.st).SessionUser(ctx, tok); u.ID != pre.ID {
				t.Fatal("the verified email did not link the account made at the hub")
			}
		})

		t.Run("no role: a clear refusal and no session", func(t *testing.T) {
			h.op.QueueUser(&mockoidc.MockUser{Subject: "sub-none", Email: "nobody@example.org", EmailVerified: true, Groups: []string{"marketing"}})
			b := newBrowser(t)
			resp, body := h.signIn(t, b, "/", tamper{})
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "you hold no role at the hub") || !strings.Contains(body, "nobody@example.org") {
				t.Fatalf("no-role sign-in: %d %s", resp.StatusCode, body)
			}
			if b.cookie(h.srv.URL, "iml_hub_session") != "" {
				t.Fatal("a session cookie was set")
			}
			u, err := staff.New(h.st).FindUser(ctx, "nobody@example.org")
			if err != nil || len(u.Grants) != 0 {
				t.Fatalf("the account is kept without roles for an admin: %+v %v", u, err)
			}
		})

		refusals := []struct {
			name   string
			tm     tamper
			status int
			says   string
		}{
			{"bad state", tamper{callback: func(q url.Values) { q.Set("state", "forged") }}, http.StatusBadRequest, "could not be matched"},
			{"no flow cookie", tamper{before: func(b *browser) { jar, _ := cookiejar.New(nil); b.c.Jar = jar }}, http.StatusBadRequest, "could not be matched"},
			{"state of a flow already used", tamper{}, http.StatusBadRequest, "expired or was already used"},
			{"bad nonce", tamper{authorize: func(q url.Values) { q.Set("nonce", "another-nonce") }}, http.StatusUnauthorized, "belongs to another sign-in"},
			{"wrong PKCE verifier", tamper{authorize: func(q url.Values) { q.Set("code_challenge", strings.Repeat("A", 43)) }}, http.StatusUnauthorized, "did not accept"},
			{"challenge method changed to plain", tamper{authorize: func(q url.Values) { q.Set("code_challenge_method", "plain") }}, http.StatusUnauthorized, "did not accept"},
			{"wrong code", tamper{callback: func(q url.Values) { q.Set("code", "not-a-code") }}, http.StatusUnauthorized, "did not accept"},
			{"no code", tamper{callback: func(q url.Values) { q.Del("code") }}, http.StatusBadRequest, "no authorization code"},
			{"provider refused", tamper{callback: func(q url.Values) { q.Set("error", "access_denied") }}, http.StatusUnauthorized, "refused the sign-in (access_denied)"},
		}
		for _, tc := range refusals {
			t.Run(tc.name, func(t *testing.T) {
				h.op.QueueUser(&mockoidc.MockUser{Subject: "sub-admin", Email: "ada@example.org", EmailVerified: true, Groups: []string{"iml-admins"}})
				b := newBrowser(t)
				var sessions int64
				h.st.DB.Table("sessions").Count(&sessions)
				tm := tc.tm
				var resp *answer
				var body string
				if tc.name == "state of a flow already used" {
					// Sign in, then send the same callback again from a
					// browser holding the same flow cookie.
					tm.replay = func(cb string) {
						state, _ := url.Parse(cb)
						b2 := newBrowser(t)
						u, _ := url.Parse(h.srv.URL + "/auth/oidc/")
						b2.c.Jar.SetCookies(u, []*http.Cookie{{Name: "iml_hub_oidc", Value: state.Query().Get("state"), Path: "/auth/oidc"}})
						resp, body = b2.get(cb)
					}
					h.signIn(t, b, "/", tm)
					sessions++ // the first sign-in worked
				} else {
					resp, body = h.signIn(t, b, "/", tm)
				}
				if resp.StatusCode != tc.status || !strings.Contains(body, tc.says) {
					t.Fatalf("%d, want %d saying %q: %s", resp.StatusCode, tc.status, tc.says, body)
				}
				if resp.Header.Get("Set-Cookie") != "" && strings.Contains(resp.Header.Get("Set-Cookie"), "iml_hub_session=imlhub_") {
					t.Fatal("a refused sign-in set a session cookie")
				}
				var after int64
				h.st.DB.Table("sessions").Count(&after)
				if after != sessions {
					t.Fatalf("sessions %d then %d: a refused sign-in opened one", sessions, after)
				}
			})
		}
	})
}

func TestOIDCNotConfigured(t *testing.T) {
	h := newHub(t, dbtest.SQLitePath(t))
	resp, b := h.do(t, request{method: http.MethodGet, path: "/auth/oidc/start"})
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "no single sign-on provider") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	_, b = h.do(t, request{method: http.MethodGet, path: "/login"})
	if strings.Contains(string(b), "Sign in with") {
		t.Fatal("the login page offers a provider that is not configured")
	}
}

func TestParseRoleMap(t *testing.T) {
	good, err := server.ParseRoleMap(" admin=iml-admins ,analyst=a, analyst=b,director:Riverside Peer Center=rpc-pd,")
	if err != nil || len(good) != 4 || good[3].Org != "Riverside Peer Center" || good[3].Group != "rpc-pd" || good[2].Group != "b" {
		t.Fatalf("%+v %v", good, err)
	}
	for _, bad := range []string{"admin", "admin=", "=group", "root=g", "director=g", "director:=g", "analyst:org=g"} {
		if _, err := server.ParseRoleMap(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
