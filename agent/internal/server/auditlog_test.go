package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAuditLogInWords: the audit page says what was done in words and
// whom it was about by name (a participant) or email (an account), never
// an action's code or an id; the API keeps the codes and adds the words.
func TestAuditLogInWords(t *testing.T) {
	s := newMTSite(t)
	b := s.browser("dir@example.org")
	ann := s.members[0]
	for _, path := range []string{"/accounts/" + s.caseyUser.ID + "/disable", "/accounts/" + s.caseyUser.ID + "/enable"} {
		if st, _ := b.post(path, url.Values{}); st != http.StatusOK {
			t.Fatalf("POST %s: %d", path, st)
		}
	}
	if st, _ := b.get("/participants/" + ann.ID); st != http.StatusOK {
		t.Fatalf("Ann's page: %d", st)
	}
	st, page := b.get("/audit")
	if st != http.StatusOK {
		t.Fatalf("the audit page: %d", st)
	}
	mustContain(t, "audit page", page, "Enabled an account", "Disabled an account", "Account "+s.caseyUser.Email,
		"Viewed the participant&#39;s record", ">"+ann.FirstName+" "+ann.LastName+"</a>", `<th scope="col">About</th>`)
	for _, raw := range []string{"enable_account", "disable_account", ">view<", ">" + s.caseyUser.ID + "<", ">" + ann.ID + "<"} {
		if strings.Contains(page, raw) {
			t.Errorf("the audit page shows %q", raw)
		}
	}
	if _, one := b.get("/audit?participant=" + ann.ID); !strings.Contains(one, "Showing "+ann.FirstName+" "+ann.LastName) || strings.Contains(one, "Enabled an account") {
		t.Error("the audit page of one participant does not name them, or shows other lines")
	}
	var raw []map[string]any
	s.call(s.dir, "GET", "/api/v1/audit", nil, &raw)
	found := false
	for _, e := range raw {
		if e["action"] == "enable_account" && e["action_label"] == "Enabled an account" && e["subject_name"] == s.caseyUser.Email {
			found = true
		}
	}
	if !found {
		t.Fatalf("the API has no labelled line for the enabled account: %+v", raw)
	}
}
