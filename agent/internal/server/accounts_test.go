package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

// signedIn tells whether the browser's session still opens a staff page.
func (b *browser) signedIn() bool {
	b.t.Helper()
	b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	defer func() { b.client.CheckRedirect = nil }()
	st, _ := b.get("/coaches")
	return st == 200
}

func TestDirectorManagesCoachAccounts(t *testing.T) {
	s := newSite(t)
	dir, _ := s.user("dir@example.org", "Dana Director", store.RoleDirector)
	b := s.browser("dir@example.org")
	ctx := context.Background()

	st, body := b.get("/accounts")
	if st != 200 {
		t.Fatalf("accounts page: %d", st)
	}
	mustContain(t, "accounts page", body, `id="accounts-table"`, "Dana Director", "Program Director", `id="add-account-form"`, `minlength="12" maxlength="72"`, "(12 to 72 characters)")

	// Validation: nothing added, each mistake next to its field.
	st, body = b.post("/accounts", url.Values{"name": {""}, "email": {"not an email"}, "password": {"short"}})
	if st != 422 {
		t.Fatalf("bad account: %d", st)
	}
	mustContain(t, "bad account", body, `id="error-summary"`, `href="#name"`, `href="#email"`, `href="#password"`, "Enter the person&#39;s name",
		"Use a password of 12 to 72 characters", `aria-invalid="true" aria-describedby="password-hint err-password"`, `value="not an email"`)
	if us, _ := s.st.AllUsers(ctx); len(us) != 1 {
		t.Fatalf("a refused form added an account: %d accounts", len(us))
	}

	// Adding: the coach signs in.
	st, body = b.post("/accounts", url.Values{"name": {"Casey Coach"}, "email": {"Casey@Example.org"}, "password": {password}})
	if st != 200 {
		t.Fatalf("add account: %d", st)
	}
	mustContain(t, "added", body, "The account was added", "casey@example.org", "Disable Casey Coach")
	coach := s.browser("casey@example.org")
	var casey store.User
	us, _ := s.st.AllUsers(ctx)
	for _, u := range us {
		if u.Email == "casey@example.org" {
			casey = u
		}
	}
	if casey.Role != store.RoleCoach {
		t.Fatalf("the new account: %+v", casey)
	}
	var tok struct{ Token string }
	if st := s.call("", "POST", "/api/v1/auth/login", map[string]string{"email": "casey@example.org", "password": password}, &tok); st != 200 {
		t.Fatalf("coach API sign-in: %d", st)
	}
	if st, _ := b.post("/accounts", url.Values{"name": {"Other"}, "email": {"casey@example.org"}, "password": {password}}); st != 422 {
		t.Errorf("the same email again: %d", st)
	}

	refusedAccountChanges(t, b, coach, dir.ID, casey.ID)

	disableAndNewPassword(t, s, b, coach, casey, tok.Token)
}

// refusedAccountChanges: a coach may not manage accounts; a form without
// its CSRF token, the director's own account and an account that is not
// there are refused; the coach's session goes on.
func refusedAccountChanges(t *testing.T, b, coach *browser, dirID, caseyID string) {
	t.Helper()
	dir := store.User{ID: dirID}
	casey := store.User{ID: caseyID}
	// A coach may not manage accounts.
	for _, try := range []func() int{
		func() int { st, _ := coach.get("/accounts"); return st },
		func() int {
			st, _ := coach.post("/accounts", url.Values{"name": {"X"}, "email": {"x@example.org"}, "password": {password}})
			return st
		},
		func() int { st, _ := coach.post("/accounts/"+dir.ID+"/disable", url.Values{}); return st },
		func() int {
			st, _ := coach.post("/accounts/"+casey.ID+"/password", url.Values{"password": {"another long password"}})
			return st
		},
	} {
		if st := try(); st != 403 {
			t.Errorf("a coach managing accounts: %d", st)
		}
	}
	// No CSRF token; the director's own account; no such account.
	if st, _, _ := b.send(http.MethodPost, "/accounts/"+casey.ID+"/disable", "application/x-www-form-urlencoded", strings.NewReader("")); st != 403 {
		t.Errorf("no CSRF token: %d", st)
	}
	if st, body := b.post("/accounts/"+dir.ID+"/disable", url.Values{}); st != 422 || !strings.Contains(body, "Only coach accounts") {
		t.Errorf("disabling the director: %d", st)
	}
	if st, _ := b.post("/accounts/nope/disable", url.Values{}); st != 404 {
		t.Errorf("no such account: %d", st)
	}
	if !coach.signedIn() {
		t.Fatal("a refused request ended the coach's session")
	}
}

// disableAndNewPassword: disabling ends the coach's sessions (browser and
// token) and sign-in, until enabled; a new password is checked, then ends
// the sessions, and only it signs in.
func disableAndNewPassword(t *testing.T, s *site, b, coach *browser, casey store.User, token string) {
	t.Helper()
	// Disabling ends the sessions (browser and token) and sign-in.
	st, body := b.post("/accounts/"+casey.ID+"/disable", url.Values{})
	if st != 200 || !strings.Contains(body, "The account was disabled") || !strings.Contains(body, "Enable Casey Coach") {
		t.Fatalf("disable: %d", st)
	}
	if coach.signedIn() {
		t.Error("the disabled coach's session goes on")
	}
	if st := s.call(token, "GET", "/api/v1/coaches", nil, nil); st != 401 {
		t.Errorf("the disabled coach's token: %d", st)
	}
	if st := s.call("", "POST", "/api/v1/auth/login", map[string]string{"email": "casey@example.org", "password": password}, nil); st != 401 {
		t.Errorf("the disabled coach signs in: %d", st)
	}
	if st, _ := b.post("/accounts/"+casey.ID+"/enable", url.Values{}); st != 200 {
		t.Fatalf("enable: %d", st)
	}
	coach = s.browser("casey@example.org")

	// A new password: checked, then the sessions end and only it works.
	if st, body := b.post("/accounts/"+casey.ID+"/password", url.Values{"password": {"short"}}); st != 422 || !strings.Contains(body, `id="pw-`+casey.ID+`-password"`) ||
		!strings.Contains(body, `href="#pw-`+casey.ID+`-password"`) || !strings.Contains(body, "<details open>") {
		t.Errorf("a short password: %d", st)
	}
	if !coach.signedIn() {
		t.Fatal("a refused password ended the session")
	}
	if st, body := b.post("/accounts/"+casey.ID+"/password", url.Values{"password": {"a brand new password"}}); st != 200 || !strings.Contains(body, "The password was set") {
		t.Fatalf("new password: %d", st)
	}
	if coach.signedIn() {
		t.Error("the session goes on after a new password")
	}
	if st := s.call("", "POST", "/api/v1/auth/login", map[string]string{"email": "casey@example.org", "password": password}, nil); st != 401 {
		t.Errorf("the old password: %d", st)
	}
	if st := s.call("", "POST", "/api/v1/auth/login", map[string]string{"email": "casey@example.org", "password": "a brand new password"}, nil); st != 200 {
		t.Errorf("the new password: %d", st)
	}
	if n := countAudit(s.audit(casey.ID), "Dana Director", "set_password") + countAudit(s.audit(casey.ID), "Dana Director", "disable_account"); n != 2 {
		t.Errorf("audit: %d lines", n)
	}
}

// TestAccountsHostileInput: control characters, huge values, duplicate
// keys and the same request many times at once.
func TestAccountsHostileInput(t *testing.T) {
	s := newSite(t)
	s.user("dir@example.org", "Dana Director", store.RoleDirector)
	b := s.browser("dir@example.org")
	if st, _ := b.post("/accounts", url.Values{"name": {"Eve\x1b[31m"}, "email": {"eve@example.org"}, "password": {password}}); st != 422 {
		t.Errorf("control character: %d", st)
	}
	if st, body := b.post("/accounts", url.Values{"name": {strings.Repeat("N", 5000)}, "email": {"n@example.org"}, "password": {strings.Repeat("p", 100000)}}); st != 422 ||
		!strings.Contains(body, "Use at most 200 characters: this has 5000") || !strings.Contains(body, "Use a password of 12 to 72 characters") {
		t.Errorf("huge values: %d", st)
	}
	if st, _ := b.post("/accounts", url.Values{"name": {"Ann", "Bob"}, "email": {"ann@example.org", "bob@example.org"}, "password": {password, "x"}}); st != 422 {
		t.Errorf("duplicate keys: %d, want 422", st)
	}
	var wg sync.WaitGroup
	codes := make(chan int, 12)
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := url.Values{"name": {"Pat Parallel"}, "email": {"pat@example.org"}, "password": {password}, "csrf": {b.csrf}}
			st, _, _ := fetch(t, b.client, "", http.MethodPost, b.base+"/accounts", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
			codes <- st
		}()
	}
	wg.Wait()
	close(codes)
	seen := map[int]int{}
	for c := range codes {
		seen[c]++
	}
	if seen[200] != 1 || seen[422] != 11 {
		t.Errorf("the same account added 12 times at once: %v", seen)
	}
	us, _ := s.st.AllUsers(context.Background())
	if len(us) != 2 {
		t.Errorf("accounts: %d, want the director and one Pat (duplicate keys are refused)", len(us))
	}
}
