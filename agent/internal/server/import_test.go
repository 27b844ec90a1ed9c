package server_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

func TestImportThroughTheAPIAndThePage(t *testing.T) {
	s := newSite(t)
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)
	_, coach := s.user("casey@example.org", "Casey", store.RoleCoach)
	csv := "first_name,last_name,birth_date,enrolled_on,agreement_signed_on,informed_consent,manages_finances,sets_goals,accepts_responsibilities\n" +
		"Avery,Stone,1980-02-03,2025-09-01,2025-09-01,yes,yes,yes,yes\n" +
		"Sam,Reed,2010-01-01,2025-09-01,2025-09-01,yes,maybe,yes,yes\n"
	post := func(tok, body string) (int, string) {
		st, _, b := s.do(tok, http.MethodPost, "/api/v1/import/participants", "text/csv", strings.NewReader(body))
		return st, string(b)
	}
	if st, _ := post(coach, csv); st != 403 {
		t.Fatalf("a coach imported: %d", st)
	}
	st, body := post(dir, csv)
	if st != 422 || !strings.Contains(body, `"row 3.manages_finances"`) {
		t.Fatalf("bad file: %d %s", st, body)
	}
	if ps, _ := s.st.Participants.Participants(t.Context()); len(ps) != 0 {
		t.Fatal("a refused file imported someone")
	}
	good := csv[:strings.LastIndex(strings.TrimRight(csv, "\n"), "\n")+1]
	if st, body := post(dir, good); st != 200 || !strings.Contains(body, `"imported":1`) {
		t.Fatalf("good file: %d %s", st, body)
	}
	if log, err := s.st.AuditLog(t.Context(), store.AuditFilter{}); err != nil || len(log) == 0 || log[0].Action != "import_participants" || log[0].Detail != "1 imported" {
		t.Fatalf("the import was not audited: %+v %v", log, err)
	}

	// The page: multipart upload with the session's CSRF token.
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("kind", "coaches")
	_ = w.WriteField("dry_run", "true")
	fw, _ := w.CreateFormFile("file", "coaches.csv")
	_, _ = fw.Write([]byte("name,email\nCasey,casey@example.org\n"))
	_ = w.Close()
	st, _, page := s.send(dir, http.MethodPost, "/import", w.FormDataContentType(), &buf)
	if st != 200 || !strings.Contains(string(page), "1 coach checked") {
		t.Fatalf("page dry run: %d", st)
	}
	if cs, _ := s.st.Coaches.Coaches(t.Context()); len(cs) != 0 {
		t.Fatal("a dry run imported a coach")
	}
}
