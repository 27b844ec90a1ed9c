package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

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
	var prob problem
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
	// Members: the coach cannot put in their cohort someone they do not
	// see; the director can, and the cohort says what the group still
	// needs.
	if st := s.call(c1tok, "POST", "/api/v1/cohorts/"+g1.ID+"/members", map[string]string{"participant_id": p2.ID, "joined_on": "2026-01-12"}, nil); st != 403 {
		t.Fatalf("coach adds someone not theirs: %d", st)
	}
	var view struct {
		Group struct {
			Workable bool
			Actions  []string
		}
		Theme string `json:"theme"`
	}
	if st := s.call(dir, "POST", "/api/v1/cohorts/"+g1.ID+"/members", map[string]string{"participant_id": p2.ID, "joined_on": "2026-01-12"}, &view); st != 200 {
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
		UserName  string `json:"user_name"`
		Action    string `json:"action"`
		SubjectID string `json:"subject_id"`
	}
	if st := s.call(c1tok, "GET", "/api/v1/audit", nil, nil); st != 403 {
		t.Fatalf("coach reads the audit log: %d", st)
	}
	s.call(dir, "GET", "/api/v1/audit?participant="+p1.ID, nil, &log)
	if len(log) != 1 || log[0].UserName != "Casey" || log[0].Action != "view" {
		t.Fatalf("audit of p1: %+v", log)
	}
	// Joining the cohort and the coach's view are recorded; the refused
	// view is not.
	s.call(dir, "GET", "/api/v1/audit?participant="+p2.ID, nil, &log)
	if len(log) != 2 || log[1].Action != "add_to_cohort" || log[1].UserName != "Dana" || log[0].Action != "view" {
		t.Fatalf("audit of p2: %+v", log)
	}
}

// TestPagesRender signs in through the form and opens every page, checks
// a form with mistakes answers with the messages and changes nothing.
func TestPagesRender(t *testing.T) {
	s := newSite(t)
	b := s.newBrowser()
	// First run: the setup page creates the director.
	if st, body := b.get("/participants"); st != 200 || !strings.Contains(body, "Set up this site") {
		t.Fatalf("first run: %d", st)
	}
	if st, _ := b.fill("/setup", url.Values{"name": {"Dana"}, "email": {"dir@example.org"}, "password": {password}, "password2": {password}}); st != 200 {
		t.Fatalf("setup: %d", st)
	}
	if st, body := b.fill("/login", url.Values{"email": {"dir@example.org"}, "password": {password}}); st != 200 || !strings.Contains(body, "Participants") {
		t.Fatalf("login: %d", st)
	}
	_, body := b.get("/coaches")
	csrf := csrfRE.FindStringSubmatch(body)[1]
	if st, body := b.post("/coaches", url.Values{"csrf": {csrf}, "name": {""}, "email": {"not an email"}}); st != 422 || !strings.Contains(body, "Enter an email address such as name@example.org") {
		t.Fatalf("bad coach form: %d", st)
	}
	if cs, _ := s.st.Coaches.Coaches(context.Background()); len(cs) != 0 {
		t.Fatal("a refused form stored a coach")
	}
	if st, _ := b.post("/coaches", url.Values{"csrf": {csrf}, "name": {"Casey"}, "bio": {"Likes hiking"}}); st != 200 {
		t.Fatalf("add coach: %d", st)
	}
	cs, _ := s.st.Coaches.Coaches(context.Background())
	if st, _ := b.post("/coaches/"+cs[0].ID+"/certification", url.Values{"csrf": {csrf}, "code": {"PLC-1"}, "certified_until": {"2027-01-01"}}); st != 200 {
		t.Fatalf("certify: %d", st)
	}
	st, body := b.post("/participants", url.Values{"csrf": {csrf}, "first_name": {"Avery"}, "last_name": {"Example"}, "birth_date": {"2009-01-01"},
		"enrolled_on": {"2026-01-12"}, "agreement_signed_on": {"2026-01-12"}})
	if st != 422 || !strings.Contains(body, "Give the reason the director makes an exception: the person is 17") || !strings.Contains(body, "informed consent") {
		t.Fatalf("under-age intake without override: %d", st)
	}
	if st, _ := b.post("/cohorts", url.Values{"csrf": {csrf}, "name": {"G"}, "model": {"peer_partners"}, "start_date": {"2026-01-12"}, "coach_id": {cs[0].ID}, "mixed_pairs": {"true"}}); st != 200 {
		t.Fatalf("add cohort: %d", st)
	}
	cohorts, _ := s.st.Cohorts.Cohorts(context.Background(), "")
	for _, path := range []string{"/participants", "/coaches", "/cohorts", "/cohorts/" + cohorts[0].ID, "/audit", "/sync"} {
		if st, body := b.get(path); st != 200 || !strings.Contains(body, "</html>") {
			t.Errorf("GET %s: %d", path, st)
		}
	}
	if _, body := b.get("/cohorts/" + cohorts[0].ID); !strings.Contains(body, "needs at least 6") {
		t.Error("the cohort page does not say what the group needs")
	}
	if st, _ := b.get("/cohorts/nope"); st != 404 {
		t.Errorf("unknown cohort: %d", st)
	}
}
