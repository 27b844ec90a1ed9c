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
)

type site struct {
	t   *testing.T
	st  *store.Store
	srv *httptest.Server
}

func newSite(t *testing.T) *site {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "agent.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Now = func() time.Time { return time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC) }
	srv := httptest.NewServer(server.New(server.Config{}, st, slog.New(slog.DiscardHandler)).Handler())
	t.Cleanup(srv.Close)
	return &site{t: t, st: st, srv: srv}
}

func (s *site) user(email, name, role string) (store.User, string) {
	s.t.Helper()
	u, err := s.st.AddUser(context.Background(), email, name, role, "a long enough password")
	if err != nil {
		s.t.Fatal(err)
	}
	var out struct{ Token string }
	if st := s.call("", http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": "a long enough password"}, &out); st != 200 {
		s.t.Fatalf("login %s: %d", email, st)
	}
	return u, out.Token
}

// call does an API request and decodes the answer; it returns the status.
func (s *site) call(tok, method, path string, body, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		s.t.Errorf("%s %s: %d answered as %s", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func intake(first string) map[string]any {
	return map[string]any{"first_name": first, "last_name": "Example", "birth_date": "1985-02-03", "enrolled_on": "2026-01-12",
		"informed_consent": true, "manages_finances": true, "sets_goals": true, "accepts_responsibilities": true, "agreement_signed_on": "2026-01-12"}
}

// TestSiteOperationsThroughTheAPI walks a director and two coaches through
// coaches, certification, cohorts and intake, with the role rules and the
// audit log.
func TestSiteOperationsThroughTheAPI(t *testing.T) {
	s := newSite(t)
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)
	u1, c1tok := s.user("casey@example.org", "Casey", store.RoleCoach)
	u2, c2tok := s.user("robin@example.org", "Robin", store.RoleCoach)

	var coach1, coach2 struct{ ID string }
	if st := s.call(dir, "POST", "/api/v1/coaches", map[string]string{"name": "Casey", "bio": "Likes hiking", "user_id": u1.ID}, &coach1); st != 201 {
		t.Fatalf("add coach: %d", st)
	}
	s.call(dir, "POST", "/api/v1/coaches", map[string]string{"name": "Robin", "user_id": u2.ID}, &coach2)
	if st := s.call(c1tok, "POST", "/api/v1/coaches", map[string]string{"name": "Me"}, nil); st != 403 {
		t.Fatalf("a coach added a coach: %d", st)
	}
	cohort := map[string]any{"name": "Tuesday group", "model": "peer_partners", "start_date": "2026-01-12", "coach_id": coach1.ID, "meeting_day": "tuesday", "meeting_time": "18:00"}
	var prob struct {
		Errors []struct{ Field, Detail string }
	}
	if st := s.call(dir, "POST", "/api/v1/cohorts", cohort, &prob); st != 422 || len(prob.Errors) != 1 || !strings.Contains(prob.Errors[0].Detail, "certified") {
		t.Fatalf("uncertified leader: %d %+v", st, prob)
	}
	for _, id := range []string{coach1.ID, coach2.ID} {
		if st := s.call(dir, "POST", "/api/v1/coaches/"+id+"/certification", map[string]string{"code": "PLC-7", "certified_until": "2027-06-30"}, nil); st != 200 {
			t.Fatalf("certify: %d", st)
		}
	}
	var g1 struct{ ID string }
	if st := s.call(dir, "POST", "/api/v1/cohorts", cohort, &g1); st != 201 {
		t.Fatalf("add cohort: %d", st)
	}

	// Intake by coach 1: the checklist is enforced, and the coach keeps
	// sight of the person they took in.
	bad := intake("Avery")
	bad["informed_consent"] = false
	if st := s.call(c1tok, "POST", "/api/v1/participants", bad, &prob); st != 422 || prob.Errors[0].Field != "informed_consent" {
		t.Fatalf("intake without consent: %d %+v", st, prob)
	}
	var p1, p2 struct{ ID string }
	if st := s.call(c1tok, "POST", "/api/v1/participants", intake("Avery"), &p1); st != 201 {
		t.Fatalf("intake: %d", st)
	}
	s.call(dir, "POST", "/api/v1/participants", intake("Jordan"), &p2)
	if st := s.call(c1tok, "GET", "/api/v1/participants/"+p1.ID, nil, nil); st != 200 {
		t.Fatalf("coach views own intake: %d", st)
	}
	if st := s.call(c2tok, "GET", "/api/v1/participants/"+p1.ID, nil, nil); st != 403 {
		t.Fatalf("another coach views: %d", st)
	}
	if st := s.call(c1tok, "GET", "/api/v1/participants/"+p2.ID, nil, nil); st != 403 {
		t.Fatalf("coach views someone not theirs: %d", st)
	}
	// Members: the cohort says what the group still needs.
	var view struct {
		Group struct {
			Workable bool
			Actions  []string
		}
		Theme string `json:"theme"`
	}
	if st := s.call(c1tok, "POST", "/api/v1/cohorts/"+g1.ID+"/members", map[string]string{"participant_id": p2.ID, "joined_on": "2026-01-12"}, &view); st != 200 {
		t.Fatalf("add member: %d", st)
	}
	if view.Group.Workable || len(view.Group.Actions) == 0 || view.Theme != "Thoughts & Beliefs" {
		t.Fatalf("cohort view %+v", view)
	}
	if st := s.call(c1tok, "GET", "/api/v1/participants/"+p2.ID, nil, nil); st != 200 {
		t.Fatalf("coach views a member of their cohort: %d", st)
	}
	if st := s.call(c2tok, "GET", "/api/v1/cohorts/"+g1.ID, nil, nil); st != 403 {
		t.Fatalf("another coach views the cohort: %d", st)
	}
	var list []any
	s.call(c2tok, "GET", "/api/v1/participants", nil, &list)
	if len(list) != 0 {
		t.Fatalf("coach 2 lists %d participants", len(list))
	}
	// Every view was audited; only the director reads the log.
	var log []struct {
		UserName  string
		Action    string
		SubjectID string
	}
	if st := s.call(c1tok, "GET", "/api/v1/audit", nil, nil); st != 403 {
		t.Fatalf("coach reads the audit log: %d", st)
	}
	s.call(dir, "GET", "/api/v1/audit?participant="+p1.ID, nil, &log)
	if len(log) != 1 || log[0].UserName != "Casey" || log[0].Action != "view" {
		t.Fatalf("audit of p1: %+v", log)
	}
	// Refused views are not recorded as views.
	s.call(dir, "GET", "/api/v1/audit?participant="+p2.ID, nil, &log)
	if len(log) != 1 {
		t.Fatalf("audit of p2: %+v", log)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestPagesRender signs in through the form and opens every page, checks
// a form with mistakes answers with the messages and changes nothing.
func TestPagesRender(t *testing.T) {
	s := newSite(t)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		resp, err := client.Get(s.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(path string, form url.Values) (int, string) {
		resp, err := client.PostForm(s.srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// First run: the setup page creates the director.
	if st, body := get("/participants"); st != 200 || !strings.Contains(body, "Set up this site") {
		t.Fatalf("first run: %d", st)
	}
	if st, _ := post("/setup", url.Values{"name": {"Dana"}, "email": {"dir@example.org"}, "password": {"a long enough password"}, "password2": {"a long enough password"}}); st != 200 {
		t.Fatalf("setup: %d", st)
	}
	if st, body := post("/login", url.Values{"email": {"dir@example.org"}, "password": {"a long enough password"}}); st != 200 || !strings.Contains(body, "Participants") {
		t.Fatalf("login: %d", st)
	}
	_, body := get("/coaches")
	csrf := csrfRE.FindStringSubmatch(body)[1]
	if st, body := post("/coaches", url.Values{"csrf": {csrf}, "name": {""}, "email": {"not an email"}}); st != 422 || !strings.Contains(body, "is not an email address") {
		t.Fatalf("bad coach form: %d", st)
	}
	if cs, _ := s.st.Coaches(context.Background()); len(cs) != 0 {
		t.Fatal("a refused form stored a coach")
	}
	if st, _ := post("/coaches", url.Values{"csrf": {csrf}, "name": {"Casey"}, "bio": {"Likes hiking"}}); st != 200 {
		t.Fatalf("add coach: %d", st)
	}
	cs, _ := s.st.Coaches(context.Background())
	if st, _ := post("/coaches/"+cs[0].ID+"/certification", url.Values{"csrf": {csrf}, "code": {"PLC-1"}, "certified_until": {"2027-01-01"}}); st != 200 {
		t.Fatalf("certify: %d", st)
	}
	st, body := post("/participants", url.Values{"csrf": {csrf}, "first_name": {"Avery"}, "last_name": {"Example"}, "birth_date": {"2009-01-01"},
		"enrolled_on": {"2026-01-12"}, "agreement_signed_on": {"2026-01-12"}})
	if st != 422 || !strings.Contains(body, "unless the director records why") || !strings.Contains(body, "informed consent") {
		t.Fatalf("under-age intake without override: %d", st)
	}
	if st, _ := post("/cohorts", url.Values{"csrf": {csrf}, "name": {"G"}, "model": {"peer_partners"}, "start_date": {"2026-01-12"}, "coach_id": {cs[0].ID}, "mixed_pairs": {"true"}}); st != 200 {
		t.Fatalf("add cohort: %d", st)
	}
	cohorts, _ := s.st.Cohorts(context.Background(), "")
	for _, path := range []string{"/participants", "/coaches", "/cohorts", "/cohorts/" + cohorts[0].ID, "/audit", "/sync"} {
		if st, body := get(path); st != 200 || !strings.Contains(body, "</html>") {
			t.Errorf("GET %s: %d", path, st)
		}
	}
	if _, body := get("/cohorts/" + cohorts[0].ID); !strings.Contains(body, "needs at least 6") {
		t.Error("the cohort page does not say what the group needs")
	}
	if st, _ := get("/cohorts/nope"); st != 404 {
		t.Errorf("unknown cohort: %d", st)
	}
}
