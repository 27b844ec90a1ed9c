package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestStartCohortFormErrors: the "Start a cohort" form states the limits
// of its text fields (and the browser keeps to them), and a mistake in any
// field it can report, a control character in the location or an unknown
// frequency among them, is shown next to the field, marked invalid, as
// well as in the summary; no cohort is started.
func TestStartCohortFormErrors(t *testing.T) {
	s := newMTSite(t)
	ctx := context.Background()
	b := s.browser("dir@example.org")
	st, page := b.get("/cohorts")
	if st != http.StatusOK {
		t.Fatalf("/cohorts: %d", st)
	}
	mustContain(t, "the empty form", page, `id="name-hint">(at most 200 characters)</small>`, `name="name" required maxlength="200"`,
		`id="location-hint">(at most 300 characters)</small>`, `name="location" maxlength="300"`)
	before, err := s.st.Cohorts.Cohorts(ctx, "")
	s.must(err)
	st, page = b.post("/cohorts", url.Values{"name": {strings.Repeat("n", 201)}, "model": {"peer_partners"}, "start_date": {"2026-06-01"},
		"coach_id": {s.group.CoachID}, "meeting_day": {"funday"}, "meeting_time": {"late"}, "frequency": {"hourly"}, "location": {"Hall\x07"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("a cohort with mistakes: %d", st)
	}
	fieldMarked(t, "cohort, name", page, "name", "name", "Use at most 200 characters")
	fieldMarked(t, "cohort, day", page, "meeting_day", "meeting_day", "Choose a day of the week")
	fieldMarked(t, "cohort, time", page, "meeting_time", "meeting_time", "Enter a time such as 18:30")
	fieldMarked(t, "cohort, frequency", page, "frequency", "frequency", "Choose weekly or every two weeks")
	fieldMarked(t, "cohort, location", page, "location", "location", uncleanMsg)
	st, page = b.post("/cohorts", url.Values{"name": {"Evening"}, "model": {"group"}, "start_date": {"June"}, "coach_id": {s.group.CoachID}, "location": {strings.Repeat("l", 301)}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("a cohort with other mistakes: %d", st)
	}
	fieldMarked(t, "cohort, model", page, "model", "model", "Choose Peer Partners or Social Explorations")
	fieldMarked(t, "cohort, start", page, "start_date", "start_date", "Enter a date such as 2026-03-04")
	fieldMarked(t, "cohort, long location", page, "location", "location", "Use at most 300 characters")
	mustContain(t, "cohort kept", page, `value="Evening"`)
	if after, _ := s.st.Cohorts.Cohorts(ctx, ""); len(after) != len(before) {
		t.Fatal("a refused cohort was started")
	}
}
