package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
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
	if _, err := h.st.AddUser(context.Background(), "ana@example.org", "Ana", store.RoleAnalyst, "", staffPassword); err != nil {
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
	if _, err := h.st.AddUser(context.Background(), "ana@example.org", "Ana", store.RoleAnalyst, "", staffPassword); err != nil {
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
