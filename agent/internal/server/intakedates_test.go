package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/program"
)

// TestIntakeDatesThatCannotBeTrue: a consent or agreement date before the
// date of birth, or before 2000, is refused next to its field with what to
// do, and nothing changes; a change of date reads in words in the history.
func TestIntakeDatesThatCannotBeTrue(t *testing.T) {
	s := newSite(t)
	s.user("dir@example.org", "Dana Director", "director")
	p := s.participant("Ann") // born 3 Feb 1985, enrolled 12 Jan 2026
	b := s.browser("dir@example.org")
	for _, c := range []struct{ field, day, msg string }{
		{"agreement_signed_on", "1900-01-01", "Enter the date the agreement was signed: it cannot be before the date of birth, Sun 3 Feb 1985"},
		{"hospitalization_consent_on", "1985-02-02", "Enter the date the consent was given: it cannot be before the date of birth, Sun 3 Feb 1985"},
		{"agreement_signed_on", "1999-12-31", "Enter the date the agreement was signed: it cannot be before 2000"},
	} {
		f := intakeForm(p)
		f.Set(c.field, c.day)
		st, body := b.post("/participants/"+p.ID+"/intake", f)
		if st != 422 || !strings.Contains(body, `<span class="field-error" id="err-`+c.field+`">`+c.msg) || !strings.Contains(body, `href="#`+c.field+`"`) {
			t.Errorf("%s %s: %d, not refused next to the field with %q", c.field, c.day, st, c.msg)
		}
	}
	if got, _ := s.st.Participants.Participant(context.Background(), p.ID); got != p {
		t.Fatalf("a refused form changed the participant: %+v", got)
	}
	f := intakeForm(p)
	f.Set("agreement_signed_on", "2026-01-05")
	if st, body := b.post("/participants/"+p.ID+"/intake", f); st != 200 ||
		!strings.Contains(body, "<td>Enrollment agreement signed on</td><td>Mon 12 Jan 2026</td><td>Mon 5 Jan 2026</td>") {
		t.Fatalf("history of a date: %d, not in words", st)
	}

	// Interviews: not before the date of birth either, nor (but at
	// eligibility) before enrollment.
	form := func(tp, day string) url.Values {
		f := url.Values{"timepoint": {tp}, "interviewed_on": {day}}
		for _, it := range program.Default().Asked() {
			f.Set("a_"+it.Code, "present")
		}
		return f
	}
	st, body := b.post("/participants/"+p.ID+"/interviews", form("eligibility", "1980-01-01"))
	if st != 422 || !strings.Contains(body, "Enter the day of the interview: it cannot be before the date of birth, Sun 3 Feb 1985") {
		t.Errorf("an interview before birth: %d", st)
	}
	st, body = b.post("/participants/"+p.ID+"/interviews", form("midpoint", "2026-01-11"))
	if st != 422 || !strings.Contains(body, "Enter a day on or after the enrollment on Mon 12 Jan 2026") {
		t.Errorf("a midpoint interview before enrollment: %d", st)
	}
	if ivs, err := s.st.Participants.Interviews(context.Background(), p.ID); err != nil || len(ivs) != 0 {
		t.Errorf("refused interviews were saved: %v %v", ivs, err)
	}
}
