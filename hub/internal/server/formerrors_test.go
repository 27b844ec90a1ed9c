package server_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
)

// fieldMarked reports whether a page shows a form's mistake the one way:
// the summary at the top links to the field's element (id), the element
// is marked aria-invalid and names its message (err-field) in
// aria-describedby, and the message, holding msg, stands next to it.
func fieldMarked(page, id, field, msg string) bool {
	if !strings.Contains(page, `id="error-summary"`) || !strings.Contains(page, `<a href="#`+id+`">`) {
		return false
	}
	tag := regexp.MustCompile(`<(?:input|select|textarea|button)\b[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(page)
	if !strings.Contains(tag, `aria-invalid="true"`) || !regexp.MustCompile(`aria-describedby="[^"]*\berr-`+regexp.QuoteMeta(field)+`\b`).MatchString(tag) {
		return false
	}
	i := strings.Index(page, `<span class="field-error" id="err-`+field+`">`)
	if i < 0 {
		return false
	}
	end := strings.Index(page[i:], "</span>")
	return end > 0 && strings.Contains(html.UnescapeString(page[i:i+end]), msg)
}

// TestHubFormsShowTheirMistakesNextToTheField: a page's form sent with a
// mistake (an empty required field, a value too long, a date that is not
// one, a control character, a field twice) comes back with status 422, a
// summary linking to the field, the field marked with its message next
// to it, what was typed kept, and nothing saved, on every capability's
// forms and both databases.
func TestHubFormsShowTheirMistakesNextToTheField(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		cookie, csrf := h.pageLogin(t, "admin@example.org", store.RoleAdmin, "")
		target, err := staff.New(h.st).AddUser(context.Background(), "target@example.org", "Target", store.RoleAnalyst, "", staffPassword)
		if err != nil {
			t.Fatal(err)
		}
		org, err := affiliates.New(h.st).AddOrganization(context.Background(), "Forms org", "peer_run", "VA")
		if err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("a", 201)
		before := h.state(t)
		for _, tc := range []struct {
			name, path     string
			form           url.Values
			id, field, msg string
			kept           []string
		}{
			{"organization without a name", "/affiliates", url.Values{"name": {""}, "type": {"church"}, "state": {"NC"}},
				"name", "name", "Enter a name", []string{`value="NC"`, `<option value="church" selected>`}},
			{"organization name too long", "/affiliates", url.Values{"name": {long}, "type": {"peer_run"}, "state": {"VA"}},
				"name", "name", "Enter at most 200 characters", []string{`value="` + long + `"`}},
			{"organization first inquiry not a date", "/affiliates", url.Values{"name": {"Dated House"}, "type": {"peer_run"}, "state": {"VA"}, "since": {"2026-02-30"}},
				"since", "since", "Enter a date", []string{`value="Dated House"`}},
			{"contact with a bad email", "/affiliates/" + org.ID + "/contacts", url.Values{"name": {"Dee"}, "role": {"Director"}, "email": {"dee"}},
				"c-email", "email", "Enter an email address", []string{`value="Dee"`, `value="Director"`, `value="dee"`}},
			{"contact role with a control character", "/affiliates/" + org.ID + "/contacts", url.Values{"name": {"Dee"}, "role": {"Direc\x1btor"}, "email": {"dee@example.org"}},
				"c-role", "role", "Check the role", []string{`value="dee@example.org"`, `value="Director"`}},
			{"profile sent with the name twice", "/affiliates/" + org.ID, url.Values{"name": {"One", "Two"}, "type": {"peer_run"}, "state": {"VA"}},
				"p-name", "name", "Send this once", nil},
			{"TA contact on a day that is not one", "/affiliates/" + org.ID + "/ta-contacts", url.Values{"on": {"2026-13-01"}, "mode": {"video"}, "minutes": {"45"}, "notes": {"Talked it over"}},
				"t-on", "on", "Enter a date", []string{`>Talked it over</textarea>`, `value="45"`, `<option value="video" selected>`}},
			{"training without a title", "/training/events", url.Values{"title": {""}, "mode": {"virtual"}, "starts_on": {"2026-04-01"}, "trainer": {"Tess"}, "capacity": {"12"}},
				"ev-title", "title", "Enter the title", []string{`value="Tess"`, `value="2026-04-01"`, `value="12"`}},
			{"training on a day that is not one", "/training/events", url.Values{"title": {"Basics"}, "mode": {"virtual"}, "starts_on": {"2026-02-30"}, "trainer": {"Tess"}, "capacity": {"12"}},
				"ev-start", "starts_on", "Enter a date", []string{`value="Basics"`, `value="2026-02-30"`}},
			{"person with a bad email", "/training/people", url.Values{"name": {"Casey"}, "email": {"casey"}, "org_id": {org.ID}, "role": {"director"}},
				"person-email", "email", "Enter an email address", []string{`value="Casey"`, `<option value="director" selected>`}},
			{"draft with a bad version", "/kits/drafts", url.Values{"version": {"a b"}},
				"version", "version", "without spaces", []string{`value="a b"`}},
			{"role that is not one", "/admin/users/" + target.ID + "/roles", url.Values{"role": {"boss"}, "org_id": {""}},
				"role-" + target.ID, "role", "Choose one of", nil},
		} {
			tc.form.Set("csrf", csrf)
			resp, b := h.do(t, request{method: http.MethodPost, path: tc.path, body: []byte(tc.form.Encode()),
				header: map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}})
			page := string(b)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d, want 422", tc.name, resp.StatusCode)
				continue
			}
			if !fieldMarked(page, tc.id, tc.field, tc.msg) {
				t.Errorf("%s: the field %s is not shown with %q:\n%s", tc.name, tc.id, tc.msg, page)
			}
			for _, k := range tc.kept {
				if !strings.Contains(page, k) {
					t.Errorf("%s: the form does not keep %s", tc.name, k)
				}
			}
		}
		if after := h.state(t); !mapsEqual(before, after) {
			t.Fatal("a refused form changed the database")
		}

		// A search (a GET form) shows its mistakes the same way, with
		// what was typed.
		resp, b := h.do(t, request{method: http.MethodGet, path: "/admin/audit?actor=someone&from=2026-02-30", header: map[string]string{"Cookie": cookie}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !fieldMarked(string(b), "from", "from", "Enter a date") || !strings.Contains(string(b), `value="someone"`) {
			t.Errorf("audit search with a bad date: %d", resp.StatusCode)
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: "/outcomes?year=1900", header: map[string]string{"Cookie": cookie}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !fieldMarked(string(b), "f-year", "year", "Enter an enrollment year") || !strings.Contains(string(b), `value="1900"`) {
			t.Errorf("outcomes filter with a bad year: %d", resp.StatusCode)
		}

		// The sign-in form: a control character is named next to its field.
		resp = h.signInForm(t, url.Values{"email": {"admin@example.org\x07"}, "password": {staffPassword}, "next": {"/"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !fieldMarked(string(resp.Body), "email", "email", "Check the email") {
			t.Errorf("sign-in with a bell: %d", resp.StatusCode)
		}
	})
}
