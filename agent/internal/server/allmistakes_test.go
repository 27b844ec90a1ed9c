package server_test

import (
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

// eligibilityMsgs are the four checklist messages, as they read next to
// their boxes and in the summary.
var eligibilityMsgs = map[string]string{
	"informed_consent":         "Tick this only if the person can give, and gives, informed consent: eligibility needs it",
	"manages_finances":         "Tick this only if the person can manage personal finances (the social stipend): eligibility needs it",
	"sets_goals":               "Tick this only if the person can set goals and action plans: eligibility needs it",
	"accepts_responsibilities": "Tick this only if the person accepts the participant responsibilities: eligibility needs it",
}

// TestIntakeShowsEveryMistakeAtOnce: a date refused does not hide the
// checklist's mistakes, on the page and through the API; each checklist
// message is a sentence saying what to do, not a label glued to one.
func TestIntakeShowsEveryMistakeAtOnce(t *testing.T) {
	s := newSite(t)
	_, tok := s.user("dir@example.org", "Dana Director", store.RoleDirector)
	b := s.browser("dir@example.org")
	for _, c := range []struct{ what, field, value, msg string }{
		{"future birth date", "birth_date", "2030-01-01", "Enter a date of birth from 1900 up to today"},
		{"bad enrollment date", "enrolled_on", "someday", "Enter the enrollment date as YYYY-MM-DD"},
		{"enrollment date too early", "enrolled_on", "1999-01-01", "Enter an enrollment date from 2000 up to a month ahead"},
	} {
		form := url.Values{"first_name": {"Ann"}, "last_name": {"Example"}, "birth_date": {"1985-02-03"}, "enrolled_on": {"2026-01-12"},
			"agreement_signed_on": {"2026-01-12"}, "coach_id": {"no-such-coach"}}
		form.Set(c.field, c.value)
		st, page := b.post("/participants", form)
		if st != 422 {
			t.Fatalf("%s: %d", c.what, st)
		}
		page = html.UnescapeString(page)
		fieldMarked(t, c.what, page, c.field, c.field, c.msg)
		fieldMarked(t, c.what, page, "coach_id", "coach_id", "Choose one of the site's coaches, or none")
		for f, msg := range eligibilityMsgs {
			fieldMarked(t, c.what, page, f, f, msg+".")
			if !strings.Contains(page, `id="err-`+f+`">`+msg+`<`) {
				t.Errorf("%s: the message next to %s is not %q", c.what, f, msg)
			}
		}
		for _, glued := range []string{"Informed consent the", "Manages finances the", "Sets goals the", "Accepts responsibilities the"} {
			if strings.Contains(page, glued) {
				t.Errorf("%s: a label glued to a message: %q", c.what, glued)
			}
		}

		body := intake("Ann")
		for f := range eligibilityMsgs {
			body[f] = false
		}
		body[c.field], body["coach_id"] = c.value, "no-such-coach"
		var prob problem
		if st := s.call(tok, "POST", "/api/v1/participants", body, &prob); st != 422 {
			t.Fatalf("%s, API: %d %s", c.what, st, prob.all())
		}
		if !prob.has(c.field, c.msg) || !prob.has("coach_id", "Choose one") {
			t.Errorf("%s, API: %s", c.what, prob.all())
		}
		for f, msg := range eligibilityMsgs {
			if !prob.has(f, msg) {
				t.Errorf("%s, API: no %s: %s", c.what, f, prob.all())
			}
		}
	}
}
