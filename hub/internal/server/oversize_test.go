package server_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
)

// TestHubOversizedFormsAndValues: a page's form over the limit gets a
// readable page, never an empty answer or a form taken as empty; a value
// far over its field's limit is not sent back whole.
func TestHubOversizedFormsAndValues(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		cookie, csrf := h.pageLogin(t, "admin@example.org", store.RoleAdmin, "")
		post := func(form url.Values) (*answer, string) {
			form.Set("csrf", csrf)
			resp, b := h.do(t, request{method: http.MethodPost, path: "/affiliates", body: []byte(form.Encode()),
				header: map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}})
			return resp, html.UnescapeString(string(b))
		}
		resp, page := post(url.Values{"name": {strings.Repeat("a", 13<<20)}, "type": {"church"}, "state": {"NC"}})
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(page, "The form is too large") || !strings.Contains(page, "larger than 8 MiB, so nothing was read or saved") {
			t.Fatalf("a 13 MiB form: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		resp, page = post(url.Values{"name": {strings.Repeat("a", 2<<20)}, "type": {"church"}, "state": {"NC"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !fieldMarked(page, "name", "name", "Enter at most 200 characters") {
			t.Fatalf("a 2 MiB name: %d", resp.StatusCode)
		}
		if strings.Contains(page, strings.Repeat("a", 10_001)) || !strings.Contains(page, `value="`+strings.Repeat("a", 10_000)+`"`) {
			t.Errorf("a 2 MiB name comes back whole (the page is %d bytes), or not cut to 10,000 characters", len(page))
		}
	})
}

// TestHubWholeNumberFields: a number a whole-number field cannot hold is a
// mistake in that field (422), said as a number out of its range is.
func TestHubWholeNumberFields(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		org, err := affiliates.New(h.st).AddOrganization(context.Background(), "Numbers org", "peer_run", "VA")
		if err != nil {
			t.Fatal(err)
		}
		trainer := bearerJSON(staffTokens(t, h, org.ID)[store.RoleTrainer])
		for _, n := range []string{"1.5", "1e3", "99999999999999999999"} {
			resp, b := h.do(t, request{method: http.MethodPost, path: "/api/v1/training-events", header: trainer,
				body: []byte(`{"title":"Spring","mode":"virtual","starts_on":"2026-04-01","ends_on":"2026-04-03","trainer":"Tess","capacity":` + n + `}`)})
			p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
			if len(p.Errors) != 1 || p.Errors[0].Field != "capacity" || p.Errors[0].Detail != "Enter a whole number from 1 to 1000" {
				t.Errorf("capacity %s: %s", n, b)
			}
		}
	})
}
