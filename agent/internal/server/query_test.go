package server_test

import (
	"net/http"
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
}
