package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// Every answer of the hub, pages, API answers and refusals alike, carries
// the security headers; only the static files may be cached, and HSTS is
// sent when the hub is served over HTTPS (secure cookies).
func TestSecurityHeaders(t *testing.T) {
	for _, secure := range []bool{false, true} {
		h := newHubWith(t, dbtest.SQLitePath(t), func(string) server.Config { return server.Config{SecureCookies: secure} })
		for _, r := range []request{
			{method: http.MethodGet, path: "/login"},
			{method: http.MethodGet, path: "/verify"},
			{method: http.MethodGet, path: "/outcomes"}, // a redirect to the sign-in
			{method: http.MethodGet, path: "/no-such-page"},
			{method: http.MethodGet, path: "/healthz"},
			{method: http.MethodGet, path: "/api/v1/me"},
			{method: http.MethodPost, path: "/api/v1/auth/login", header: map[string]string{"Content-Type": "application/json"}, body: []byte(`{"email":"x@example.org","password":"not a password!"}`)},
			{method: http.MethodGet, path: "/api/v1/no-such-thing"},
			{method: http.MethodGet, path: "/static/style.css"},
		} {
			resp, _ := h.do(t, r)
			hd := resp.Header
			want := map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
			if r.path == "/static/style.css" {
				delete(want, "Cache-Control")
				if cc := hd.Get("Cache-Control"); cc == "no-store" {
					t.Errorf("the stylesheet is sent with Cache-Control %q", cc)
				}
			}
			for k, v := range want {
				if hd.Get(k) != v {
					t.Errorf("%s %s (%d): %s is %q, want %q", r.method, r.path, resp.StatusCode, k, hd.Get(k), v)
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
