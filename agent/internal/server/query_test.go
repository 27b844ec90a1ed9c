package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

// TestQueryTakenAsMeant: at the site too, an address whose query names a
// parameter twice, cannot be read or holds a control character is refused
// with a clear 400, for the API and for a page, and changes nothing.
func TestQueryTakenAsMeant(t *testing.T) {
	s := newSite(t)
	_, tok := s.user("dir@example.org", "Dana", store.RoleDirector)
	for _, q := range []string{"status=active&status=withdrawn", "q=a;b", "q=%zz"} {
		st, hdr, b := s.send(tok, http.MethodGet, "/api/v1/participants?"+q, "", nil)
		if st != http.StatusBadRequest || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s %s", q, st, hdr.Get("Content-Type"), b)
		}
	}
	if st, _, b := s.do(tok, http.MethodGet, "/api/v1/participants?status=active", "", nil); st != http.StatusOK {
		t.Fatalf("a good query: %d %s", st, b)
	}
	b := s.browser("dir@example.org")
	st, page := b.get("/participants?sort=name&sort=coach")
	if st != http.StatusBadRequest || !strings.Contains(page, "appears more than once") {
		t.Fatalf("a page with a parameter twice: %d", st)
	}
	// A form that sends a field twice is refused whole, nothing changed,
	// unless the form says so next to the field itself.
	p := s.participant("Twice")
	f := url.Values{"first_name": {"Ana", "Bea"}, "last_name": {"Twice"}}
	st, page = b.post("/participants/"+p.ID+"/intake", f)
	if st != http.StatusBadRequest || !strings.Contains(page, "was sent more than once") {
		t.Fatalf("intake with a field twice: %d", st)
	}
	ps, err := s.st.Participants.Participants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range ps {
		if q.ID == p.ID && q.FirstName != p.FirstName {
			t.Fatalf("the intake changed to %q", q.FirstName)
		}
	}
}
