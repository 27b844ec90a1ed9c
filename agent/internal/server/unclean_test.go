package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

// uncleanMsg is the message next to a field that held a character no one
// types.
const uncleanMsg = "Check this text and send the form again: a hidden control or formatting character was taken out of it"

// TestControlCharactersComeBackInTheForm: a page's form with a control or
// invisible character in a field comes back as the same form (422), with
// what was typed kept (cleaned of the character), the field marked with
// a message that says what to do and that message in the summary, beside
// the form's other mistakes; nothing is saved. The API refuses the same
// form with a problem naming the field.
func TestControlCharactersComeBackInTheForm(t *testing.T) {
	s := newMTSite(t)
	ctx := context.Background()
	b := s.browser("dir@example.org")

	// A coach: the name with a bell, the email kept.
	coaches, err := s.st.Coaches.Coaches(ctx)
	s.must(err)
	st, page := b.post("/coaches", url.Values{"name": {"Sam\x07 Rivera"}, "email": {"sam@example.org"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("a coach with a bell: %d", st)
	}
	fieldMarked(t, "coach", page, "name", "name", uncleanMsg)
	mustContain(t, "coach kept", page, `value="Sam Rivera"`, `value="sam@example.org"`)
	if after, _ := s.st.Coaches.Coaches(ctx); len(after) != len(coaches) {
		t.Fatal("a refused coach was added")
	}

	// A participant: a NUL in the last name and a right-to-left override
	// in the first, with a mistake of another field shown beside them.
	ps, err := s.st.Participants.Participants(ctx)
	s.must(err)
	st, page = b.post("/participants", url.Values{"first_name": {"Ann\u202e"}, "last_name": {"Lee\x00"}, "birth_date": {"1990-02-30"},
		"enrolled_on": {"2026-01-12"}, "agreement_signed_on": {"2026-01-12"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("a participant with a NUL: %d", st)
	}
	fieldMarked(t, "participant, first name", page, "first_name", "first_name", uncleanMsg)
	fieldMarked(t, "participant, last name", page, "last_name", "last_name", uncleanMsg)
	mustContain(t, "participant kept", page, `value="Ann"`, `value="Lee"`, `value="2026-01-12"`, `aria-invalid="true" aria-describedby="err-birth_date`)
	if after, _ := s.st.Participants.Participants(ctx); len(after) != len(ps) {
		t.Fatal("a refused participant was added")
	}

	// A meeting's notes, on the cohort's page.
	path := "/cohorts/" + s.group.ID
	st, page = b.post(path+"/meetings", url.Values{"held_on": {"2026-06-16"}, "lesson_plan": {"tb_affirmations"}, "skills": {"affirmations"}, "notes": {"went \x1b[31mwell"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("a meeting with an escape: %d", st)
	}
	fieldMarked(t, "meeting", page, "notes", "meeting_notes", uncleanMsg)
	mustContain(t, "meeting kept", page, "went [31mwell")
	if ms, _ := s.st.Meetings.Meetings(ctx, s.group.ID, 0); len(ms) != 0 {
		t.Fatal("a refused meeting was stored")
	}

	// A participant's own journal, in their language.
	login, code := s.issueAccess(s.members[0])
	pb := s.startJournal(login, code, "135791")
	prompt := program.Default().JournalPrompts[0].Code
	st, page = pb.post("/journal?lang=es", url.Values{"week_start": {"2026-06-15"}, "a_" + prompt: {"bien\x07"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(page, "se le quitó un carácter de control") || !strings.Contains(page, `aria-invalid="true"`) || !strings.Contains(page, `id="error-summary"`) {
		t.Fatalf("the own journal with a bell: %d\n%s", st, page)
	}
	if es, _ := s.st.Journals.Journals(ctx, s.members[0].ID); len(es) != 0 {
		t.Fatal("a refused journal week was stored")
	}

	// The API: the same kind of form is a problem naming the field.
	st, h, body := fetch(t, http.DefaultClient, s.dir, "POST", s.srv.URL+"/api/v1/coaches", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"name": {"Sam\x07"}}.Encode()))
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	_ = json.Unmarshal(body, &p)
	if st != http.StatusUnprocessableEntity || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") || len(p.Errors) != 1 || p.Errors[0].Field != "name" {
		t.Fatalf("the API: %d %s %s", st, h.Get("Content-Type"), body)
	}
}

// TestControlCharactersInHostileForms: a file's name with a control
// character (a dry run, which writes nothing, too), a very long value
// with one, and such a value in a field sent twice: never a failure, the
// import page shows the mistake next to the file, and nothing changes.
func TestControlCharactersInHostileForms(t *testing.T) {
	s := newSite(t)
	s.user("dir@example.org", "Dana", store.RoleDirector)
	b := s.browser("dir@example.org")
	for _, dry := range []string{"true", "false"} {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		_ = w.WriteField("csrf", b.csrf)
		_ = w.WriteField("kind", "coaches")
		_ = w.WriteField("dry_run", dry)
		// The name as RFC 2231 has it sent: the character arrives decoded.
		fw, _ := w.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`form-data; name="file"; filename*=utf-8''coa%07ches.csv`}, "Content-Type": {"text/csv"}})
		_, _ = fw.Write([]byte("name,email\nCasey,casey@example.org\n"))
		_ = w.Close()
		st, _, page := b.send(http.MethodPost, "/import", w.FormDataContentType(), &buf)
		if st != http.StatusUnprocessableEntity {
			t.Fatalf("import of a file named with a bell (dry run %s): %d %s", dry, st, page)
		}
		fieldMarked(t, "import, file name", page, "file", "file", "Rename the file and choose it again")
	}
	long := strings.Repeat("x", 100_000) + "\x07"
	if st, page := b.post("/coaches", url.Values{"name": {long}, "email": {"sam@example.org"}}); st != http.StatusUnprocessableEntity || !strings.Contains(page, uncleanMsg) {
		t.Fatalf("a very long name with a bell: %d", st)
	}
	if st, page := b.post("/coaches", url.Values{"name": {"Sam\x07", "Sam"}}); st < 400 || st >= 500 || !strings.Contains(page, "error") {
		t.Fatalf("a name with a bell sent twice: %d", st)
	}
	if cs, _ := s.st.Coaches.Coaches(context.Background()); len(cs) != 0 {
		t.Fatalf("hostile forms added %d coaches", len(cs))
	}
	// Sign-in: the form again with the message, no session.
	st, page := s.newBrowser().fill("/login", url.Values{"email": {"dir@example.org\x07"}, "password": {password}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(page, uncleanMsg) || strings.Contains(page, `action="/logout"`) {
		t.Fatalf("sign-in with a bell: %d", st)
	}
}
