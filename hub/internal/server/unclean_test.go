package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
)

// TestControlCharactersComeBackInTheForm: a page's form with a control or
// invisible character in a field comes back as the same form (422) with
// the message saying which field to check, what else was typed kept, and
// nothing changed; the sign-in form too. The API refuses such a form with
// a problem naming the field.
func TestControlCharactersComeBackInTheForm(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		org, err := affiliates.New(h.st).AddOrganization(context.Background(), "Page org", "church", "NC")
		if err != nil {
			t.Fatal(err)
		}
		cookie, csrf := h.pageLogin(t, "admin@example.org", store.RoleAdmin, "")
		hdr := map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
		post := func(path string, v url.Values) (*answer, string) {
			t.Helper()
			v.Set("csrf", csrf)
			resp, b := h.do(t, request{method: http.MethodPost, path: path, header: hdr, body: []byte(v.Encode())})
			return resp, string(b)
		}
		before := h.state(t)
		for _, tc := range []struct {
			path    string
			form    url.Values
			message string
			kept    []string
		}{
			{"/training/people", url.Values{"name": {"Ann\x07 Lee"}, "email": {"ann@example.org"}, "org_id": {org.ID}, "role": {"coach"}},
				"Check the name and send the form again", []string{`value="Ann Lee"`, `value="ann@example.org"`}},
			{"/affiliates", url.Values{"name": {"Hope\x00 House"}, "type": {"church"}, "state": {"NC"}},
				"Check the name and send the form again", []string{`value="Hope House"`}},
			{"/training/events", url.Values{"title": {"Basics\u202e"}, "mode": {"in_person"}, "starts_on": {"2026-05-01"}, "ends_on": {"2026-05-02"}},
				"Check the title and send the form again", nil},
			{"/affiliates/" + org.ID + "/contacts", url.Values{"name": {"Dee"}, "email": {"dee@example.org"}, "role": {"director\x1b"}},
				"Check the role and send the form again", nil},
		} {
			resp, page := post(tc.path, tc.form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, tc.message) || !strings.Contains(page, `role="alert"`) {
				t.Errorf("POST %s: %d, the page does not say %q", tc.path, resp.StatusCode, tc.message)
			}
			for _, k := range tc.kept {
				if !strings.Contains(page, k) {
					t.Errorf("POST %s: the form does not keep %s", tc.path, k)
				}
			}
		}
		if after := h.state(t); !mapsEqual(before, after) {
			t.Fatal("a form with a control character changed the database")
		}

		// Sign-in: the form again, not a failure.
		resp := h.signInForm(t, url.Values{"email": {"admin@example.org\x07"}, "password": {staffPassword}, "next": {"/"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("sign-in with a bell: %d", resp.StatusCode)
		}

		// The API: a problem naming the field.
		api := h.staff(t, "api@example.org", store.RoleAdmin, "")
		api["Content-Type"] = "application/x-www-form-urlencoded"
		r, b := h.do(t, request{method: http.MethodPost, path: "/api/v1/organizations", header: api, body: []byte(url.Values{"name": {"Hope\x00"}}.Encode())})
		if p := wantProblem(t, r, b, http.StatusUnprocessableEntity, problem.TypeValidation); fieldNames(p) != "name" {
			t.Fatalf("the API names %q", fieldNames(p))
		}
	})
}
