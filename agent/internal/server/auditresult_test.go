package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

// TestAuditSaysWhetherAChangeWasDone: an intake change refused (a date
// that does not exist) and one done are each an audit line, the first
// marked refused with nothing changed and the second done, on the page
// and in the API; a view of the record is a line without a result.
func TestAuditSaysWhetherAChangeWasDone(t *testing.T) {
	s := newSite(t)
	s.user("dir@example.org", "Dana Director", store.RoleDirector)
	p := s.participant("Ann")
	b := s.browser("dir@example.org")
	bad := intakeForm(p)
	bad.Set("birth_date", "1990-02-30")
	if st, _ := b.post("/participants/"+p.ID+"/intake", bad); st != http.StatusUnprocessableEntity {
		t.Fatalf("a refused intake change: %d", st)
	}
	good := intakeForm(p)
	good.Set("phone", "555-0100")
	if st, _ := b.post("/participants/"+p.ID+"/intake", good); st != http.StatusOK {
		t.Fatalf("an intake change: %d", st)
	}
	st, page := b.get("/audit?participant=" + p.ID)
	if st != http.StatusOK {
		t.Fatalf("audit page: %d", st)
	}
	var done, refused int
	for _, row := range strings.Split(page, "<tr>")[1:] {
		if !strings.Contains(row, "Changed the participant") {
			continue
		}
		switch {
		case strings.Contains(row, "<td>Done</td>"):
			done++
		case strings.Contains(row, "<td>Refused: nothing was changed</td>"):
			refused++
		}
	}
	if done != 1 || refused != 1 {
		t.Errorf("audit page: %d changes done and %d refused, want 1 and 1", done, refused)
	}
	st, body := b.get("/api/v1/audit?participant=" + p.ID)
	var lines []struct {
		Action string `json:"action"`
		Status int    `json:"status"`
	}
	if st != http.StatusOK || json.Unmarshal([]byte(body), &lines) != nil {
		t.Fatalf("audit API: %d %s", st, body)
	}
	statuses := map[int]int{}
	for _, l := range lines {
		if l.Action == "update" {
			statuses[l.Status]++
		}
	}
	if statuses[http.StatusUnprocessableEntity] != 1 || statuses[http.StatusSeeOther] != 1 {
		t.Errorf("audit API statuses of the intake changes: %v, want one 422 and one 303", statuses)
	}
}
