package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
)

// queued counts the site's TA requests and its outbox entries.
func (s *site) queued() (requests, outbox int64) {
	s.t.Helper()
	s.must(s.st.DB.Table("ta_requests").Count(&requests).Error)
	s.must(s.st.DB.Table("sync_records").Count(&outbox).Error)
	return requests, outbox
}

// TestTARequestsOnTheAgent: the director raises a request through the API
// and the page (which warns not to name participants); it is queued, never
// written to the outbox; a coach cannot reach it; bad input is refused and
// stores nothing; the answer the pull brings shows on the request's page.
func TestTARequestsOnTheAgent(t *testing.T) {
	s := newSite(t)
	_, dir := s.user("director@example.org", "Dana", store.RoleDirector)
	_, coach := s.user("coach@example.org", "Cory", store.RoleCoach)
	in := map[string]string{"subject": "Recruiting in winter", "category": "recruitment", "text": "Attendance drops in January. What helps?"}

	var r store.TARequest
	if st := s.call(dir, http.MethodPost, "/api/v1/ta-requests", in, &r); st != http.StatusCreated {
		t.Fatalf("raise: %d", st)
	}
	if r.Status != store.TAQueued || r.SentAt != nil || !contract.ValidID(r.ID) || r.Body != in["text"] {
		t.Fatalf("raised %+v", r)
	}
	if reqs, outbox := s.queued(); reqs != 1 || outbox != 0 {
		t.Fatalf("%d requests, %d outbox entries: a TA request must not enter the outbox", reqs, outbox)
	}
	unsent, err := s.st.TA.UnsentTARequests(context.Background())
	if err != nil || len(unsent) != 1 || unsent[0].ID != r.ID {
		t.Fatalf("queue %+v %v", unsent, err)
	}

	for _, c := range []struct {
		body  map[string]string
		field string
	}{
		{map[string]string{"subject": "", "category": "recruitment", "text": "x"}, "subject"},
		{map[string]string{"subject": "x", "category": "weather", "text": "x"}, "category"},
		{map[string]string{"subject": "x", "category": "other", "text": "  "}, "text"},
		{map[string]string{"subject": strings.Repeat("s", 201), "category": "other", "text": "x"}, "subject"},
		{map[string]string{"subject": "x", "category": "other", "text": strings.Repeat("t", contract.MaxTATextRunes+1)}, "text"},
	} {
		var p problem
		if st := s.call(dir, http.MethodPost, "/api/v1/ta-requests", c.body, &p); st != http.StatusUnprocessableEntity || !p.has(c.field, "") {
			t.Fatalf("%v: %d %s", c.field, st, p.all())
		}
	}
	if st := s.call(dir, http.MethodPost, "/api/v1/ta-requests", map[string]any{"subject": "x", "nope": 1}, nil); st != http.StatusBadRequest {
		t.Fatalf("unknown field: %d", st)
	}
	if st := s.call(coach, http.MethodPost, "/api/v1/ta-requests", in, nil); st != http.StatusForbidden {
		t.Fatalf("a coach raised a request: %d", st)
	}
	if st := s.call(coach, http.MethodGet, "/api/v1/ta-requests/"+r.ID, nil, nil); st != http.StatusForbidden {
		t.Fatalf("a coach read a request: %d", st)
	}
	if st := s.call(dir, http.MethodGet, "/api/v1/ta-requests/no-such", nil, nil); st != http.StatusNotFound {
		t.Fatalf("unknown request: %d", st)
	}
	if reqs, _ := s.queued(); reqs != 1 {
		t.Fatalf("refused requests stored something: %d requests", reqs)
	}

	b := s.browser("director@example.org")
	_, page := b.get("/ta-requests")
	mustContain(t, "TA requests", page, "Do not name participants", "Recruiting in winter", "waiting to be sent")
	st, page := b.post("/ta-requests", url.Values{"subject": {"Stipend cards"}, "category": {"stipends"}, "text": {"Which prepaid cards do other sites use?"}})
	if st != http.StatusOK {
		t.Fatalf("raise from the page: %d", st)
	}
	mustContain(t, "the new request", page, "Stipend cards", "Which prepaid cards do other sites use?", "Not sent yet")
	st, page = b.post("/ta-requests", url.Values{"subject": {""}, "category": {"stipends"}, "text": {"x"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("empty subject from the page: %d", st)
	}
	mustContain(t, "an empty subject", page, "nothing was saved", "is required", `id="error-summary"`)
	if reqs, outbox := s.queued(); reqs != 2 || outbox != 0 {
		t.Fatalf("after the page: %d requests, %d outbox entries", reqs, outbox)
	}

	// Delivered, then answered: the pull's entries are stored once, in order.
	ctx := context.Background()
	s.must(s.st.TA.MarkTARequestSent(ctx, r.ID, contract.TAOpen))
	at := time.Date(2026, 6, 21, 14, 0, 0, 0, time.UTC)
	answered := contract.TAAnswerWire{Seq: 7, RequestID: r.ID, Status: contract.TAAnswered, Answer: "Hold meetings at the library.", AnsweredBy: "Tess", AnsweredAt: at}
	stale := contract.TAAnswerWire{Seq: 5, RequestID: r.ID, Status: contract.TAAssigned}
	unknown := contract.TAAnswerWire{Seq: 8, RequestID: "0190a4b2-0000-7000-8000-000000000000", Status: contract.TAClosed}
	n, err := s.st.TA.SaveTAAnswers(ctx, []contract.TAAnswerWire{answered, stale, unknown})
	if err != nil || n != 1 {
		t.Fatalf("saved %d answers, %v", n, err)
	}
	if n, _ := s.st.TA.SaveTAAnswers(ctx, []contract.TAAnswerWire{answered}); n != 0 {
		t.Fatalf("a repeated pull changed %d requests", n)
	}
	got, _ := s.st.TA.TARequestByID(ctx, r.ID)
	if got.Status != contract.TAAnswered || got.Answer != answered.Answer || got.AnsweredBy != "Tess" || got.AnsweredAt == nil || !got.AnsweredAt.Equal(at) {
		t.Fatalf("stored %+v", got)
	}
	if unsent, _ := s.st.TA.UnsentTARequests(ctx); len(unsent) != 1 || unsent[0].ID == r.ID {
		t.Fatalf("queue after delivery %+v", unsent)
	}
	_, page = b.get("/ta-requests/" + r.ID)
	mustContain(t, "the answered request", page, "Hold meetings at the library.", "answered", "Tess")
}

// TestTARequestLeavesPeopleOut: a request that names a participant of the
// site (in the subject or the question), or holds an exact date, a phone
// number, an email or a street address, is refused next to the field with
// what was found, through the page and the API, and nothing is queued; a
// request that describes the situation goes.
func TestTARequestLeavesPeopleOut(t *testing.T) {
	s := newSite(t)
	_, dir := s.user("director@example.org", "Dana", store.RoleDirector)
	p := s.participant("Skyler")
	name := p.FirstName + " " + p.LastName
	b := s.browser("director@example.org")
	for _, c := range []struct {
		field, subject, text, says string
	}{
		{"subject", "Help with " + name, "What do we do when someone stops coming?", "names \u201c" + name + "\u201d, a participant at this site"},
		{"text", "Attendance", p.FirstName + " has missed three meetings. What helps?", "names \u201c" + p.FirstName + "\u201d"},
		{"text", "Attendance", "Someone was hospitalized on 2026-12-03. What now?", "holds a date (\u201c2026-12-03\u201d)"},
		{"text", "Contact", "Their sister calls 555-0141 every day.", "holds a phone, ID or record number"},
		{"text", "Contact", "Write to them at someone@example.org please.", "holds an email address"},
		{"text", "Housing", "They moved to 554 Maple Street last week.", "holds a street address"},
		{"text", "Family", p.FirstName + "\u2019s mother calls the office.", "names \u201c" + p.FirstName + "\u201d"},
		{"text", "Family", strings.ToLower(p.FirstName+"-"+p.LastName) + " stopped coming.", "names \u201c" + name + "\u201d"},
		{"text", "Records", "Their record is " + p.ID + ".", "holds a record number"},
	} {
		st, page := b.post("/ta-requests", url.Values{"subject": {c.subject}, "category": {"other"}, "text": {c.text}})
		if st != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d", c.says, st)
		}
		fieldMarked(t, c.says, page, c.field, c.field, c.says)
		mustContain(t, c.says+", kept", page, "Leave people out of a request to the national office")
		var pr problem
		if st := s.call(dir, http.MethodPost, "/api/v1/ta-requests", map[string]string{"subject": c.subject, "category": "other", "text": c.text}, &pr); st != http.StatusUnprocessableEntity || !pr.has(c.field, c.says) {
			t.Fatalf("API, %s: %d %s", c.says, st, pr.all())
		}
	}
	if reqs, _ := s.queued(); reqs != 0 {
		t.Fatalf("%d requests queued that name or date someone", reqs)
	}
	// Written as a situation, it goes; a common word that is also part of
	// a name is not a name.
	st, _ := b.post("/ta-requests", url.Values{"subject": {"Attendance in winter"}, "category": {"other"}, "text": {"A participant has missed three meetings since last month. What helps?"}})
	if st != http.StatusOK { // the request's page, after the redirect
		t.Fatalf("a request without names: %d", st)
	}
	if reqs, _ := s.queued(); reqs != 1 {
		t.Fatalf("%d requests queued, want 1", reqs)
	}
}
