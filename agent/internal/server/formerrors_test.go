package server_test

import (
	"context"
	"github.com/itsmylife/iml/pkg/program"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/store"
)

// fieldMarked checks a form shown again with a mistake in field: the
// element with id carries aria-invalid and names the message (err-field)
// in aria-describedby, the message sits next to it, and the summary at the
// top (with the focus) links to it with the message.
func fieldMarked(t *testing.T, what, page, field, id, msg string) {
	t.Helper()
	el := regexp.MustCompile(`<(?:input|select|textarea|fieldset)[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(page)
	switch {
	case el == "":
		t.Errorf("%s: no field %s", what, id)
	case !strings.Contains(el, `aria-invalid="true"`):
		t.Errorf("%s: field %s is not marked invalid: %s", what, id, el)
	case !regexp.MustCompile(`aria-describedby="[^"]*\berr-` + regexp.QuoteMeta(field) + `\b`).MatchString(el):
		t.Errorf("%s: field %s does not name its message: %s", what, id, el)
	}
	if !strings.Contains(page, `id="err-`+field+`">`) {
		t.Errorf("%s: no message next to %s", what, field)
	}
	sum := regexp.MustCompile(`(?s)<div class="error error-summary"[^>]*autofocus[^>]*>.*?</div>`).FindString(page)
	if !strings.Contains(sum, `href="#`+id+`"`) || !strings.Contains(sum, msg) {
		t.Errorf("%s: the summary does not link to %s with %q:\n%s", what, id, msg, sum)
	}
}

// TestSignInAndSetUpFormErrors: set-up and sign-in show their mistakes
// next to the fields, with the summary; nothing is made or signed in.
func TestSignInAndSetUpFormErrors(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	b := s.newBrowser()
	st, page := b.fill("/setup", url.Values{"name": {"Dana"}, "email": {"dana@example.org"}, "password": {password}, "password2": {password + "x"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("set-up, passwords differ: %d", st)
	}
	fieldMarked(t, "set-up, passwords differ", page, "password2", "password2", "Type the same password twice")
	mustContain(t, "set-up kept", page, `value="Dana"`, `value="dana@example.org"`)
	st, page = b.fill("/setup", url.Values{"name": {strings.Repeat("n", 300)}, "email": {"not an email"}, "password": {"short"}, "password2": {"short"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("set-up, bad fields: %d", st)
	}
	fieldMarked(t, "set-up, long name", page, "name", "name", "Use at most 200 characters")
	fieldMarked(t, "set-up, email", page, "email", "email", "Enter an email address")
	fieldMarked(t, "set-up, password", page, "password", "password", "12 to 72 characters")
	// Every mistake at once, the differing passwords among them.
	st, page = b.fill("/setup", url.Values{"name": {""}, "email": {"bad"}, "password": {"short"}, "password2": {"shorter"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("set-up, every mistake: %d", st)
	}
	fieldMarked(t, "set-up, all: name", page, "name", "name", "Enter the person")
	fieldMarked(t, "set-up, all: email", page, "email", "email", "Enter an email address")
	fieldMarked(t, "set-up, all: password", page, "password", "password", "12 to 72 characters")
	fieldMarked(t, "set-up, all: repeat", page, "password2", "password2", "Type the same password twice")
	// Hostile input: control characters, a huge value.
	st, page = b.fill("/setup", url.Values{"name": {"Da\x00na\x1b[2J"}, "email": {strings.Repeat("a", 1<<16) + "@example.org"}, "password": {password}, "password2": {password}})
	if st < 400 || st >= 500 || !strings.Contains(page, "error") {
		t.Fatalf("set-up, hostile: %d", st)
	}
	if n, err := s.st.UserCount(ctx); err != nil || n != 0 {
		t.Fatalf("a refused set-up made an account: %d %v", n, err)
	}

	s.user("dir@example.org", "Dana", store.RoleDirector)
	st, page = b.fill("/login", url.Values{"email": {"dir@example.org"}, "password": {"wrong password!"}})
	if st != http.StatusUnauthorized {
		t.Fatalf("sign-in, wrong password: %d", st)
	}
	fieldMarked(t, "sign-in, wrong password", page, "password", "password", "The email or password is wrong")
	st, page = b.fill("/login", url.Values{"email": {""}, "password": {""}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("sign-in, empty: %d", st)
	}
	fieldMarked(t, "sign-in, empty email", page, "email", "email", "Enter your email address")
	fieldMarked(t, "sign-in, empty password", page, "password", "password", "Enter your password")
	if strings.Contains(page, "Sign out") {
		t.Error("a refused sign-in signed in")
	}
	// Duplicate keys and control characters: refused, readable.
	st, page = b.fill("/login", url.Values{"email": {"dir@example.org", "other@example.org"}, "password": {"\x00\x01", password}})
	if st < 400 || st >= 500 || strings.Contains(page, "Sign out") {
		t.Fatalf("sign-in, duplicate keys: %d", st)
	}
}

// TestJournalSignInFormErrors: the participant's start and sign-in show
// their mistakes next to the fields, in their language.
func TestJournalSignInFormErrors(t *testing.T) {
	s := newMTSite(t)
	login, code := s.issueAccess(s.members[0])
	b := s.newBrowser()
	st, page := b.fill("/journal/start", url.Values{"login": {login}, "code": {code}, "pin": {"864213"}, "pin2": {"864214"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("PINs differ: %d", st)
	}
	fieldMarked(t, "start, PINs differ", page, "pin2", "pin2", "Type the same PIN twice")
	st, page = b.fill("/journal/start?lang=es", url.Values{"login": {login}, "code": {"wrongcode1"}, "pin": {"864213"}, "pin2": {"864213"}})
	if st != http.StatusUnauthorized {
		t.Fatalf("a wrong code: %d", st)
	}
	fieldMarked(t, "start, wrong code, Spanish", page, "code", "code", "código de inicio")
	mustContain(t, "start in Spanish", page, "Hay un problema")
	st, page = b.fill("/journal/start", url.Values{"login": {login}, "code": {code}, "pin": {"12"}, "pin2": {"12"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("a short PIN: %d", st)
	}
	fieldMarked(t, "start, short PIN (the page stays in Spanish)", page, "pin", "pin", "al menos 6 caracteres")
	// The code still works: nothing was used up.
	s.startJournal(login, code, "864213")
	st, page = s.newBrowser().fill("/journal/login", url.Values{"login": {login}, "pin": {"000000"}})
	if st != http.StatusUnauthorized {
		t.Fatalf("a wrong PIN: %d", st)
	}
	fieldMarked(t, "sign-in, wrong PIN", page, "pin", "pin", "The sign-in name or the PIN is wrong")
}

// TestCohortFormErrors: adding a member, recording a meeting and
// certifying a coach show their mistakes next to the fields and change
// nothing; hostile input is refused with a readable 4xx.
func TestCohortFormErrors(t *testing.T) {
	s := newMTSite(t)
	ctx := context.Background()
	b := s.browser("dir@example.org")
	path := "/cohorts/" + s.group.ID
	st, page := b.post(path+"/members", url.Values{"participant_id": {s.outsider.ID}, "joined_on": {"June"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("add a member, bad date: %d", st)
	}
	fieldMarked(t, "add a member", page, "joined_on", "joined_on", "Enter a date such as 2026-03-04")
	mustContain(t, "add a member kept", page, `value="June"`)
	v, err := s.st.Cohorts.ViewCohort(ctx, s.group.ID)
	s.must(err)
	if len(v.MemberIDs) != len(s.members) {
		t.Fatalf("a refused member joined: %d", len(v.MemberIDs))
	}

	st, page = b.post(path+"/meetings", url.Values{"held_on": {"2027-01-01"}, "lesson_plan": {"tb_affirmations"}, "skills": {"affirmations"}, "notes": {strings.Repeat("x", 5000)}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("a bad meeting: %d", st)
	}
	fieldMarked(t, "meeting, future day", page, "held_on", "meeting_held_on", "Record a meeting once it has taken place: enter a day no later than today")
	fieldMarked(t, "meeting, long notes", page, "notes", "meeting_notes", "Use at most 4000 characters")
	for _, f := range []url.Values{
		{"held_on": {"2026-06-16\x00"}, "notes": {"a\x1b[31m"}},
		{"held_on": {"2026-06-16", "2026-06-17"}, "lesson_plan": {"a", "b"}},
		{"held_on": {strings.Repeat("9", 1<<16)}},
	} {
		if st, page := b.post(path+"/meetings", f); st < 400 || st >= 500 || !strings.Contains(page, "error") {
			t.Errorf("a hostile meeting form %q: %d", f, st)
		}
	}
	if ms, _ := s.st.Meetings.Meetings(ctx, s.group.ID, 0); len(ms) != 0 {
		t.Fatal("a refused form stored a meeting")
	}

	co := s.certifiedCoach("Lee", "")
	co, err = s.st.Coaches.Coach(ctx, co.ID)
	s.must(err)
	st, page = b.post("/coaches/"+co.ID+"/certification", url.Values{"code": {strings.Repeat("C", 61)}, "certified_until": {"soon"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("a bad certification: %d", st)
	}
	fieldMarked(t, "certification, code", page, "code", "code-"+co.ID, "Use at most 60 characters")
	fieldMarked(t, "certification, date", page, "certified_until", "until-"+co.ID, "Enter the day the certification expires")
	after, err := s.st.Coaches.Coach(ctx, co.ID)
	s.must(err)
	if after.CertifiedUntil != co.CertifiedUntil || after.CertCode != co.CertCode {
		t.Fatal("a refused certification changed the coach")
	}
}

// TestEndPairFormErrors: ending a pair with mistakes shows them next to
// the pair's fields and leaves the pair as it was.
func TestEndPairFormErrors(t *testing.T) {
	s := newPairsSite(t)
	var formed struct{ Pair struct{ ID string } }
	if st := s.call(s.c1, "POST", "/api/v1/cohorts/"+s.cohort.ID+"/pairs", map[string]any{"participant_ids": []string{s.ps[0].ID, s.ps[1].ID}, "formed_on": "2026-03-01"}, &formed); st != 201 {
		t.Fatalf("form a pair: %d", st)
	}
	b := s.browser(s.c1email)
	st, page := b.post("/cohorts/"+s.cohort.ID+"/pairs/"+formed.Pair.ID+"/end", url.Values{"reason": {"other"}, "ended_on": {"2026-02-01"}, "note": {strings.Repeat("n", 501)}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("end a pair, bad: %d", st)
	}
	fieldMarked(t, "end a pair, note", page, "note", "end-"+formed.Pair.ID+"-note", "Use at most 500 characters")
	mustContain(t, "end a pair kept", page, `value="2026-02-01"`, `<option value="other" selected>`)
	st, page = b.post("/cohorts/"+s.cohort.ID+"/pairs/"+formed.Pair.ID+"/end", url.Values{"reason": {"not_working_well"}, "ended_on": {"2026-02-01"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("end a pair, early: %d", st)
	}
	fieldMarked(t, "end a pair, date", page, "ended_on", "end-"+formed.Pair.ID+"-on", "Enter a day on or after the pair was formed on Sun 1 Mar 2026")
	if st, _ := b.post("/cohorts/"+s.cohort.ID+"/pairs/"+formed.Pair.ID+"/end", url.Values{"reason": {"other\x00", "moved"}, "ended_on": {"2026-06-01\x1b"}}); st < 400 || st >= 500 {
		t.Fatalf("end a pair, hostile: %d", st)
	}
	var pv pairsJSON
	if st := s.call(s.c1, "GET", "/api/v1/cohorts/"+s.cohort.ID+"/pairs", nil, &pv); st != 200 || len(pv.Current) != 1 {
		t.Fatalf("a refused end changed the pairs: %d %d", st, len(pv.Current))
	}
}

// TestImportFormErrors: the import form marks what the file holds and the
// file, and imports nothing without them.
func TestImportFormErrors(t *testing.T) {
	s := newSite(t)
	s.user("dir@example.org", "Dana", store.RoleDirector)
	b := s.browser("dir@example.org")
	st, page := b.post("/import", url.Values{"kind": {"everything"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("import, bad kind: %d", st)
	}
	fieldMarked(t, "import, kind", page, "kind", "kind", "Choose what the file holds")
	st, page = b.post("/import", url.Values{"kind": {"participants", "coaches"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("import, no file: %d", st)
	}
	fieldMarked(t, "import, file", page, "file", "file", "Choose a CSV file of at most 8 MB")
	if ps, err := s.st.Participants.Participants(context.Background()); err != nil || len(ps) != 0 {
		t.Fatalf("a refused import changed the participants: %d %v", len(ps), err)
	}
}

// hostile posts each form to path and wants a readable 4xx for each.
func hostile(t *testing.T, b *browser, what, path string, forms ...url.Values) {
	t.Helper()
	for _, f := range forms {
		if st, page := b.post(path, f); st < 400 || st >= 500 || !strings.Contains(page, "error") {
			t.Errorf("%s, hostile %q: %d", what, f, st)
		}
	}
}

// TestSurveyFormErrors: the paper survey, the survey codes and the
// anonymous survey page (in Spanish too) show their mistakes next to the
// fields; nothing is stored and no code is used up.
func TestSurveyFormErrors(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	s.user("dir@example.org", "Dana", store.RoleDirector)
	b := s.browser("dir@example.org")
	const s1 = "s_s01_meets_where_i_choose"
	st, page := b.post("/surveys", url.Values{"timepoint": {"eligibility"}, s1: {"maybe"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("paper survey, bad: %d", st)
	}
	fieldMarked(t, "paper survey, timepoint", page, "timepoint", "paper_timepoint", "Choose the timepoint")
	fieldMarked(t, "paper survey, answer", page, "answers.s01_meets_where_i_choose", "answers.s01_meets_where_i_choose", "Statement 1: Choose one of the four answers")
	st, page = b.post("/surveys", url.Values{"timepoint": {"midpoint"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("paper survey, empty: %d", st)
	}
	fieldMarked(t, "paper survey, nothing answered", page, "answers", "answers.s01_meets_where_i_choose", "Answer at least one statement")
	hostile(t, b, "paper survey", "/surveys",
		url.Values{"timepoint": {"midpoint", "closing"}, s1: {"definitely_agree"}},
		url.Values{"timepoint": {"midpoint"}, s1: {"definitely_agree", "maybe"}},
		url.Values{"timepoint": {"midpoint\x00"}, "model": {"\x1b[2J"}, s1: {"definitely_agree"}},
		url.Values{"timepoint": {strings.Repeat("m", 1<<16)}, s1: {strings.Repeat("d", 1<<16)}})
	st, page = b.post("/surveys/codes", url.Values{"timepoint": {"midpoint"}, "count": {"500"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("codes, too many: %d", st)
	}
	fieldMarked(t, "codes, count", page, "count", "codes_count", "Enter a number of codes from 1 to 100")
	mustContain(t, "codes kept", page, `value="500"`)
	hostile(t, b, "codes", "/surveys/codes", url.Values{"timepoint": {"midpoint"}, "count": {"3", "4"}}, url.Values{"timepoint": {"midpoint"}, "count": {"3\x00"}})

	codes, err := s.st.Surveys.IssueSurveyCodes(ctx, "midpoint", "", 1)
	s.must(err)
	p := s.newBrowser()
	st, page = p.post("/survey?lang=es", url.Values{"code": {"WRONG-CODE1"}, s1: {"definitely_agree"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("survey, wrong code: %d", st)
	}
	fieldMarked(t, "survey, wrong code, Spanish", page, "code", "code", "pide a tu coach uno nuevo")
	mustContain(t, "survey in Spanish", page, "Tus respuestas todavía no se guardaron", `value="WRONG-CODE1"`)
	st, page = p.post("/survey?lang=es", url.Values{"code": {codes[0]}, s1: {"maybe"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("survey, bad answer: %d", st)
	}
	fieldMarked(t, "survey, bad answer, Spanish", page, "answers.s01_meets_where_i_choose", "answers.s01_meets_where_i_choose", "Frase 1: Elige una de las cuatro respuestas")
	hostile(t, p, "survey", "/survey",
		url.Values{"code": {codes[0] + "\x00"}, s1: {"definitely_agree"}},
		url.Values{"code": {codes[0], "OTHER-CODE1"}, s1: {"definitely_agree"}},
		url.Values{"code": {strings.Repeat("C", 1<<16)}, s1: {strings.Repeat("d", 1<<16)}})
	if n, err := s.st.Surveys.SurveyCounts(ctx); err != nil || len(n) != 0 {
		t.Fatalf("a refused survey was stored: %v %v", n, err)
	}
	// The code still works: nothing used it up.
	if st, page := p.post("/survey", url.Values{"code": {codes[0]}, s1: {"definitely_agree"}}); st != http.StatusOK || strings.Contains(page, "error-summary") {
		t.Fatalf("survey with the code after the refusals: %d", st)
	}
}

// TestAccountsFormErrors: adding an account and setting a password show
// their mistakes next to the fields and change nothing; a refusal about
// no field is at the top.
func TestAccountsFormErrors(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	dir, _ := s.user("dir@example.org", "Dana", store.RoleDirector)
	coach, _ := s.user("casey@example.org", "Casey", store.RoleCoach)
	b := s.browser("dir@example.org")
	st, page := b.post("/accounts", url.Values{"name": {strings.Repeat("n", 201)}, "email": {"casey"}, "password": {"short"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("add, bad: %d", st)
	}
	fieldMarked(t, "add, name", page, "name", "name", "Use at most 200 characters")
	fieldMarked(t, "add, email", page, "email", "email", "Enter an email address such as name@example.org")
	fieldMarked(t, "add, password", page, "password", "password", "Use a password of 12 to 72 characters")
	mustContain(t, "add, limits stated", page, `maxlength="200"`, "(such as name@example.org, at most 200 characters)", `value="casey"`)
	st, page = b.post("/accounts", url.Values{"name": {"Ann"}, "email": {"ann@example.org", "bob@example.org"}, "password": {password}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("add, duplicate keys: %d", st)
	}
	fieldMarked(t, "add, duplicate keys", page, "email", "email", "Send this once")
	hostile(t, b, "add", "/accounts", url.Values{"name": {"Ann\x00"}, "email": {"ann@example.org"}, "password": {password}},
		url.Values{"name": {"Ann"}, "email": {strings.Repeat("a", 1<<16) + "@example.org"}, "password": {strings.Repeat("p", 1<<16)}})

	st, page = b.post("/accounts/"+coach.ID+"/password", url.Values{"password": {"short"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("password, short: %d", st)
	}
	fieldMarked(t, "password, short", page, "password", "pw-"+coach.ID+"-password", "Use a password of 12 to 72 characters")
	hostile(t, b, "password", "/accounts/"+coach.ID+"/password", url.Values{"password": {password, password + "x"}}, url.Values{"password": {password + "\x00"}})
	if st, _ := b.post("/accounts/no-such-account/password", url.Values{"password": {password, password}}); st != http.StatusNotFound {
		t.Fatalf("password of no account: %d", st)
	}
	if _, _, err := s.st.Login(ctx, "casey@example.org", password); err != nil {
		t.Fatalf("a refused password changed the coach's: %v", err)
	}
	st, page = b.post("/accounts/"+dir.ID+"/disable", url.Values{})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("disable the director: %d", st)
	}
	mustContain(t, "disable the director", page, `<div class="error error-summary" role="alert" tabindex="-1" autofocus id="error-summary"><p>Only coach accounts are managed here`)
	if us, err := s.st.AllUsers(ctx); err != nil || len(us) != 2 || us[0].DisabledAt != nil {
		t.Fatalf("a refused form changed the accounts: %d %v", len(us), err)
	}
}

// TestWithdrawFormErrors: withdrawing without the box ticked marks the box
// and withdraws no one.
func TestWithdrawFormErrors(t *testing.T) {
	s := newMTSite(t)
	b := s.browser("dir@example.org")
	p := s.members[0]
	path := "/participants/" + p.ID + "/withdraw"
	st, page := b.post(path, url.Values{})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("withdraw, not ticked: %d", st)
	}
	fieldMarked(t, "withdraw", page, "confirm", "withdraw-confirm", "Tick the box to confirm the participant asked to leave the program")
	st, page = b.post(path, url.Values{"confirm": {"no", "yes"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("withdraw, duplicate keys: %d", st)
	}
	fieldMarked(t, "withdraw, duplicate keys", page, "confirm", "withdraw-confirm", "Send this once")
	hostile(t, b, "withdraw", path, url.Values{"confirm": {"yes\x00"}}, url.Values{"confirm": {strings.Repeat("y", 1<<16)}})
	after, err := s.st.Participants.Participant(context.Background(), p.ID)
	s.must(err)
	if after.WithdrawnAt != nil {
		t.Fatal("a refused form withdrew the participant")
	}
}

// TestStaffJournalFormErrors: a journal answer past its limit, entered by
// staff on the participant's page, comes back marked next to its field,
// and the summary links to the answers.
func TestStaffJournalFormErrors(t *testing.T) {
	s := newMTSite(t)
	b := s.browser("dir@example.org")
	p := s.members[0]
	rel := program.Default()
	code := rel.JournalPrompts[0].Code
	st, page := b.post("/participants/"+p.ID+"/journals", url.Values{"week_start": {lastMonday()}, "a_" + code: {strings.Repeat("x", 4001)}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("journal, too long: %d", st)
	}
	field := "answers." + code
	el := regexp.MustCompile(`<textarea[^>]*\bid="journal_a_` + code + `"[^>]*>`).FindString(page)
	if !strings.Contains(el, `aria-invalid="true"`) || !strings.Contains(el, "err-"+field) {
		t.Errorf("the answer is not marked: %s", el)
	}
	sum := regexp.MustCompile(`(?s)<div class="error error-summary"[^>]*>.*?</div>`).FindString(page)
	if m := regexp.MustCompile(`href="#([^"]+)"`).FindStringSubmatch(sum); m == nil || !strings.Contains(page, `id="`+m[1]+`"`) {
		t.Errorf("the summary links to nothing on the page:\n%s", sum)
	}
}

// lastMonday is the Monday of last week, as YYYY-MM-DD.
func lastMonday() string {
	d := time.Now().AddDate(0, 0, -7)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, -1)
	}
	return d.Format(time.DateOnly)
}

// TestPairAndCoachFormErrors: pairing members by hand and adding a coach
// show their mistakes next to the fields, with the summary, keep what was
// typed, and change nothing.
func TestPairAndCoachFormErrors(t *testing.T) {
	s := newPairsSite(t)
	b := s.browser(s.c1email)
	path := "/cohorts/" + s.cohort.ID + "/pairs"
	st, page := b.post(path, url.Values{"participant_a": {s.ps[0].ID}, "participant_b": {s.ps[1].ID}, "formed_on": {"March"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("pair, bad date: %d", st)
	}
	fieldMarked(t, "pair, bad date", page, "formed_on", "pair_formed_on", "Enter a date such as 2026-03-04")
	mustContain(t, "pair kept", page, `value="March"`, `<option value="`+s.ps[0].ID+`" selected>`)
	st, page = b.post(path, url.Values{"participant_a": {s.ps[0].ID}, "participant_b": {s.outsider.ID}, "formed_on": {"2026-03-01"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("pair with someone outside the group: %d", st)
	}
	fieldMarked(t, "pair, outsider", page, "participant_ids", "pair_a", "A proposed partner is not a current member of this group")
	var pv pairsJSON
	if st := s.call(s.c1, "GET", "/api/v1/cohorts/"+s.cohort.ID+"/pairs", nil, &pv); st != 200 || len(pv.Current) != 0 {
		t.Fatalf("a refused pair was formed: %d %d", st, len(pv.Current))
	}

	d := s.browser("dir@example.org")
	before, err := s.st.Coaches.Coaches(context.Background())
	s.must(err)
	st, page = d.post("/coaches", url.Values{"name": {""}, "email": {"not an email"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("add a coach, bad: %d", st)
	}
	fieldMarked(t, "add a coach, name", page, "name", "name", "")
	fieldMarked(t, "add a coach, email", page, "email", "email", "Enter an email address such as name@example.org")
	mustContain(t, "add a coach kept", page, `value="not an email"`)
	st, page = d.post("/coaches", url.Values{"name": {strings.Repeat("n", 201)}, "email": {"lee@example.org"}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("add a coach, long name: %d", st)
	}
	fieldMarked(t, "add a coach, long name", page, "name", "name", "Use at most 200 characters")
	after, err := s.st.Coaches.Coaches(context.Background())
	s.must(err)
	if len(after) != len(before) {
		t.Fatalf("a refused coach was added: %d then %d", len(before), len(after))
	}
}
