package server_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestLeaveCohortOnThePage: the director records on the cohort's page
// that a member left (the date today unless changed); a leaving date in
// the future or before they joined is refused next to the field, on the
// page and through the API, and changes nothing; once recorded, the page
// says what changed and the participant reads "ended early".
func TestLeaveCohortOnThePage(t *testing.T) {
	hs := newHomeSite(t)
	s := hs.site
	b := s.browser("dir@example.org")
	page := "/cohorts/" + hs.cohort.ID
	st, body := b.get(page)
	if st != 200 || !strings.Contains(body, `action="`+page+`/members/`+hs.mia.ID+`/leave"`) ||
		!strings.Contains(body, `id="left_on_`+hs.mia.ID+`" name="left_on" type="date" required max="2026-06-17" value="2026-06-17"`) {
		t.Fatalf("the cohort page has no form to record that Mia left: %d", st)
	}
	status := func() string {
		t.Helper()
		got, _ := listed(t, b, "?q=okafor")
		return strings.Join(got, ";")
	}
	// Her profile names the coach the list shows: her cohort's, who leads her.
	profile := "/participants/" + hs.mia.ID
	if st, body := b.get(profile); st != 200 || !strings.Contains(body, `id="profile-coach">Casey Coach <span class="muted">(the coach of their cohort, who leads them)</span>`) ||
		!strings.Contains(body, `<dd id="profile-status"><span class="badge ok">active</span>`) || !strings.Contains(body, `>Thursday group</a></dd>`) {
		t.Fatalf("Mia's profile does not name her cohort's coach: %d", st)
	}
	if got, _ := listed(t, b, "?q=okafor&coach="+hs.coachRec.ID); strings.Join(got, ";") != "Okafor, Mia (active)" {
		t.Fatalf("the list by coach: %v", got)
	}
	leave := page + "/members/" + hs.mia.ID + "/leave"
	for _, c := range []struct{ day, msg string }{
		{"2030-01-01", "The day they left cannot be in the future: record that they left once they have, on the day they left (at the latest today, Wed 17 Jun 2026)."},
		{"2026-06-18", "cannot be in the future"},
		{"2025-12-10", "This day is before they joined the cohort on Thu 11 Dec 2025: enter that day or a later one."},
		{"soon", "Enter a date such as 2026-03-04"},
	} {
		st, body := b.post(leave, url.Values{"left_on": {c.day}})
		if st != 422 || !strings.Contains(body, "their leaving was not recorded") || !strings.Contains(body, `id="err-left_on"`) ||
			!strings.Contains(body, c.msg) || !strings.Contains(body, `value="`+c.day+`" aria-invalid="true"`) {
			t.Errorf("left on %s: %d, not refused next to the field with %q", c.day, st, c.msg)
		}
	}
	// Joining before enrolling cannot be true either.
	if st, body := b.post(page+"/members", url.Values{"participant_id": {hs.eli.ID}, "joined_on": {"2026-05-31"}}); st != 422 ||
		!strings.Contains(body, "is before Eli Nakamura enrolled on Mon 1 Jun 2026: enter that day or a later one") {
		t.Fatalf("joined before enrolling: %d", st)
	}
	var prob problem
	if st := s.call(hs.dir, "POST", "/api/v1/cohorts/"+hs.cohort.ID+"/members/"+hs.mia.ID+"/leave", map[string]string{"left_on": "2030-01-01"}, &prob); st != 422 || !prob.has("left_on", "cannot be in the future") {
		t.Fatalf("API, left in 2030: %d %s", st, prob.all())
	}
	if st := s.call(hs.dir, "POST", "/api/v1/cohorts/"+hs.cohort.ID+"/members/"+hs.mia.ID+"/leave", map[string]string{"left_on": "2025-01-01"}, &prob); st != 422 || !prob.has("left_on", "before they joined") {
		t.Fatalf("API, left before joining: %d %s", st, prob.all())
	}
	if got := status(); got != "Okafor, Mia (active)" {
		t.Fatalf("after the refusals: %s", got)
	}
	st, body = b.post(leave, url.Values{"left_on": {"2026-06-17"}})
	if st != 200 || !strings.Contains(body, "Recorded: Mia Okafor left this cohort on Wed 17 Jun 2026.") || strings.Contains(body, `action="`+leave+`"`) {
		t.Fatalf("record that Mia left: %d", st)
	}
	if got := status(); got != "Okafor, Mia (ended early)" {
		t.Fatalf("after leaving: %s", got)
	}
	if st, body := b.get(profile); st != 200 || !strings.Contains(body, `<dd id="profile-status"><span class="badge bad">ended early</span>`) ||
		!strings.Contains(body, `id="profile-cohort">none</dd>`) || !strings.Contains(body, `id="profile-coach">not chosen yet`) {
		t.Fatalf("Mia's profile after leaving: %d", st)
	}
	if st := s.call(hs.dir, "POST", "/api/v1/cohorts/"+hs.cohort.ID+"/members/"+hs.mia.ID+"/leave", map[string]string{"left_on": "2026-06-17"}, nil); st != 404 {
		t.Fatalf("left twice: %d", st)
	}
}
