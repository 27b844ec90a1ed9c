package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
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
	p, err := s.st.AddParticipant(ctx, store.ParticipantInput{FirstName: "Ann", LastName: "Example", BirthDate: "1980-05-05", EnrolledOn: "2026-01-14",
		InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: "2026-01-14"})
	s.must(err)
	dirs, err := s.st.Users(ctx, store.RoleDirector)
	s.must(err)
	a, code, err := s.st.IssueJournalAccess(ctx, p.ID, dirs[0].ID)
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
