package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var onceInput = regexp.MustCompile(`name="once" value="([0-9a-f]{32})"`)

// TestSameFormSentManyTimes: the coach and participant forms as the pages
// show them (each with its own token), each sent 10 times at once (a
// double click, a resend), add one coach and one participant, and every
// answer is the page of the one added; the form shown again gives a new
// token, so a second coach of another name is added as usual.
func TestSameFormSentManyTimes(t *testing.T) {
	s := newMTSite(t)
	ctx := context.Background()
	b := s.browser("dir@example.org")
	token := func(path string) string {
		t.Helper()
		st, page := b.get(path)
		m := onceInput.FindStringSubmatch(page)
		if st != http.StatusOK || m == nil {
			t.Fatalf("GET %s: %d, no form token", path, st)
		}
		return m[1]
	}
	coaches, err := s.st.Coaches.Coaches(ctx)
	s.must(err)
	ps, err := s.st.Participants.Participants(ctx)
	s.must(err)
	for _, c := range []struct {
		page, action string
		form         url.Values
	}{
		{"/coaches", "/coaches", url.Values{"name": {"Sam Rivera"}, "email": {"sam.rivera@example.org"}}},
		{"/participants", "/participants", url.Values{"first_name": {"Parallel"}, "last_name": {"Person"}, "birth_date": {"1980-01-01"},
			"enrolled_on": {"2026-01-12"}, "agreement_signed_on": {"2026-01-12"}, "informed_consent": {"true"}, "manages_finances": {"true"},
			"sets_goals": {"true"}, "accepts_responsibilities": {"true"}}},
	} {
		c.form.Set("once", token(c.page))
		var wg sync.WaitGroup
		codes := make([]int, 10)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				form := url.Values{}
				for k, v := range c.form {
					form[k] = append([]string(nil), v...)
				}
				codes[i], _ = b.post(c.action, form)
			}()
		}
		wg.Wait()
		for i, st := range codes {
			if st != http.StatusOK {
				t.Errorf("%s sent 10 times, answer %d: %d (want the added page, after the redirect)", c.action, i, st)
			}
		}
	}
	if after, _ := s.st.Coaches.Coaches(ctx); len(after) != len(coaches)+1 {
		t.Errorf("the coach form sent 10 times added %d coaches", len(after)-len(coaches))
	}
	if after, _ := s.st.Participants.Participants(ctx); len(after) != len(ps)+1 {
		t.Errorf("the participant form sent 10 times added %d participants", len(after)-len(ps))
	}
	if st, _ := b.post("/coaches", url.Values{"name": {"Noor Haddad"}, "email": {"noor@example.org"}, "once": {token("/coaches")}}); st != http.StatusOK {
		t.Fatalf("a second coach from the form shown again: %d", st)
	}
	if after, _ := s.st.Coaches.Coaches(ctx); len(after) != len(coaches)+2 {
		t.Errorf("after a second coach: %d more, want 2", len(after)-len(coaches))
	}
}

// TestSameFormSentAgainChanged: the add-participant form sent, then
// edited and sent again with the same token (the browser's back button),
// is not taken for a repeat: the second answer is a 409 page that links
// to the participant the first saved and says the changes were not saved,
// and no one else is added; sent again as it first was, it is a repeat
// (the first's page, nothing added).
func TestSameFormSentAgainChanged(t *testing.T) {
	s := newMTSite(t)
	ctx := context.Background()
	b := s.browser("dir@example.org")
	st, page := b.get("/participants")
	m := onceInput.FindStringSubmatch(page)
	if st != http.StatusOK || m == nil {
		t.Fatalf("GET /participants: %d, no form token", st)
	}
	form := func(first string) url.Values {
		return url.Values{"first_name": {first}, "last_name": {"Person"}, "birth_date": {"1980-01-01"},
			"enrolled_on": {"2026-01-12"}, "agreement_signed_on": {"2026-01-12"}, "informed_consent": {"true"}, "manages_finances": {"true"},
			"sets_goals": {"true"}, "accepts_responsibilities": {"true"}, "once": {m[1]}}
	}
	before, err := s.st.Participants.Participants(ctx)
	s.must(err)
	if st, _ := b.post("/participants", form("Orla")); st != http.StatusOK {
		t.Fatalf("first sending: %d", st)
	}
	after, err := s.st.Participants.Participants(ctx)
	s.must(err)
	if len(after) != len(before)+1 {
		t.Fatalf("first sending added %d participants", len(after)-len(before))
	}
	var orla string
	for _, p := range after {
		if p.FirstName == "Orla" {
			orla = p.ID
		}
	}
	st, page = b.post("/participants", form("Pavel"))
	if st != http.StatusConflict {
		t.Errorf("sent again with another name: %d, want 409", st)
	}
	mustContain(t, "the form sent again changed", page, `href="/participants/`+orla+`?added=1"`, "This form was already sent and saved",
		"What you changed since was not saved: open the form again and send your changes.")
	if strings.Contains(page, "Pavel") {
		t.Errorf("the page of the changed form shows the name that was not saved")
	}
	again, err := s.st.Participants.Participants(ctx)
	s.must(err)
	if len(again) != len(after) {
		t.Errorf("the changed form added %d participants", len(again)-len(after))
	}
	for _, p := range again {
		if p.FirstName == "Pavel" {
			t.Errorf("the changed form saved Pavel")
		}
	}
	st, page = b.post("/participants", form("Orla"))
	if st != http.StatusOK || !strings.Contains(page, "Orla") {
		t.Errorf("sent again unchanged: %d, want the first's page", st)
	}
	if last, _ := s.st.Participants.Participants(ctx); len(last) != len(after) {
		t.Errorf("the form sent again unchanged added %d participants", len(last)-len(after))
	}
}
