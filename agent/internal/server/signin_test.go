package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/server"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/auth/authtest"
)

// postForm posts a form with client (its cookies, no redirects followed)
// and returns the status, the headers and the page.
func postForm(t *testing.T, client *http.Client, target string, form url.Values) (int, http.Header, string) {
	t.Helper()
	st, h, b := fetch(t, client, "", http.MethodPost, target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	return st, h, string(b)
}

// setsCookie reports whether an answer sets the named cookie to a value.
func setsCookie(h http.Header, name string) bool {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name && c.Value != "" {
			return true
		}
	}
	return false
}

// Every form sent before a session (first-run set-up, staff sign-in, the
// participant's start and sign-in) is accepted only with the token of the
// page that showed it: posted without it, or with another token, from
// another site (login CSRF) or after the page expired, it is shown again
// with a message, and nothing is created and no one is signed in.
func TestFormsBeforeASessionNeedTheirToken(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	anon := s.newBrowser()
	nr := anon.noRedirect()
	setup := url.Values{"name": {"Dana"}, "email": {"dir@example.org"}, "password": {password}, "password2": {password}}
	if st, _, body := postForm(t, nr, s.srv.URL+"/setup", setup); st != http.StatusForbidden || !strings.Contains(body, "The form had expired") {
		t.Fatalf("set-up without its token: %d", st)
	}
	if n, _ := s.st.UserCount(ctx); n != 0 {
		t.Fatal("set-up without its token created an account")
	}
	if st, _ := anon.fill("/setup", setup); st != http.StatusOK {
		t.Fatalf("set-up with its token: %d", st)
	}
	if n, _ := s.st.UserCount(ctx); n != 1 {
		t.Fatal("set-up with its token created no account")
	}
	p, err := s.st.Participants.AddParticipant(ctx, store.ParticipantInput{FirstName: "Ann", LastName: "Example", BirthDate: "1980-05-05", EnrolledOn: "2026-01-14",
		InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: "2026-01-14"})
	s.must(err)
	dirs, err := s.st.Users(ctx, store.RoleDirector)
	s.must(err)
	a, code, err := s.st.Journals.IssueJournalAccess(ctx, p.ID, dirs[0].ID)
	s.must(err)

	forms := []struct {
		path, cookie string
		form         url.Values
	}{
		{"/login", "iml_agent_session", url.Values{"email": {"dir@example.org"}, "password": {password}}},
		{"/journal/start", "iml_participant_session", url.Values{"login": {a.Login}, "code": {code}, "pin": {"246810"}, "pin2": {"246810"}}},
	}
	for _, f := range forms {
		// A browser that never opened the page, and one that did but sends
		// another token.
		if st, h, body := postForm(t, nr, s.srv.URL+f.path, f.form); st != http.StatusForbidden || setsCookie(h, f.cookie) ||
			!strings.Contains(body, "The form had expired") || !strings.Contains(body, `name="csrf"`) {
			t.Errorf("%s without its token: %d, signed in %v", f.path, st, setsCookie(h, f.cookie))
		}
		other := s.newBrowser()
		if st, _ := other.get(f.path); st != http.StatusOK {
			t.Fatalf("GET %s: %d", f.path, st)
		}
		withOther := url.Values{"csrf": {strings.Repeat("A", 43)}}
		for k, v := range f.form {
			withOther[k] = v
		}
		if st, h, _ := postForm(t, other.noRedirect(), s.srv.URL+f.path, withOther); st != http.StatusForbidden || setsCookie(h, f.cookie) {
			t.Errorf("%s with another token: %d, signed in %v", f.path, st, setsCookie(h, f.cookie))
		}
	}
	// The participant's start code was not used up by the refused forms.
	b := s.newBrowser()
	if st, body := b.fill("/journal/start", forms[1].form); st != http.StatusOK || !strings.Contains(body, "<h1>My journal</h1>") {
		t.Fatalf("the journal's start with its token: %d", st)
	}
	login := url.Values{"login": {a.Login}, "pin": {"246810"}}
	if st, h, _ := postForm(t, nr, s.srv.URL+"/journal/login", login); st != http.StatusForbidden || setsCookie(h, "iml_participant_session") {
		t.Errorf("the journal's sign-in without its token: %d", st)
	}
	if st, body := s.newBrowser().fill("/journal/login", login); st != http.StatusOK || !strings.Contains(body, "<h1>My journal</h1>") {
		t.Fatalf("the journal's sign-in with its token: %d", st)
	}
}

// After signing in, next leads only to a page of the site, and a page
// asked for while signed out comes back with its query.
func TestSignInNextStaysOnTheSite(t *testing.T) {
	s := newSite(t)
	s.user("dir@example.org", "Dana", store.RoleDirector)
	b := s.newBrowser()
	nr := b.noRedirect()
	if st, h, _ := fetch(t, nr, "", http.MethodGet, s.srv.URL+"/participants?q=ann&x=1", "", nil); st != http.StatusSeeOther ||
		h.Get("Location") != "/login?next="+url.QueryEscape("/participants?q=ann&x=1") {
		t.Fatalf("a page asked for signed out: %d to %q", st, h.Get("Location"))
	}
	for next, want := range map[string]string{
		"/participants?q=ann": "/participants?q=ann",
		"//evil.example":      "/",
		"/\t/evil.example":    "/",
		"/\\evil.example":     "/",
		"/%2F/evil.example":   "/",
	} {
		_, page := b.get("/login")
		m := csrfRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no form token on the sign-in page")
		}
		form := url.Values{"csrf": {m[1]}, "email": {"dir@example.org"}, "password": {password}, "next": {next}}
		if st, h, _ := postForm(t, nr, s.srv.URL+"/login", form); st != http.StatusSeeOther || h.Get("Location") != want {
			t.Errorf("next %q: %d to %q, want %q", next, st, h.Get("Location"), want)
		}
	}
}

// reply is what one of many requests sent at once got back.
// reply is one answer of a burst.
type reply = authtest.Reply

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

// newRequest makes a request, from the client address from (as a reverse
// proxy on the agent's machine names it) when not "".
func newRequest(t *testing.T, method, target, ctype, body, from string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if from != "" {
		r.Header.Set("X-Forwarded-For", from)
	}
	return r
}

// siteWith starts an agent with cfg on a new store.
func siteWith(t *testing.T, cfg server.Config) *site {
	t.Helper()
	st := openStore(t, func() time.Time { return siteDay })
	srv := httptest.NewServer(server.New(cfg, st, slog.New(slog.DiscardHandler)).Handler())
	t.Cleanup(srv.Close)
	return &site{t: t, st: st, srv: srv}
}

// Forty wrong secrets at once, to the staff sign-in API and to the
// participant's sign-in form: exactly auth.MaxFailures are checked (401),
// the others are refused as locked (429 with Retry-After), and so is the
// right secret afterwards. The rate limit is set out of the way.
func TestSignInLockoutHoldsUnderParallelRequests(t *testing.T) {
	s := siteWith(t, server.Config{SignInPerMinute: 1000})
	ctx := context.Background()
	u, _ := s.user("dir@example.org", "Dana", store.RoleDirector)

	login := func(pw string) func(int) *http.Request {
		return func(int) *http.Request {
			return newRequest(t, http.MethodPost, s.srv.URL+"/api/v1/auth/login", "application/json", `{"email":"dir@example.org","password":"`+pw+`"}`, "")
		}
	}
	n := tally(t, authtest.BurstHTTP(t, http.DefaultClient, 40, login("a wrong password")))
	if n[http.StatusUnauthorized] != auth.MaxFailures || n[http.StatusTooManyRequests] != 40-auth.MaxFailures {
		t.Fatalf("40 wrong passwords at once: %v; want %d answered 401 and the rest 429", n, auth.MaxFailures)
	}
	if r := authtest.BurstHTTP(t, http.DefaultClient, 1, login(password))[0]; r.Status != http.StatusTooManyRequests || r.RetryAfter == "" {
		t.Fatalf("the right password after the burst: %d, Retry-After %q", r.Status, r.RetryAfter)
	}

	p, err := s.st.Participants.AddParticipant(ctx, store.ParticipantInput{FirstName: "Ann", LastName: "Example", BirthDate: "1980-05-05", EnrolledOn: "2026-01-14",
		InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: "2026-01-14"})
	s.must(err)
	a, code, err := s.st.Journals.IssueJournalAccess(ctx, p.ID, u.ID)
	s.must(err)
	if st, _ := s.newBrowser().fill("/journal/start", url.Values{"login": {a.Login}, "code": {code}, "pin": {"246810"}, "pin2": {"246810"}}); st != http.StatusOK {
		t.Fatalf("start the journal: %d", st)
	}
	// One tablet: one page's token and cookie for every try.
	b := s.newBrowser()
	_, page := b.get("/journal/login")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no form token on the journal's sign-in page")
	}
	pin := func(pin string) func(int) *http.Request {
		return func(int) *http.Request {
			return newRequest(t, http.MethodPost, s.srv.URL+"/journal/login", "application/x-www-form-urlencoded",
				url.Values{"csrf": {m[1]}, "login": {a.Login}, "pin": {pin}}.Encode(), "")
		}
	}
	replies := authtest.BurstHTTP(t, b.noRedirect(), 40, pin("000000"))
	n = tally(t, replies)
	if n[http.StatusUnauthorized] != auth.MaxFailures || n[http.StatusTooManyRequests] != 40-auth.MaxFailures {
		t.Fatalf("40 wrong PINs at once: %v; want %d answered 401 and the rest 429", n, auth.MaxFailures)
	}
	for _, r := range replies {
		if r.Status == http.StatusTooManyRequests && !strings.Contains(r.Body, "Your journal is locked for 15 minutes") {
			t.Fatalf("a locked sign-in's page: %s", r.Body)
		}
	}
	if r := authtest.BurstHTTP(t, b.noRedirect(), 1, pin("246810"))[0]; r.Status != http.StatusTooManyRequests || r.RetryAfter == "" {
		t.Fatalf("the right PIN after the burst: %d, Retry-After %q", r.Status, r.RetryAfter)
	}
}

// One address may send only so many anonymous surveys, and try only so
// many sign-ins, at once (the defaults): the rest get 429 with
// Retry-After, a problem from the API and the page again with a message
// (the survey keeping its answers) from a form. Another address is not
// held up.
func TestRateLimits(t *testing.T) {
	s := newSite(t)
	const limit = server.DefaultSurveyPerMinute
	// Surveys with a made-up code: refused (403) once let through.
	start := time.Now()
	replies := authtest.BurstHTTP(t, http.DefaultClient, 3*limit, func(int) *http.Request {
		return newRequest(t, http.MethodPost, s.srv.URL+"/api/v1/survey/responses", "application/json", `{"code":"NOPE0-NOPE0","answers":{}}`, "")
	})
	refilled := int(time.Since(start) / (time.Minute / limit))
	n := tally(t, replies)
	if n[http.StatusForbidden] < limit || n[http.StatusForbidden] > limit+refilled || n[http.StatusForbidden]+n[http.StatusTooManyRequests] != 3*limit {
		t.Fatalf("%d surveys at once from one address: %v; want %d (+%d refilled) let through and the rest 429", 3*limit, n, limit, refilled)
	}
	for _, r := range replies {
		if r.Status == http.StatusTooManyRequests && (!strings.HasPrefix(r.ContentType, "application/problem+json") || !strings.Contains(r.Body, "rate-limited")) {
			t.Fatalf("a refused survey from the API: %s %s", r.ContentType, r.Body)
		}
	}
	rel, err := s.st.ActiveRelease(context.Background())
	s.must(err)
	first := rel.Survey.Statements[0].Code
	form := url.Values{"code": {"NOPE0-NOPE0"}, "s_" + first: {"definitely_agree"}}
	var page reply
	for range 50 { // tokens that came in meanwhile let a few more through
		page = authtest.BurstHTTP(t, http.DefaultClient, 1, func(int) *http.Request {
			return newRequest(t, http.MethodPost, s.srv.URL+"/survey", "application/x-www-form-urlencoded", form.Encode(), "")
		})[0]
		if page.Status == http.StatusTooManyRequests {
			break
		}
	}
	if page.Status != http.StatusTooManyRequests || page.RetryAfter == "" || !strings.Contains(page.Body, "Many surveys were sent from this device") ||
		!strings.Contains(page.Body, `value="definitely_agree" checked`) {
		t.Fatalf("the survey page over the limit: %d, Retry-After %q: %s", page.Status, page.RetryAfter, page.Body)
	}
	other := authtest.BurstHTTP(t, http.DefaultClient, 1, func(int) *http.Request {
		return newRequest(t, http.MethodPost, s.srv.URL+"/api/v1/survey/responses", "application/json", `{"code":"NOPE0-NOPE0","answers":{}}`, "192.0.2.7")
	})
	if other[0].Status != http.StatusForbidden {
		t.Fatalf("a survey from another address: %d", other[0].Status)
	}

	// Sign-in: staff API and the participant's forms share one bucket.
	const signIns = server.DefaultSignInPerMinute
	start = time.Now()
	replies = authtest.BurstHTTP(t, http.DefaultClient, 3*signIns, func(i int) *http.Request {
		return newRequest(t, http.MethodPost, s.srv.URL+"/api/v1/auth/login", "application/json", `{"email":"nobody`+strconv.Itoa(i)+`@example.org","password":"a wrong password"}`, "")
	})
	refilled = int(time.Since(start) / (time.Minute / signIns))
	n = tally(t, replies)
	if n[http.StatusUnauthorized] < signIns || n[http.StatusUnauthorized] > signIns+refilled || n[http.StatusUnauthorized]+n[http.StatusTooManyRequests] != 3*signIns {
		t.Fatalf("%d sign-ins at once from one address: %v; want %d (+%d refilled) answered and the rest 429", 3*signIns, n, signIns, refilled)
	}
	for range 50 {
		page = authtest.BurstHTTP(t, http.DefaultClient, 1, func(int) *http.Request {
			return newRequest(t, http.MethodPost, s.srv.URL+"/journal/login", "application/x-www-form-urlencoded", url.Values{"login": {"abcdefgh"}, "pin": {"123456"}}.Encode(), "")
		})[0]
		if page.Status == http.StatusTooManyRequests {
			break
		}
	}
	if page.Status != http.StatusTooManyRequests || page.RetryAfter == "" || !strings.Contains(page.Body, "Too many sign-in attempts from this address") ||
		!strings.Contains(page.Body, `value="abcdefgh"`) || !strings.Contains(page.Body, `name="csrf"`) {
		t.Fatalf("the journal's sign-in over the limit: %d, Retry-After %q: %s", page.Status, page.RetryAfter, page.Body)
	}
}
