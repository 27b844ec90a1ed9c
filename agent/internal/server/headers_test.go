package server_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/server"
)

// Every answer of the agent, pages (the anonymous survey and the
// participant's sign-in included), API answers and refusals alike, carries
// the security headers; only the static files may be cached, and HSTS is
// sent when the agent is served over HTTPS (secure cookies).
func TestSecurityHeaders(t *testing.T) {
	for _, secure := range []bool{false, true} {
		st := openStore(t, func() time.Time { return siteDay })
		srv := httptest.NewServer(server.New(server.Config{SecureCookies: secure}, st, slog.New(slog.DiscardHandler)).Handler())
		t.Cleanup(srv.Close)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, r := range []struct{ method, path, ctype, body string }{
			{"GET", "/setup", "", ""},
			{"GET", "/journal/login", "", ""},
			{"GET", "/survey", "", ""},
			{"GET", "/participants", "", ""}, // a redirect to the set-up
			{"GET", "/no-such-page", "", ""},
			{"GET", "/healthz", "", ""},
			{"GET", "/api/v1/participants", "", ""},
			{"POST", "/api/v1/auth/login", "application/json", `{"email":"x@example.org","password":"not a password!"}`},
			{"POST", "/api/v1/survey/responses", "application/json", `{}`},
			{"GET", "/static/style.css", "", ""},
		} {
			code, hd, _ := fetch(t, client, "", r.method, srv.URL+r.path, r.ctype, strings.NewReader(r.body))
			want := map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
			if r.path == "/static/style.css" {
				delete(want, "Cache-Control")
				if cc := hd.Get("Cache-Control"); cc == "no-store" || code != http.StatusOK {
					t.Errorf("the stylesheet: %d, Cache-Control %q", code, cc)
				}
			}
			if code >= 500 {
				t.Errorf("%s %s answered %d", r.method, r.path, code)
			}
			for k, v := range want {
				if hd.Get(k) != v {
					t.Errorf("%s %s (%d): %s is %q, want %q", r.method, r.path, code, k, hd.Get(k), v)
				}
			}
			if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s %s: Content-Security-Policy %q has no frame-ancestors 'none'", r.method, r.path, csp)
			}
			if got := hd.Get("Strict-Transport-Security"); (got != "") != secure {
				t.Errorf("%s %s with secure cookies %v: Strict-Transport-Security %q", r.method, r.path, secure, got)
			}
		}
	}
}
