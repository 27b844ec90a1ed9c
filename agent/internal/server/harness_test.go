package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/server"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

// The harness the package's tests share: an agent in-process on its own
// SQLite file, users signed in through the API, JSON calls, the problem
// answers, and a browser that signs in through the form.

// password is every test user's password.
const password = "a long enough password"

// siteDay is a test site's clock unless the test sets another: Saturday
// 2026-06-20, 09:00 UTC.
var siteDay = time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC)

// csrfRE finds the CSRF token in a page's forms.
var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// openStore opens a store on a new SQLite file in the test's temporary
// folder, with now as its clock; the store is closed when the test ends.
func openStore(tb testing.TB, now func() time.Time) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "agent.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	st.Now = now
	return st
}

// serve puts the agent's handler on st behind an httptest server, closed
// when the test ends.
func serve(tb testing.TB, st *store.Store) *httptest.Server {
	return serveWith(tb, st, server.Config{})
}

// serveWith is serve with the server tuned by cfg.
func serveWith(tb testing.TB, st *store.Store, cfg server.Config) *httptest.Server {
	srv := httptest.NewServer(server.New(cfg, st, slog.New(slog.DiscardHandler)).Handler())
	tb.Cleanup(srv.Close)
	return srv
}

// site is an agent in-process: its store and its server.
type site struct {
	t   *testing.T
	st  *store.Store
	srv *httptest.Server
}

// newSite starts an empty site on siteDay.
func newSite(t *testing.T) *site {
	t.Helper()
	return newSiteAt(t, siteDay)
}

// newSiteAt starts an empty site whose clock stands at now.
func newSiteAt(t *testing.T, now time.Time) *site {
	t.Helper()
	st := openStore(t, func() time.Time { return now })
	return &site{t: t, st: st, srv: serve(t, st)}
}

// minGroup makes the site run the first release with a smallest group of
// k participants for the quasi-identifier rule (1 turns it off, for tests
// about something else that look at the outbox of a site of a few people).
func (s *site) minGroup(k int) {
	s.t.Helper()
	rel := program.Default()
	rel.Privacy = &program.Privacy{MinGroup: k}
	b, sha := rel.Canonical()
	s.must(s.st.SaveRelease(context.Background(), rel.Version, sha, b))
}

// must fails the test on an error.
func (s *site) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

// user adds a user with password and signs them in through the API; it
// returns the user and their bearer token.
func (s *site) user(email, name, role string) (store.User, string) {
	s.t.Helper()
	u, err := s.st.AddUser(context.Background(), email, name, role, password)
	s.must(err)
	var out struct{ Token string }
	if st := s.call("", http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password}, &out); st != 200 {
		s.t.Fatalf("login %s: %d", email, st)
	}
	return u, out.Token
}

// fetch sends a request with client, with a bearer token unless tok is
// empty and a Content-Type unless ctype is; it returns the status, the
// answer's headers and its body.
func fetch(t *testing.T, client *http.Client, tok, method, target, ctype string, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// send sends a request to the site without a session and returns the
// status, the answer's headers and its body, whatever they are.
func (s *site) send(tok, method, path, ctype string, body io.Reader) (int, http.Header, []byte) {
	s.t.Helper()
	return fetch(s.t, http.DefaultClient, tok, method, s.srv.URL+path, ctype, body)
}

// do sends an API request and checks an error comes as problem+json; it
// returns the status, the Content-Type and the body.
func (s *site) do(tok, method, path, ctype string, body io.Reader) (int, string, []byte) {
	s.t.Helper()
	st, h, b := s.send(tok, method, path, ctype, body)
	if st >= 400 && !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
		s.t.Errorf("%s %s: %d answered as %s", method, path, st, h.Get("Content-Type"))
	}
	return st, h.Get("Content-Type"), b
}

// call does a JSON API request (body, unless nil, sent as JSON), checks an
// error comes as problem+json, decodes the answer into out unless it is nil
// and returns the status.
func (s *site) call(tok, method, path string, body, out any) int {
	s.t.Helper()
	var rd io.Reader
	ctype := ""
	if body != nil {
		b, _ := json.Marshal(body)
		rd, ctype = bytes.NewReader(b), "application/json"
	}
	st, _, b := s.do(tok, method, path, ctype, rd)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return st
}

// problem is an application/problem+json answer.
type problem struct {
	Detail string
	Errors []struct{ Field, Detail string }
}

// has says whether the problem names field with a message containing text.
func (p problem) has(field, text string) bool {
	for _, e := range p.Errors {
		if e.Field == field && strings.Contains(e.Detail, text) {
			return true
		}
	}
	return false
}

// all is the problem on one line, for messages and for searching.
func (p problem) all() string {
	s := p.Detail
	for _, e := range p.Errors {
		s += " | " + e.Field + ": " + e.Detail
	}
	return s
}

// intake is the body of an API intake with every checklist item done.
func intake(first string) map[string]any {
	return map[string]any{"first_name": first, "last_name": "Example", "birth_date": "1985-02-03", "enrolled_on": "2026-01-12",
		"informed_consent": true, "manages_finances": true, "sets_goals": true, "accepts_responsibilities": true, "agreement_signed_on": "2026-01-12"}
}

// participant takes someone in through the store, as intake does through
// the API.
func (s *site) participant(first string) store.Participant {
	s.t.Helper()
	p, err := s.st.Participants.AddParticipant(context.Background(), store.ParticipantInput{FirstName: first, LastName: "Example", BirthDate: "1985-02-03", EnrolledOn: "2026-01-12",
		InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: "2026-01-12"})
	s.must(err)
	return p
}

// certifiedCoach adds a coach linked to a user account and certified
// until 2027-06-30.
func (s *site) certifiedCoach(name, userID string) store.Coach {
	s.t.Helper()
	ctx := context.Background()
	c, err := s.st.Coaches.AddCoach(ctx, store.CoachInput{Name: name, UserID: userID})
	s.must(err)
	_, err = s.st.Coaches.RecordCertification(ctx, c.ID, "site", store.Certification{Code: "PLC-1", CertifiedUntil: "2027-06-30"})
	s.must(err)
	return c
}

// audit is the audit log about a subject (a participant or a cohort).
func (s *site) audit(subject string) []store.AuditEntry {
	s.t.Helper()
	es, err := s.st.AuditLog(context.Background(), store.AuditFilter{SubjectID: subject})
	s.must(err)
	return es
}

// countAudit counts the lines of a user's action.
func countAudit(es []store.AuditEntry, user, action string) int {
	n := 0
	for _, e := range es {
		if e.UserName == user && e.Action == action {
			n++
		}
	}
	return n
}

// browser keeps a session cookie and, once signed in, the session's CSRF
// token, which post adds to a form that has none.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
}

// newBrowser is a browser on the site that has not signed in.
func (s *site) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, base: s.srv.URL, client: &http.Client{Jar: jar}}
}

// browser signs in through the form as email and keeps the CSRF token of
// the page it lands on.
func (s *site) browser(email string) *browser {
	s.t.Helper()
	b := s.newBrowser()
	st, body := b.fill("/login", url.Values{"email": {email}, "password": {password}})
	m := csrfRE.FindStringSubmatch(body)
	if st != 200 || m == nil {
		s.t.Fatalf("sign in %s: %d", email, st)
	}
	b.csrf = m[1]
	return b
}

// send sends a request in the browser's session; it returns the status,
// the answer's headers and its body.
func (b *browser) send(method, path, ctype string, body io.Reader) (int, http.Header, string) {
	b.t.Helper()
	st, h, out := fetch(b.t, b.client, "", method, b.base+path, ctype, body)
	return st, h, string(out)
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	st, _, body := b.send(http.MethodGet, path, "", nil)
	return st, body
}

// post submits a form, with the session's CSRF token unless the form has
// a csrf field.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	if b.csrf != "" && form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	st, _, body := b.send(http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	return st, body
}

// fill opens the page of a form sent before a session (sign-in, set-up:
// the form is at path, as it is posted to) and sends it filled in with
// form and the page's token against login CSRF, as a person would.
func (b *browser) fill(path string, form url.Values) (int, string) {
	b.t.Helper()
	st, page := b.get(path)
	m := csrfRE.FindStringSubmatch(page)
	if st != http.StatusOK || m == nil {
		b.t.Fatalf("GET %s: %d, no form token on the page", path, st)
	}
	form.Set("csrf", m[1])
	return b.post(path, form)
}

// mustContain checks a page shows each of wants.
func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: the page does not show %q", what, w)
		}
	}
}
