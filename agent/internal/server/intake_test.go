package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

// intakeForm is the intake edit form of p as the page fills it in.
func intakeForm(p store.Participant) url.Values {
	return url.Values{"first_name": {p.FirstName}, "last_name": {p.LastName}, "birth_date": {p.BirthDate}, "enrolled_on": {p.EnrolledOn},
		"phone": {p.Phone}, "email": {p.Email}, "address": {p.Address}, "coach_id": {p.CoachID}, "informed_consent": {"true"}, "manages_finances": {"true"},
		"sets_goals": {"true"}, "accepts_responsibilities": {"true"}, "agreement_signed_on": {p.AgreementSignedOn}}
}

// TestParticipantPageInSections: the record is in sections, each its own
// page with the navigation between them; an unknown section is the
// profile, and a form that fails comes back in its own section.
func TestParticipantPageInSections(t *testing.T) {
	s := newSite(t)
	s.user("dir@example.org", "Dana Director", store.RoleDirector)
	p := s.participant("Ann")
	b := s.browser("dir@example.org")
	for tab, want := range map[string]string{"": `id="profile-facts"`, "profile": `id="profile-facts"`, "interviews": `id="pom-side-by-side"`,
		"goals": `id="goals-form"`, "journals": `id="journal-form"`, "outings": `id="outing-form"`, "hospitalizations": `id="hosp-no-consent"`,
		"participation": `id="participation"`, "nonsense": `id="profile-facts"`, "%01": `id="profile-facts"`} {
		st, body := b.get("/participants/" + p.ID + "?tab=" + tab)
		if st != 200 {
			t.Fatalf("tab %q: %d", tab, st)
		}
		mustContain(t, "tab "+tab, body, want, `<nav class="tabs"`, `aria-current="page"`)
		for _, other := range []string{`id="pom-side-by-side"`, `id="goals-form"`, `id="journal-form"`, `id="outing-form"`} {
			if other != want && strings.Contains(body, other) {
				t.Errorf("tab %q also shows %s", tab, other)
			}
		}
	}
	// A failing form comes back in its section, its summary first.
	st, body := b.post("/participants/"+p.ID+"/interviews", url.Values{"timepoint": {"midpoint"}, "interviewed_on": {"someday"}})
	if st != 422 {
		t.Fatalf("bad interview: %d", st)
	}
	mustContain(t, "bad interview", body, `id="error-summary"`, `autofocus`, `href="#interviewed_on"`, `aria-invalid="true" aria-describedby="err-interviewed_on"`,
		`id="tab-interviews" aria-current="page"`)
}

func TestIntakeEditWithHistory(t *testing.T) {
	s := newSite(t)
	dir, _ := s.user("dir@example.org", "Dana Director", store.RoleDirector)
	cu, _ := s.user("casey@example.org", "Casey Coach", store.RoleCoach)
	casey := s.certifiedCoach("Casey Coach", cu.ID)
	s.user("robin@example.org", "Robin Other", store.RoleCoach)
	p := s.participant("Ann")
	b := s.browser("dir@example.org")
	ctx := context.Background()

	_, body := b.get("/participants/" + p.ID)
	mustContain(t, "profile", body, `id="profile-address"`, "not chosen yet", "No changes since intake", `href="/participants/`+p.ID+`/intake"`)
	st, body := b.get("/participants/" + p.ID + "/intake")
	if st != 200 {
		t.Fatalf("intake page: %d", st)
	}
	mustContain(t, "intake page", body, `maxlength="100"`, `maxlength="300"`, "(at most 300 characters)", "Casey Coach", `name="csrf"`)

	// Validation: nothing changes, the messages say what to do.
	f := intakeForm(p)
	f.Set("first_name", "")
	f.Set("address", strings.Repeat("a", 301))
	st, body = b.post("/participants/"+p.ID+"/intake", f)
	if st != 422 {
		t.Fatalf("bad intake: %d", st)
	}
	mustContain(t, "bad intake", body, `id="error-summary"`, `href="#first_name"`, `href="#address"`, "Enter the first name (at most 100 characters)",
		"Use at most 300 characters: this has 301", `aria-invalid="true" aria-describedby="first_name-hint err-first_name"`,
		`value="`+strings.Repeat("a", 301)+`"`)
	if got, _ := s.st.Participants.Participant(ctx, p.ID); got != p {
		t.Errorf("a refused form changed the participant: %+v", got)
	}
	f = intakeForm(p)
	f.Set("coach_id", "no-such-coach")
	if st, body := b.post("/participants/"+p.ID+"/intake", f); st != 422 || !strings.Contains(body, "Choose one of the site&#39;s coaches") {
		t.Errorf("no such coach: %d", st)
	}
	if ch, _ := s.st.Participants.ParticipantChanges(ctx, p.ID); len(ch) != 0 {
		t.Errorf("a refused form wrote history: %+v", ch)
	}

	// Happy path: the address and the coach, with their history.
	f = intakeForm(p)
	f.Set("address", "12 Elm Street, Springfield")
	f.Set("coach_id", casey.ID)
	st, body = b.post("/participants/"+p.ID+"/intake", f)
	if st != 200 {
		t.Fatalf("intake: %d", st)
	}
	mustContain(t, "after the change", body, "Intake details saved", "12 Elm Street, Springfield", `id="profile-coach">Casey Coach`,
		`id="intake-history-table"`, "Dana Director", "<td>Address</td><td>–</td><td>12 Elm Street, Springfield</td>", "<td>Coach</td><td>–</td><td>Casey Coach</td>")
	ch, _ := s.st.Participants.ParticipantChanges(ctx, p.ID)
	if len(ch) != 2 || ch[0].ChangedBy != dir.ID {
		t.Fatalf("history: %+v", ch)
	}
	// Sending the same again changes nothing and writes no history.
	if st, _ := b.post("/participants/"+p.ID+"/intake", f); st != 200 {
		t.Fatalf("same again: %d", st)
	}
	if ch, _ := s.st.Participants.ParticipantChanges(ctx, p.ID); len(ch) != 2 {
		t.Errorf("an unchanged form wrote history: %d lines", len(ch))
	}

	// The address and the history never go upstream.
	var recs []store.SyncRecord
	s.must(s.st.DB.Find(&recs).Error)
	for _, r := range recs {
		if strings.Contains(r.Data, "Elm Street") || strings.Contains(r.Data, "Ann") || strings.Contains(r.Data, "Dana") {
			t.Errorf("identifying data in the outbox: %s", r.Data)
		}
	}

	hostileIntake(t, s, b, p.ID)
	sameIntakeInParallel(t, s, b, p.ID)
}

// hostileIntake sends the intake form with control characters, a huge
// value, duplicate keys, no CSRF token and as a coach who does not see the
// participant: nothing changes, nothing fails.
func hostileIntake(t *testing.T, s *site, b *browser, id string) {
	t.Helper()
	ctx := context.Background()
	p, _ := s.st.Participants.Participant(ctx, id)
	before := p.Address
	f := intakeForm(p)
	f.Set("address", "12 Elm\x00Street")
	if st, _ := b.post("/participants/"+p.ID+"/intake", f); st != 422 {
		t.Errorf("control character: %d", st)
	}
	f = intakeForm(p)
	f.Set("address", strings.Repeat("x", 2<<20))
	if st, _ := b.post("/participants/"+p.ID+"/intake", f); st != 422 && st != 413 {
		t.Errorf("2 MB address: %d", st)
	}
	f = intakeForm(p)
	f["first_name"] = []string{"Ann", "Mallory"}
	f["informed_consent"] = []string{"true", "false"}
	if st, _ := b.post("/participants/"+p.ID+"/intake", f); st >= 500 {
		t.Errorf("duplicate keys: %d", st)
	}
	f = intakeForm(p)
	f.Set("informed_consent", "maybe")
	if st, body := b.post("/participants/"+p.ID+"/intake", f); st != 422 || !strings.Contains(body, "could not be read") {
		t.Errorf("a checkbox that is not true or false: %d", st)
	}
	nocsrf := intakeForm(p)
	nocsrf.Set("address", "stolen")
	if st, _, _ := b.send(http.MethodPost, "/participants/"+p.ID+"/intake", "application/x-www-form-urlencoded", strings.NewReader(nocsrf.Encode())); st != 403 {
		t.Errorf("no CSRF token: %d", st)
	}
	robin := s.browser("robin@example.org")
	if st, _ := robin.post("/participants/"+p.ID+"/intake", nocsrf); st != 403 {
		t.Errorf("a coach who does not see the participant: %d", st)
	}
	if st, _ := robin.get("/participants/" + p.ID + "/intake"); st != 403 {
		t.Errorf("a coach who does not see the participant, the page: %d", st)
	}
	if st, _ := b.get("/participants/nope/intake"); st != 404 {
		t.Errorf("no such participant: %d", st)
	}
	if got, _ := s.st.Participants.Participant(ctx, p.ID); got.Address != before {
		t.Errorf("a refused request changed the address to %q", got.Address)
	}
}

// sameIntakeInParallel sends the same change 16 times at once: each
// answer is the profile, and the history has one line of it.
func sameIntakeInParallel(t *testing.T, s *site, b *browser, id string) {
	t.Helper()
	p, _ := s.st.Participants.Participant(context.Background(), id)
	f := intakeForm(p)
	f.Set("address", "3 Oak Road")
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ff := url.Values{}
			for k, v := range f {
				ff[k] = v
			}
			ff.Set("csrf", b.csrf)
			st, _, _ := fetch(t, b.client, "", http.MethodPost, b.base+"/participants/"+p.ID+"/intake", "application/x-www-form-urlencoded", strings.NewReader(ff.Encode()))
			if st != 200 {
				errs <- fmt.Sprint(st)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("parallel: %s", e)
	}
	n := 0
	ch, _ := s.st.Participants.ParticipantChanges(context.Background(), p.ID)
	for _, c := range ch {
		if c.NewValue == "3 Oak Road" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the same change sent 16 times at once: %d lines of history", n)
	}
}

// TestIntakeRefusesSomeoneAlreadyAtTheSite: the same first name, last
// name (in any case) and date of birth as a participant of the site is the
// same person, refused by the API and the page with the message on the
// last name, and nothing is added; two adds of one person at once add them
// once; someone born on another day is added.
func TestIntakeRefusesSomeoneAlreadyAtTheSite(t *testing.T) {
	const msg = "This person is already at the site (the same first name, last name and date of birth): open their record rather than adding them again"
	s := newSite(t)
	ctx := context.Background()
	_, tok := s.user("dir@example.org", "Dana Director", store.RoleDirector)
	s.participant("Ann") // Ann Example, born 1985-02-03
	count := func() int64 {
		t.Helper()
		var n int64
		s.must(s.st.DB.Model(&store.Participant{}).Count(&n).Error)
		return n
	}

	body := intake("ann")
	body["last_name"] = "EXAMPLE"
	var prob problem
	if st := s.call(tok, "POST", "/api/v1/participants", body, &prob); st != 422 || !prob.has("last_name", msg) {
		t.Fatalf("the same person through the API: %d %s", st, prob.all())
	}
	if n := count(); n != 1 {
		t.Fatalf("after the API's refusal, %d participants, want 1", n)
	}

	b := s.browser("dir@example.org")
	form := url.Values{"first_name": {"Ann"}, "last_name": {"example"}, "birth_date": {"1985-02-03"}, "enrolled_on": {"2026-01-12"},
		"informed_consent": {"true"}, "manages_finances": {"true"}, "sets_goals": {"true"}, "accepts_responsibilities": {"true"}, "agreement_signed_on": {"2026-01-12"}}
	st, page := b.post("/participants", form)
	if st != 422 {
		t.Fatalf("the same person through the page: %d", st)
	}
	page = html.UnescapeString(page)
	fieldMarked(t, "the same person through the page", page, "last_name", "last_name", msg)
	if !strings.Contains(page, `id="err-last_name">`+msg+`<`) {
		t.Errorf("the message next to the last name is not %q", msg)
	}
	if n := count(); n != 1 {
		t.Fatalf("after the page's refusal, %d participants, want 1", n)
	}

	// Two adds of one new person at once: the check is in the write
	// transaction, so one of them is refused.
	in := store.ParticipantInput{FirstName: "Bo", LastName: "Twice", BirthDate: "1990-07-08", EnrolledOn: "2026-01-12",
		InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: "2026-01-12"}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.st.Participants.AddParticipant(ctx, in)
		}()
	}
	wg.Wait()
	refused := 0
	for _, err := range errs {
		switch {
		case err == nil:
		case store.IsAlreadyAtSite(err):
			refused++
		default:
			t.Fatalf("two adds at once: %v", err)
		}
	}
	if refused != 1 || count() != 2 {
		t.Fatalf("two adds of one person at once: %d refused, %d participants; want 1 refused, 2 participants", refused, count())
	}

	// Born on another day: someone else.
	body = intake("Ann")
	body["birth_date"] = "1985-02-04"
	if st := s.call(tok, "POST", "/api/v1/participants", body, &prob); st != 201 {
		t.Fatalf("Ann Example born on another day: %d %s", st, prob.all())
	}
	form.Set("birth_date", "1985-02-05")
	if st, _ := b.post("/participants", form); st != http.StatusSeeOther && st != 200 {
		t.Fatalf("Ann Example born on yet another day, through the page: %d", st)
	}
	if n := count(); n != 4 {
		t.Fatalf("%d participants, want 4", n)
	}
}
