package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// TestQueryTakenAsMeant: an address whose query names a parameter twice,
// cannot be read (a semicolon), or holds a control character is refused
// with a clear 400 (problem+json for the API, a page for a page), never
// read as the first value or as no filter at all.
func TestQueryTakenAsMeant(t *testing.T) {
	h := newHub(t, dbtest.SQLitePath(t))
	org, err := affiliates.New(h.st).AddOrganization(context.Background(), "Query org", "peer_run", "VA")
	if err != nil {
		t.Fatal(err)
	}
	tok := staffTokens(t, h, org.ID)[store.RoleAnalyst]
	for _, q := range []string{"year=2026&year=2025", "org=x;y", "year=%zz"} {
		for _, path := range []string{"/api/v1/outcomes/report?", "/api/v1/outcomes/pom?"} {
			resp, b := h.do(t, request{method: http.MethodGet, path: path + q, header: map[string]string{"Authorization": "Bearer " + tok}})
			if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s%s: %d %s %s", path, q, resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
		}
	}
	resp, b := h.do(t, request{method: http.MethodGet, path: "/api/v1/outcomes/report?year=2026", header: map[string]string{"Authorization": "Bearer " + tok}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a good query: %d %s", resp.StatusCode, b)
	}
	resp, b = h.do(t, request{method: http.MethodGet, path: "/login?next=%2F&next=%2Fadmin"})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "appears more than once") {
		t.Fatalf("a page with a parameter twice: %d %s", resp.StatusCode, b)
	}
	// The API's form that sends a field twice is refused before any
	// handler reads it: the first value would be taken and the other
	// dropped.
	api := h.staff(t, "api@example.org", store.RoleAdmin, "")
	api["Content-Type"] = "application/x-www-form-urlencoded"
	resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/organizations", header: api,
		body: []byte("name=A&name=B&type=peer_run&state=VA")})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "was sent more than once") {
		t.Fatalf("an API form field sent twice: %d %s", resp.StatusCode, b)
	}
	// A page's form comes back with the message next to the field, and
	// saves nothing.
	cookie, csrf := h.pageLogin(t, "forms@example.org", store.RoleAdmin, "")
	resp, b = h.do(t, request{method: http.MethodPost, path: "/affiliates", header: map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
		body: []byte("csrf=" + csrf + "&name=Twice+House&name=Other+House&type=peer_run&state=VA")})
	if resp.StatusCode != http.StatusUnprocessableEntity || !fieldMarked(string(b), "name", "name", "Send this once") {
		t.Fatalf("a page's form field sent twice: %d %s", resp.StatusCode, b)
	}
	if os, _ := affiliates.New(h.st).FindOrganizations(context.Background(), affiliates.OrgFilter{}); len(os) != 1 {
		t.Fatalf("a form with a field twice saved: %d organizations", len(os))
	}
}
