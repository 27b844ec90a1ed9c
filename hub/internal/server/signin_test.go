package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/auth/authtest"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/problem"
)

// sessionSet reports whether an answer sets the session cookie.
func sessionSet(a *answer) bool {
	for _, c := range (&http.Response{Header: a.Header}).Cookies() {
		if c.Name == "iml_hub_session" && c.Value != "" {
			return true
		}
	}
	return false
}

// The sign-in form is accepted only with the token of the page that showed
// it, in the form and in its cookie: a form posted from another site (login
// CSRF) gets the sign-in page back with a message, and no session.
func TestSignInFormNeedsItsToken(t *testing.T) {
	h := newHubWith(t, dbtest.SQLitePath(t), func(string) server.Config { return server.Config{SecureCookies: true} })
	if _, err := staff.New(h.st).AddUser(context.Background(), "ana@example.org", "Ana", store.RoleAnalyst, "", staffPassword); err != nil {
		t.Fatal(err)
	}
	page, b := h.do(t, request{method: http.MethodGet, path: "/login"})
	m := csrfRE.FindSubmatch(b)
	cookies := (&http.Response{Header: page.Header}).Cookies()
	if m == nil || len(cookies) != 1 {
		t.Fatalf("the sign-in page: token %q, cookies %v", m, cookies)
	}
	ck := cookies[0]
	if ck.Value != string(m[1]) || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge <= 0 || ck.MaxAge > 4*3600 {
		t.Fatalf("the form token's cookie: %+v", ck)
	}
	// Opened again, the page keeps the browser's token.
	again, b2 := h.do(t, request{method: http.MethodGet, path: "/login", header: map[string]string{"Cookie": ck.Name + "=" + ck.Value}})
	if m2 := csrfRE.FindSubmatch(b2); m2 == nil || string(m2[1]) != ck.Value || again.StatusCode != http.StatusOK {
		t.Fatal("the sign-in page opened again gave the form another token")
	}

	form := url.Values{"email": {"ana@example.org"}, "password": {staffPassword}, "next": {"/"}}
	post := func(csrf, cookie string) (*answer, string) {
		t.Helper()
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if csrf != "" {
			f.Set("csrf", csrf)
		}
		hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		if cookie != "" {
			hdr["Cookie"] = ck.Name + "=" + cookie
		}
		resp, body := h.do(t, request{method: http.MethodPost, path: "/login", header: hdr, body: []byte(f.Encode())})
		return resp, string(body)
	}
	other := strings.Repeat("A", len(ck.Value))
	for name, tc := range map[string][2]string{
		"no token, no cookie":        {"", ""},
		"the token without cookie":   {ck.Value, ""},
		"the cookie without token":   {"", ck.Value},
		"another token":              {other, ck.Value},
		"a cookie the hub never set": {other, other + "x"},
	} {
		resp, body := post(tc[0], tc[1])
		if resp.StatusCode != http.StatusForbidden || sessionSet(resp) || !strings.Contains(body, "sign-in form had expired") || !strings.Contains(body, `name="csrf"`) {
			t.Errorf("%s: %d, session set %v; want 403 and the form again with a message", name, resp.StatusCode, sessionSet(resp))
		}
	}
	resp, _ := post(ck.Value, ck.Value)
	if resp.StatusCode != http.StatusSeeOther || !sessionSet(resp) || resp.Header.Get("Location") != "/" {
		t.Fatalf("the form with its token: %d, Location %q, session set %v", resp.StatusCode, resp.Header.Get("Location"), sessionSet(resp))
	}
}

// After signing in, next leads only to a page of the hub: the known ways
// of naming another host in it lead to the start page.
func TestSignInNextStaysOnTheHub(t *testing.T) {
	h := newHub(t, dbtest.SQLitePath(t))
	if _, err := staff.New(h.st).AddUser(context.Background(), "ana@example.org", "Ana", store.RoleAnalyst, "", staffPassword); err != nil {
		t.Fatal(err)
	}
	for next, want := range map[string]string{
		"/outcomes?year=2026": "/outcomes?year=2026",
		"//evil.example":      "/",
		"/\t/evil.example":    "/",
		"/%09/evil.example":   "/",
		"/\\evil.example":     "/",
		"https:evil.example":  "/",
	} {
		resp := h.signInForm(t, url.Values{"email": {"ana@example.org"}, "password": {staffPassword}, "next": {next}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("next %q: %d to %q, want %q", next, resp.StatusCode, resp.Header.Get("Location"), want)
		}
		_, page := h.do(t, request{method: http.MethodGet, path: "/login?next=" + url.QueryEscape(next)})
		if !strings.Contains(string(page), `name="next" value="`+strings.ReplaceAll(want, "&", "&amp;")+`"`) {
			t.Errorf("the sign-in page for next %q does not carry %q on", next, want)
		}
	}
}

// reply is what one of many requests sent at once got back.
// reply is one answer of a burst.
type reply = authtest.Reply

// burst sends n copies of a request at once (each made by req(i), on the
// hub's own client) and returns the replies; any failure to send is an
// error of the test.
func (h *hub) burst(t *testing.T, n int, req func(i int) *http.Request) []reply {
	return authtest.BurstHTTP(t, h.client, n, req)
}

// apiLoginRequest is a sign-in through the API, from the client address
// from (as a reverse proxy on the hub's machine names it) when not "".
func (h *hub) apiLoginRequest(t *testing.T, email, password, from string) *http.Request {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	r, err := http.NewRequest(http.MethodPost, h.srv.URL+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	if from != "" {
		r.Header.Set("X-Forwarded-For", from)
	}
	return r
}

// tally counts replies by status, checking that every 429 says when to
// come back.
func tally(t *testing.T, replies []reply) map[int]int {
	t.Helper()
	n := map[int]int{}
	for _, r := range replies {
		n[r.Status]++
		if r.Status == http.StatusTooManyRequests {
			if secs, err := strconv.Atoi(r.RetryAfter); err != nil || secs < 1 {
				t.Errorf("a 429 with Retry-After %q", r.RetryAfter)
			}
		}
	}
	return n
}

// Forty wrong passwords at once through the API: exactly auth.MaxFailures
// are checked (401), the others are refused as locked (429 with
// Retry-After), and so is the right password, through the API and the
// form, afterwards. The rate limit is set out of the way.
func TestSignInLockoutHoldsUnderParallelRequests(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		h := newHubWith(t, dsn, func(string) server.Config { return server.Config{SignInPerMinute: 1000} })
		if _, err := staff.New(h.st).AddUser(context.Background(), "ana@example.org", "Ana", store.RoleAnalyst, "", staffPassword); err != nil {
			t.Fatal(err)
		}
		n := tally(t, h.burst(t, 40, func(int) *http.Request { return h.apiLoginRequest(t, "ana@example.org", "a wrong password", "") }))
		if n[http.StatusUnauthorized] != auth.MaxFailures || n[http.StatusTooManyRequests] != 40-auth.MaxFailures {
			t.Fatalf("40 wrong passwords at once: %v; want %d answered 401 and the rest 429", n, auth.MaxFailures)
		}
		resp, b := h.do(t, request{method: http.MethodPost, path: "/api/v1/auth/login", header: map[string]string{"Content-Type": "application/json"},
			body: []byte(`{"email":"ana@example.org","password":"` + staffPassword + `"}`)})
		wantProblem(t, resp, b, http.StatusTooManyRequests, problem.TypeUnauthorized)
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 || secs > int(auth.LockoutPeriod.Seconds()) {
			t.Fatalf("the right password while locked: Retry-After %q", resp.Header.Get("Retry-After"))
		}
		page := h.signInForm(t, url.Values{"email": {"ana@example.org"}, "password": {staffPassword}, "next": {"/"}})
		if page.StatusCode != http.StatusTooManyRequests || sessionSet(page) || page.Header.Get("Retry-After") == "" {
			t.Fatalf("the right password on the form while locked: %d, session set %v", page.StatusCode, sessionSet(page))
		}
	})
}

// One address may try only so many sign-ins at once (here the default,
// server.DefaultSignInPerMinute) whatever the accounts: the rest get 429
// with Retry-After, as a problem from the API and as the sign-in page with
// a message from the form. Another address is not held up.
func TestSignInRateLimit(t *testing.T) {
	h := newHub(t, dbtest.SQLitePath(t))
	const limit = server.DefaultSignInPerMinute
	const n = 3 * limit
	start := time.Now()
	replies := h.burst(t, n, func(i int) *http.Request {
		return h.apiLoginRequest(t, "nobody"+strconv.Itoa(i)+"@example.org", "a wrong password", "")
	})
	// The bucket gains a token every 60/limit seconds: on a slow machine
	// one may come in while the burst is still arriving.
	refilled := int(time.Since(start) / (time.Minute / limit))
	got := tally(t, replies)
	if got[http.StatusUnauthorized] < limit || got[http.StatusUnauthorized] > limit+refilled || got[http.StatusUnauthorized]+got[http.StatusTooManyRequests] != n {
		t.Fatalf("%d sign-ins at once from one address: %v; want %d (+%d refilled) answered and the rest 429", n, got, limit, refilled)
	}
	for _, r := range replies {
		if r.Status == http.StatusTooManyRequests && (!strings.HasPrefix(r.ContentType, problem.ContentType) || !strings.Contains(r.Body, problem.TypeRateLimited)) {
			t.Fatalf("a refused API sign-in: %s %s", r.ContentType, r.Body)
		}
	}
	// The form over the limit shows the sign-in page with the message
	// (tokens that came in meanwhile may let a few through first).
	var resp *answer
	var b []byte
	for range 50 {
		resp, b = h.do(t, request{method: http.MethodPost, path: "/login", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			body: []byte(url.Values{"email": {"ana@example.org"}, "password": {"x"}, "next": {"/outcomes"}}.Encode())})
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "Too many sign-in attempts from this address") ||
		!strings.Contains(string(b), `name="csrf"`) || !strings.Contains(string(b), `value="/outcomes"`) {
		t.Fatalf("the sign-in form over the limit: %d, Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	// The limit is per address: another one is answered.
	other := h.burst(t, 1, func(int) *http.Request {
		return h.apiLoginRequest(t, "nobody@example.org", "a wrong password", "192.0.2.7")
	})
	if other[0].Status != http.StatusUnauthorized {
		t.Fatalf("a sign-in from another address: %d", other[0].Status)
	}
}
