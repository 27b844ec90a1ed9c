package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
)

// issueAccess has Casey give a participant journal access through the API;
// it returns the sign-in name and the start code.
func (s *mtSite) issueAccess(p store.Participant) (string, string) {
	s.t.Helper()
	var out struct {
		Access    store.JournalAccess
		StartCode string `json:"start_code"`
	}
	if st := s.call(s.casey, "POST", "/api/v1/participants/"+p.ID+"/journal-access", nil, &out); st != 201 || out.StartCode == "" || out.Access.Login == "" {
		s.t.Fatalf("issue journal access: %d %+v", st, out)
	}
	return out.Access.Login, out.StartCode
}

// startJournal is the participant's first sign-in through the start page;
// it returns their browser with the CSRF token of their journal page.
func (s *mtSite) startJournal(login, code, pin string) *browser {
	s.t.Helper()
	b := s.newBrowser()
	st, body := b.fill("/journal/start", url.Values{"login": {login}, "code": {code}, "pin": {pin}, "pin2": {pin}})
	m := csrfRE.FindStringSubmatch(body)
	if st != 200 || !strings.Contains(body, "<h1>My journal</h1>") || m == nil {
		s.t.Fatalf("start the journal: %d %s", st, body)
	}
	b.csrf = m[1]
	return b
}

// noRedirect is a client with b's cookies that reports redirects instead
// of following them.
func (b *browser) noRedirect() *http.Client {
	return &http.Client{Jar: b.client.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestParticipantFillsInTheirOwnJournal(t *testing.T) {
	s := newMTSite(t)
	ctx := context.Background()
	ann, ben := s.members[0], s.members[1]
	// Only the coach who leads the cohort (or the director) gives access.
	if st := s.call(s.robin, "POST", "/api/v1/participants/"+ann.ID+"/journal-access", nil, nil); st != 403 {
		t.Fatalf("another coach gives access: %d", st)
	}
	login, code := s.issueAccess(ann)
	_, err := s.st.Journals.SaveJournal(ctx, ben.ID, "2026-06-15", s.caseyUser.ID, map[string]string{"week_summary": "BEN-PRIVATE-WEEK"})
	s.must(err)

	// Signed out, the journal sends to its own sign-in page.
	anon := s.newBrowser()
	if st, h, _ := fetch(t, anon.noRedirect(), "", "GET", s.srv.URL+"/journal", "", nil); st != 303 || h.Get("Location") != "/journal/login" {
		t.Fatalf("journal signed out: %d %s", st, h.Get("Location"))
	}
	// A wrong code changes nothing.
	if st, body := anon.fill("/journal/start", url.Values{"login": {login}, "code": {"wrongcode1"}, "pin": {"864213"}, "pin2": {"864213"}}); st != 401 || !strings.Contains(body, "start code is wrong") {
		t.Fatalf("a wrong start code: %d", st)
	}
	if st, body := anon.fill("/journal/start", url.Values{"login": {login}, "code": {code}, "pin": {"864213"}, "pin2": {"864214"}}); st != 422 || !strings.Contains(body, "two PINs differ") {
		t.Fatalf("PINs that differ: %d", st)
	}
	b := s.startJournal(login, code, "864213")
	st, body := b.get("/journal")
	if st != 200 {
		t.Fatalf("own journal: %d", st)
	}
	mustContain(t, "own journal", body, "Hello Ann", "The week of Monday 15 June<", `id="own-journal-form"`, `<label for="a_week_summary">`, "Sign out Ann")
	if strings.Contains(body, "BEN-PRIVATE-WEEK") || strings.Contains(body, "Ben Example") || strings.Contains(body, `href="/participants`) {
		t.Fatal("the participant's page shows another participant or the staff menu")
	}
	// Forms need the session's CSRF token.
	if st, _ := b.post("/journal", url.Values{"csrf": {"forged"}, "week_start": {"2026-06-15"}, "a_week_summary": {"forged"}}); st != 403 {
		t.Fatalf("a forged form: %d", st)
	}
	// The participant writes this week's entry; naming another participant does nothing.
	st, body = b.post("/journal", url.Values{"week_start": {"2026-06-15"}, "a_week_summary": {"I went to the library club."}, "participant_id": {ben.ID}})
	if st != 200 || !strings.Contains(body, "Saved your journal for the week of Monday 15 June.") || !strings.Contains(body, "waiting for your coach") {
		t.Fatalf("save: %d", st)
	}
	es, _ := s.st.Journals.Journals(ctx, ann.ID)
	if len(es) != 1 || es[0].EnteredByKind != store.EnteredByParticipant || es[0].EnteredBy != ann.ID || es[0].ReviewedAt != nil {
		t.Fatalf("Ann's entries %+v", es)
	}
	if es, _ := s.st.Journals.Journals(ctx, ben.ID); len(es) != 1 || es[0].AnswersOf()["week_summary"] != "BEN-PRIVATE-WEEK" {
		t.Fatalf("Ben's entries changed: %+v", es)
	}
	if st, body := b.post("/journal", url.Values{"week_start": {"2026-06-22"}, "a_week_summary": {"x"}}); st != 422 || !strings.Contains(body, "nothing was saved") {
		t.Fatalf("a week not begun: %d", st)
	}

	// The participant's session reaches no staff page and no API.
	nr := b.noRedirect()
	for _, path := range []string{"/participants", "/participants/" + ann.ID, "/participants/" + ben.ID, "/cohorts/" + s.group.ID, "/audit", "/stipends"} {
		if st, h, _ := fetch(t, nr, "", "GET", s.srv.URL+path, "", nil); st != 303 || !strings.HasPrefix(h.Get("Location"), "/login") {
			t.Errorf("participant opens %s: %d %s", path, st, h.Get("Location"))
		}
	}
	if st, h, _ := fetch(t, nr, "", "POST", s.srv.URL+"/participants/"+ben.ID+"/journals", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"csrf": {b.csrf}, "week_start": {"2026-06-08"}, "a_week_summary": {"x"}}.Encode())); st != 303 || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Errorf("participant posts to a staff form: %d", st)
	}
	var sessTok string
	u, _ := url.Parse(s.srv.URL)
	for _, ck := range b.client.Jar.Cookies(u) {
		if ck.Name == "iml_participant_session" {
			sessTok = ck.Value
		}
	}
	if sessTok == "" {
		t.Fatal("no participant session cookie")
	}
	for _, path := range []string{"/api/v1/participants/" + ann.ID + "/journals", "/api/v1/participants/" + ben.ID + "/journals", "/api/v1/participants"} {
		if st, _, _ := fetch(t, nr, "", "GET", s.srv.URL+path, "", nil); st != 401 {
			t.Errorf("participant's cookie on %s: %d", path, st)
		}
		if st, _, _ := s.do(sessTok, "GET", path, "", nil); st != 401 {
			t.Errorf("participant's token as a bearer on %s: %d", path, st)
		}
	}

	// The coach sees who wrote it and reviews it.
	coach := s.browser("casey@example.org")
	_, body = coach.get("/participants/" + ann.ID + "?tab=journals")
	mustContain(t, "Ann's page", body, "Written by Ann Example (the participant)", "I went to the library club.", "not reviewed", "Sign-in name <strong>"+login+"</strong>: the participant fills in their journal themself")
	var entry map[string]any
	if st := s.call(s.casey, "POST", "/api/v1/participants/"+ann.ID+"/journals/2026-06-15/review", nil, &entry); st != 200 || entry["entered_by_kind"] != "participant" ||
		entry["entered_by_name"] != "Ann Example (the participant)" || entry["reviewed_by_name"] != "Casey" {
		t.Fatalf("review: %d %v", st, entry)
	}
	// Reviewed, the week can no longer be changed by the participant.
	_, body = b.get("/journal")
	mustContain(t, "after review", body, "Read by Casey on 20 June")
	// (The form opens on an older week the participant may still write.)
	if strings.Contains(body, `name="week_start" value="2026-06-15"`) {
		t.Error("the form is offered for a reviewed week")
	}
	if _, body := b.get("/journal?week=2026-06-15"); strings.Contains(body, `name="week_start" value="2026-06-15"`) {
		t.Error("the form opens on a reviewed week when asked for it")
	}
	if st, body := b.post("/journal", url.Values{"week_start": {"2026-06-15"}, "a_week_summary": {"changed"}}); st != 422 || !strings.Contains(body, "already reviewed") {
		t.Fatalf("change a reviewed week: %d", st)
	}
	log := s.audit(ann.ID)
	if countAudit(log, "the participant (own journal)", "record_own_journal") != 3 || countAudit(log, "Casey", "issue_journal_access") != 1 {
		t.Fatalf("audit %+v", log)
	}

	// Signing out ends the session; the PIN signs in again; five wrong PINs lock it.
	if st, body := b.post("/journal/logout", url.Values{}); st != 200 || !strings.Contains(body, "Sign in to your journal") {
		t.Fatalf("sign out: %d", st)
	}
	if st, h, _ := fetch(t, nr, "", "GET", s.srv.URL+"/journal", "", nil); st != 303 || h.Get("Location") != "/journal/login" {
		t.Fatalf("journal after signing out: %d", st)
	}
	if st, body := anon.fill("/journal/login", url.Values{"login": {login}, "pin": {"864213"}}); st != 200 || !strings.Contains(body, "My journal") {
		t.Fatalf("sign in with the PIN: %d", st)
	}
	fresh := s.newBrowser()
	for range auth.MaxFailures {
		if st, _ := fresh.fill("/journal/login", url.Values{"login": {login}, "pin": {"000000"}}); st != 401 {
			t.Fatalf("a wrong PIN: %d", st)
		}
	}
	if st, body := fresh.fill("/journal/login", url.Values{"login": {login}, "pin": {"864213"}}); st != 429 || !strings.Contains(body, "locked for 15 minutes") {
		t.Fatalf("after five wrong PINs: %d", st)
	}
	// The coach revokes the access: the participant's sessions end.
	if st := s.call(s.robin, "DELETE", "/api/v1/participants/"+ann.ID+"/journal-access", nil, nil); st != 403 {
		t.Fatalf("another coach revokes: %d", st)
	}
	if st := s.call(s.casey, "DELETE", "/api/v1/participants/"+ann.ID+"/journal-access", nil, nil); st != 204 {
		t.Fatalf("revoke: %d", st)
	}
	if st, h, _ := fetch(t, anon.noRedirect(), "", "GET", s.srv.URL+"/journal", "", nil); st != 303 || h.Get("Location") != "/journal/login" {
		t.Fatalf("a revoked session: %d", st)
	}
}

func TestJournalAccessOnTheParticipantPage(t *testing.T) {
	s := newMTSite(t)
	ann := s.members[0]
	coach := s.browser("casey@example.org")
	st, body := coach.get("/participants/" + ann.ID + "?tab=journals")
	if st != 200 {
		t.Fatalf("Ann's page: %d", st)
	}
	mustContain(t, "before", body, "has no access to fill in their journal themself", `id="issue-journal-access"`)
	// Post/Redirect/Get: the form answers 303 to the journals, never
	// with the code, nor with it in the address.
	st, h, raw := fetch(t, coach.noRedirect(), "", "POST", coach.base+"/participants/"+ann.ID+"/journal-access", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"csrf": {coach.csrf}}.Encode()))
	loc := h.Get("Location")
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/participants/"+ann.ID+"?tab=journals") || strings.Contains(string(raw), "issued-code") {
		t.Fatalf("issue on the page: %d to %q", st, loc)
	}
	st, page := coach.get(loc)
	login, code := between(page, `id="issued-login">`, "<"), between(page, `id="issued-code">`, "<")
	if st != 200 || len(login) != 8 || len(code) != 10 || strings.Contains(loc, code) {
		t.Fatalf("the page after the form: %d, issued %q %q", st, login, code)
	}
	// Shown once: reloading the page shows the state and how to get a
	// new code, not the code; and it issues nothing.
	_, again := coach.get(loc)
	if strings.Contains(again, code) || !strings.Contains(again, "waiting for the first sign-in") || !strings.Contains(again, `id="journal-access-shown"`) {
		t.Fatal("the start code is shown again, or the state or the way to a new code is missing")
	}
	_, body2 := coach.get("/participants/" + ann.ID + "?tab=journals")
	if strings.Contains(body2, code) || strings.Contains(body2, `id="journal-access-shown"`) {
		t.Fatal("the journals, opened anew, show the code or the note of the page after the form")
	}
	// Another staff session of the same coach is not shown the code.
	other := s.browser("casey@example.org")
	if _, body := other.post("/participants/"+ann.ID+"/journal-access", url.Values{}); !strings.Contains(body, `id="issued-code"`) {
		t.Fatal("a second issue does not show its code")
	}
	_, body3 := coach.get(loc)
	if strings.Contains(body3, `id="issued-code"`) {
		t.Fatal("the code issued in another session is shown in this one")
	}
	// The code shown last works for the participant's sign-in.
	_, body4 := coach.post("/participants/"+ann.ID+"/journal-access", url.Values{})
	login, code = between(body4, `id="issued-login">`, "<"), between(body4, `id="issued-code">`, "<")
	s.startJournal(login, code, "135791")
	// A coach who sees Ann but does not lead her group has no buttons, and is refused.
	var robin store.Coach
	s.must(s.st.DB.Where("name = ?", "Robin").First(&robin).Error)
	s.must(s.st.DB.Exec("UPDATE participants SET coach_id = ? WHERE id = ?", robin.ID, ann.ID).Error)
	rb := s.browser("robin@example.org")
	st, body = rb.get("/participants/" + ann.ID + "?tab=journals")
	if st != 200 || strings.Contains(body, `id="issue-journal-access"`) || !strings.Contains(body, "the participant fills in their journal themself") {
		t.Fatalf("Robin's view of Ann: %d", st)
	}
	if st, _ := rb.post("/participants/"+ann.ID+"/journal-access", url.Values{}); st != 403 {
		t.Fatalf("Robin issues: %d", st)
	}
	if st, body := coach.post("/participants/"+ann.ID+"/journal-access/revoke", url.Values{}); st != 200 || !strings.Contains(body, "access revoked") {
		t.Fatalf("revoke on the page: %d", st)
	}
}

// between is the text of s after start up to end.
func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}

// TestJournalAccessIssuedInParallel: the same form sent many times at
// once (a double click, a reloading browser) answers each with its
// redirect, never a failure; the participant keeps one access, and the
// page after shows a code only if it is the one that works.
func TestJournalAccessIssuedInParallel(t *testing.T) {
	s := newMTSite(t)
	ann := s.members[0]
	coach := s.browser("casey@example.org")
	client := coach.noRedirect()
	const n = 8
	sts := make(chan int, n)
	for range n {
		go func() {
			req, _ := http.NewRequest("POST", coach.base+"/participants/"+ann.ID+"/journal-access", strings.NewReader(url.Values{"csrf": {coach.csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := client.Do(req)
			if err != nil {
				sts <- 0
				return
			}
			resp.Body.Close()
			sts <- resp.StatusCode
		}()
	}
	for range n {
		if st := <-sts; st != http.StatusSeeOther {
			t.Errorf("a parallel issue answered %d", st)
		}
	}
	var rows int64
	s.must(s.st.DB.Model(&store.ParticipantAccount{}).Where("participant_id = ?", ann.ID).Count(&rows).Error)
	if rows != 1 {
		t.Fatalf("%d journal accounts for one participant", rows)
	}
	st, page := coach.get("/participants/" + ann.ID + "?tab=journals&journal_access=issued")
	if st != 200 {
		t.Fatalf("the page after: %d", st)
	}
	if code := between(page, `id="issued-code">`, "<"); code != "" {
		s.startJournal(between(page, `id="issued-login">`, "<"), code, "246802")
	} else if !strings.Contains(page, `id="journal-access-shown"`) {
		t.Fatal("the page after shows neither a code nor how to get one")
	}
}
