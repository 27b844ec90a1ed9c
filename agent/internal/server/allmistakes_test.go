package server_test

import (
	"bytes"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

// eligibilityMsgs are the four checklist messages, as they read next to
// their boxes and in the summary.
var eligibilityMsgs = map[string]string{
	"informed_consent":         "Tick this only if the person can give, and gives, informed consent: eligibility needs it",
	"manages_finances":         "Tick this only if the person can manage personal finances (the social stipend): eligibility needs it",
	"sets_goals":               "Tick this only if the person can set goals and action plans: eligibility needs it",
	"accepts_responsibilities": "Tick this only if the person accepts the participant responsibilities: eligibility needs it",
}

// TestIntakeShowsEveryMistakeAtOnce: a date refused does not hide the
// checklist's mistakes, on the page and through the API; each checklist
// message is a sentence saying what to do, not a label glued to one.
func TestIntakeShowsEveryMistakeAtOnce(t *testing.T) {
	s := newSite(t)
	_, tok := s.user("dir@example.org", "Dana Director", store.RoleDirector)
	b := s.browser("dir@example.org")
	for _, c := range []struct{ what, field, value, msg string }{
		{"future birth date", "birth_date", "2030-01-01", "Enter a date of birth from 1900 up to today"},
		{"bad enrollment date", "enrolled_on", "someday", "Enter the enrollment date as YYYY-MM-DD"},
		{"enrollment date too early", "enrolled_on", "1999-01-01", "Enter an enrollment date from 2000 up to a month ahead"},
	} {
		form := url.Values{"first_name": {"Ann"}, "last_name": {"Example"}, "birth_date": {"1985-02-03"}, "enrolled_on": {"2026-01-12"},
			"agreement_signed_on": {"2026-01-12"}, "coach_id": {"no-such-coach"}}
		form.Set(c.field, c.value)
		st, page := b.post("/participants", form)
		if st != 422 {
			t.Fatalf("%s: %d", c.what, st)
		}
		page = html.UnescapeString(page)
		fieldMarked(t, c.what, page, c.field, c.field, c.msg)
		fieldMarked(t, c.what, page, "coach_id", "coach_id", "Choose one of the site's coaches, or none")
		for f, msg := range eligibilityMsgs {
			fieldMarked(t, c.what, page, f, f, msg+".")
			if !strings.Contains(page, `id="err-`+f+`">`+msg+`<`) {
				t.Errorf("%s: the message next to %s is not %q", c.what, f, msg)
			}
		}
		for _, glued := range []string{"Informed consent the", "Manages finances the", "Sets goals the", "Accepts responsibilities the"} {
			if strings.Contains(page, glued) {
				t.Errorf("%s: a label glued to a message: %q", c.what, glued)
			}
		}

		body := intake("Ann")
		for f := range eligibilityMsgs {
			body[f] = false
		}
		body[c.field], body["coach_id"] = c.value, "no-such-coach"
		var prob problem
		if st := s.call(tok, "POST", "/api/v1/participants", body, &prob); st != 422 {
			t.Fatalf("%s, API: %d %s", c.what, st, prob.all())
		}
		if !prob.has(c.field, c.msg) || !prob.has("coach_id", "Choose one") {
			t.Errorf("%s, API: %s", c.what, prob.all())
		}
		for f, msg := range eligibilityMsgs {
			if !prob.has(f, msg) {
				t.Errorf("%s, API: no %s: %s", c.what, f, prob.all())
			}
		}
	}
}

// importPage sends a file through the import page, as a browser does.
func (s *site) importPage(tok, kind, dryRun, file string) (int, string) {
	s.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("kind", kind)
	_ = w.WriteField("dry_run", dryRun)
	fw, _ := w.CreateFormFile("file", kind+".csv")
	_, _ = fw.Write([]byte(file))
	_ = w.Close()
	st, _, page := s.send(tok, http.MethodPost, "/import", w.FormDataContentType(), &buf)
	return st, html.UnescapeString(string(page))
}

// TestImportListsEveryProblem: a cell with a control character does not
// hide the other rows' problems; a line that is not CSV is said in words;
// counts are singular or plural as they should be.
func TestImportListsEveryProblem(t *testing.T) {
	s := newSite(t)
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)
	header := "first_name,last_name,birth_date,enrolled_on,agreement_signed_on,informed_consent,manages_finances,sets_goals,accepts_responsibilities,email\n"
	bad := header +
		"Avery,Stone,1980-02-03,2025-09-01,2025-09-01,yes,yes,yes,yes,\n" +
		"Sam,Reed,2030-01-01,2025-09-01,2025-09-01,yes,maybe,yes,yes,bad\n" +
		"Jo\x07,Lane,1981-02-03,2025-09-01,2025-09-01,yes,yes,yes,yes,\n"
	var prob problem
	st, _, body := s.do(dir, http.MethodPost, "/api/v1/import/participants", "text/csv", strings.NewReader(bad))
	if err := json.Unmarshal(body, &prob); st != 422 || err != nil {
		t.Fatalf("bad file: %d %s", st, body)
	}
	want := []string{"row 3.birth_date", "row 3.email", "row 3.manages_finances", "row 4.first_name"}
	var got []string
	for _, e := range prob.Errors {
		got = append(got, e.Field)
	}
	slices.Sort(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the problems listed are %v, want %v: %s", got, want, prob.all())
	}
	st, page := s.importPage(dir, "participants", "true", bad)
	mustContain(t, "page, bad file", page, "The file has 4 problems; nothing was imported.", "The file has 4 problems, listed below by row",
		"<td>3</td><td>email</td>", "<td>4</td><td>first_name</td><td>holds a control")
	if st != 422 || strings.Contains(page, "(s)") {
		t.Errorf("page, bad file: %d, or a count with (s)", st)
	}

	// One problem, one row: singular.
	one := header + "Avery,Stone,1980-02-03,2025-09-01,2025-09-01,yes,yes,yes,maybe,\n"
	_, page = s.importPage(dir, "participants", "true", one)
	mustContain(t, "page, one problem", page, "The file has 1 problem; nothing was imported.", "The file has 1 problem, listed below")
	good := header + "Avery,Stone,1980-02-03,2025-09-01,2025-09-01,yes,yes,yes,yes,\n"
	_, page = s.importPage(dir, "participants", "true", good)
	mustContain(t, "page, dry run", page, "1 participant checked:")
	_, page = s.importPage(dir, "participants", "false", good)
	mustContain(t, "page, import", page, "1 participant imported.")
	_, page = s.importPage(dir, "coaches", "false", "name\nCasey\nRobin\n")
	mustContain(t, "page, coaches", page, "2 coaches imported.")

	// A line that is not CSV, said in words, with the rows before it checked.
	for name, c := range map[string]struct{ file, want string }{
		"bare quote": {header + "Ann,Ex,1980-02-03,2025-09-01,2025-09-01,yes,yes,yes,no,\n" + `Jo,Ex"ample,1980-02-03,2025-09-01,2025-09-01,yes,yes,yes,yes,` + "\n",
			"Line 3 has a quote inside a field that is not in quotes: put the whole field in double quotes and double the quote inside it, or remove it"},
		"unclosed quote": {header + "Ann,Ex,1980-02-03,2025-09-01,2025-09-01,yes,yes,yes,no,\n" + `Jo,"Example,1980-02-03,2025-09-01` + "\n",
			"has a field in quotes that is not closed, or has text after its closing quote: end the field with a quote"},
	} {
		var prob problem
		st, _, body := s.do(dir, http.MethodPost, "/api/v1/import/participants", "text/csv", strings.NewReader(c.file))
		if err := json.Unmarshal(body, &prob); st != 422 || err != nil {
			t.Fatalf("%s: %d %s", name, st, body)
		}
		if !prob.has("row 2.accepts_responsibilities", "") || !prob.has("row 3", c.want) || strings.Contains(prob.all(), "parse error") {
			t.Errorf("%s: %s", name, prob.all())
		}
	}

	// The coaches' and the interviews' imports list every problem too.
	st, page = s.importPage(dir, "coaches", "true", "name,email\nCa\x07sey,casey@example.org\nRobin,bad\n")
	if st != http.StatusUnprocessableEntity {
		t.Errorf("coaches' import with problems: %d", st)
	}
	mustContain(t, "coaches", page, "The file has 2 problems;", "<td>2</td><td>name</td><td>holds a control", "<td>3</td><td>email</td>")
	cols := store.InterviewColumns(program.Default())
	row := func(first, date string) string {
		cells := []string{first, "Stone", "1980-02-03", "eligibility", date}
		for range program.Default().Asked() {
			cells = append(cells, "present")
		}
		return strings.Join(append(cells, "note"), ",") + "\n"
	}
	_, page = s.importPage(dir, "interviews", "true", strings.Join(cols, ",")+"\n"+row("Avery", "someday")+row("Av\x07ery", "2025-09-02"))
	mustContain(t, "interviews", page, "<td>2</td><td>interviewed_on</td>", "<td>3</td><td>first_name</td><td>holds a control")
}

// TestOversizedFormsAndValues: a body over the limit gets a readable page
// (a problem from the API), never an empty answer; a value far over its
// field's limit is not sent back whole in the form shown again.
func TestOversizedFormsAndValues(t *testing.T) {
	s := newSite(t)
	_, tok := s.user("dir@example.org", "Dana Director", store.RoleDirector)
	b := s.browser("dir@example.org")
	huge := url.Values{"first_name": {strings.Repeat("a", 13<<20)}, "csrf": {b.csrf}}
	st, h, page := b.send(http.MethodPost, "/participants", "application/x-www-form-urlencoded", strings.NewReader(huge.Encode()))
	if st != http.StatusRequestEntityTooLarge || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("a 13 MiB form: %d %q", st, h.Get("Content-Type"))
	}
	mustContain(t, "a 13 MiB form", html.UnescapeString(page), "The form is too large", "larger than 12 MiB, so nothing was read or saved")
	st, h, body := s.send(tok, http.MethodPost, "/api/v1/participants", "application/json", strings.NewReader(`{"first_name":"`+strings.Repeat("a", 13<<20)+`"}`))
	var p struct{ Type, Detail string }
	if err := json.Unmarshal(body, &p); st != http.StatusRequestEntityTooLarge || err != nil || p.Type != "urn:iml:problem:too-large" || h.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("a 13 MiB API body: %d %s %+v", st, h.Get("Content-Type"), p)
	}

	long := url.Values{"first_name": {strings.Repeat("a", 2<<20)}, "last_name": {"Example"}, "birth_date": {"1985-02-03"}, "enrolled_on": {"2026-01-12"},
		"agreement_signed_on": {"2026-01-12"}, "informed_consent": {"true"}, "manages_finances": {"true"}, "sets_goals": {"true"}, "accepts_responsibilities": {"true"}}
	st, page = b.post("/participants", long)
	if st != 422 {
		t.Fatalf("a 2 MiB first name: %d", st)
	}
	fieldMarked(t, "a 2 MiB first name", page, "first_name", "first_name", "Use at most 100 characters: this has 2097152")
	if strings.Contains(page, strings.Repeat("a", 10_001)) || !strings.Contains(page, `value="`+strings.Repeat("a", 10_000)+`"`) || len(page) > 200_000 {
		t.Errorf("a 2 MiB first name comes back whole (the page is %d bytes), or not cut to 10,000 characters", len(page))
	}
	// A value within the limit comes back as it was typed.
	long.Set("first_name", "Ann"+strings.Repeat("é", 200))
	if _, page = b.post("/participants", long); !strings.Contains(page, `value="Ann`+strings.Repeat("é", 200)+`"`) {
		t.Error("a 203-character first name is not kept as typed")
	}
}

// TestMethodNotAllowedType: a method an API address does not take has a
// problem type of its own; a page's, the error page.
func TestMethodNotAllowedType(t *testing.T) {
	s := newSite(t)
	_, tok := s.user("dir@example.org", "Dana Director", store.RoleDirector)
	st, h, body := s.send(tok, http.MethodDelete, "/api/v1/participants", "", nil)
	var p struct{ Type, Title string }
	if err := json.Unmarshal(body, &p); st != 405 || err != nil || p.Type != "urn:iml:problem:method-not-allowed" || p.Title != "Method Not Allowed" || h.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("DELETE /api/v1/participants: %d %s", st, body)
	}
	b := s.browser("dir@example.org")
	st, h, page := b.send(http.MethodDelete, "/participants", "", nil)
	if st != 405 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(page, "This page cannot be used that way.") {
		t.Fatalf("DELETE /participants: %d %s", st, h.Get("Content-Type"))
	}
}

// TestWholeNumberFields: a number a whole-number field cannot hold is a
// mistake in that field, said as a number out of its range is.
func TestWholeNumberFields(t *testing.T) {
	s := newSite(t)
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)
	in := store.ParticipantInput{FirstName: "Con", LastName: "Sent", BirthDate: "1985-02-03", EnrolledOn: "2026-01-12", InformedConsent: true, ManagesFinances: true,
		SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: "2026-01-12", HospitalizationConsentOn: "2026-01-12"}
	p, err := s.st.Participants.AddParticipant(t.Context(), in)
	s.must(err)
	for _, n := range []string{"-1", "1e3", "1.5", "99999999999999999999", "1001"} {
		var prob problem
		st, _, b := s.do(dir, http.MethodPut, "/api/v1/participants/"+p.ID+"/hospitalizations/before", "application/json", strings.NewReader(`{"before_count":`+n+`}`))
		if err := json.Unmarshal(b, &prob); st != 422 || err != nil || len(prob.Errors) != 1 || !prob.has("before_count", "Enter a whole number from 0 to 1000") {
			t.Errorf("before_count %s: %d %s", n, st, b)
		}
	}
}
