package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

// TestLinkCoachAccountOnThePage: the director links an existing coach to
// a coach's account on the Coaches page (the form under the coach, sent
// as the page shows it); the account then sees the participants of the
// coach's cohort, and the audit log has the line. A bad choice (another
// coach's account, the director's, an id that names no account) comes
// back with the message next to the field and changes nothing; "no
// account" unlinks. The API's PUT refuses another coach's account too.
func TestLinkCoachAccountOnThePage(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	dir, dirTok := s.user("dir@example.org", "Dana", store.RoleDirector)
	kimUser, _ := s.user("kim@example.org", "Kim Account", store.RoleCoach)
	robinUser, robinTok := s.user("robin@example.org", "Robin Account", store.RoleCoach)
	kim := s.certifiedCoach("Kim Lee", "")
	robin := s.certifiedCoach("Robin Park", robinUser.ID)
	g, err := s.st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "Kim's group", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: kim.ID})
	s.must(err)
	member := s.participant("Quintessa")
	s.must(s.st.Cohorts.AddMember(ctx, g.ID, member.ID, "2026-01-12"))

	b := s.browser("dir@example.org")
	kb := s.browser("kim@example.org")
	if _, page := kb.get("/participants"); strings.Contains(page, "Quintessa") {
		t.Fatal("an account linked to no coach sees the participants of Kim's cohort")
	}
	formRE := regexp.MustCompile(`(?s)<form method="post" action="/coaches/` + kim.ID + `/account">.*?name="once" value="([0-9a-f]{32})".*?</form>`)
	send := func(userID string) (int, string) {
		t.Helper()
		st, page := b.get("/coaches")
		m := formRE.FindStringSubmatch(page)
		if st != http.StatusOK || m == nil {
			t.Fatalf("GET /coaches: %d, no account form under Kim Lee", st)
		}
		return b.post("/coaches/"+kim.ID+"/account", url.Values{"user_id": {userID}, "once": {m[1]}})
	}
	linkOf := func(id string) string {
		t.Helper()
		c, err := s.st.Coaches.Coach(ctx, id)
		s.must(err)
		return c.UserID
	}
	_, page := b.get("/coaches")
	form := formRE.FindString(page)
	mustContain(t, "Kim's account form", form, `<option value="">No account</option>`, `<option value="`+kimUser.ID+`">Kim Account (kim@example.org)</option>`)
	for _, other := range []string{robinUser.ID, dir.ID} {
		if strings.Contains(form, `value="`+other+`"`) {
			t.Errorf("Kim's account form offers %s, an account Kim cannot have", other)
		}
	}

	for _, bad := range []struct{ what, userID, msg string }{
		{"another coach's account", robinUser.ID, "Another coach signs in with this account"},
		{"the director's account", dir.ID, "account at this site"},
		{"an id of no account", "0190f1f1-0000-7000-8000-000000000000", "account at this site"},
	} {
		st, page := send(bad.userID)
		if st != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", bad.what, st)
		}
		fieldMarked(t, bad.what, page, "user_id", "account-"+kim.ID, bad.msg)
		if got := linkOf(kim.ID); got != "" {
			t.Errorf("%s: Kim Lee is now linked to %q", bad.what, got)
		}
	}
	if got := linkOf(robin.ID); got != robinUser.ID {
		t.Errorf("Robin Park's account changed to %q", got)
	}

	st, page := send(kimUser.ID)
	if st != http.StatusOK {
		t.Fatalf("linking Kim's account: %d", st)
	}
	if got := linkOf(kim.ID); got != kimUser.ID {
		t.Fatalf("Kim Lee is linked to %q, want Kim's account", got)
	}
	mustContain(t, "the coaches page after the link", page, "signs in as kim@example.org")
	if _, page := kb.get("/participants"); !strings.Contains(page, "Quintessa") {
		t.Error("Kim's account, linked on the page, does not see the participants of Kim's cohort")
	}
	es, err := s.st.AuditLog(ctx, store.AuditFilter{SubjectID: kim.ID})
	s.must(err)
	if len(es) != 1 || es[0].Action != "link_coach_account" || es[0].UserName != "Dana" || es[0].Detail != "account kim@example.org" {
		t.Errorf("audit of the link: %+v, want one line by Dana naming kim@example.org", es)
	}
	if _, page := b.get("/audit"); !strings.Contains(page, "Changed the account a coach signs in with") {
		t.Error("the audit page does not say the account was changed")
	}

	// The API's door to the same change: another coach's account is refused.
	var prob problem
	if st := s.call(dirTok, http.MethodPut, "/api/v1/coaches/"+robin.ID, map[string]string{"name": "Robin Park", "user_id": kimUser.ID}, &prob); st != http.StatusUnprocessableEntity || !prob.has("user_id", "Another coach signs in with this account") {
		t.Errorf("API: Robin linked to Kim's account: %d %s", st, prob.all())
	}
	if got := linkOf(robin.ID); got != robinUser.ID {
		t.Errorf("API: Robin Park's account changed to %q", got)
	}
	// A coach may change their own profile, not the account it is linked
	// to: naming another account is refused, not ignored.
	if st := s.call(robinTok, http.MethodPut, "/api/v1/coaches/"+robin.ID, map[string]string{"name": "Robin Park", "user_id": kimUser.ID}, &prob); st != http.StatusForbidden {
		t.Errorf("API: Robin moved their own link to Kim's account: %d %s", st, prob.all())
	}
	if got := linkOf(robin.ID); got != robinUser.ID {
		t.Errorf("API: Robin Park's account changed to %q by Robin", got)
	}
	if st := s.call(robinTok, http.MethodPut, "/api/v1/coaches/"+robin.ID, map[string]string{"name": "Robin Park", "user_id": robinUser.ID}, nil); st != http.StatusOK {
		t.Errorf("API: Robin's own profile with their own account: %d", st)
	}

	if st, _ := send(""); st != http.StatusOK || linkOf(kim.ID) != "" {
		t.Errorf("no account: %d, Kim Lee linked to %q", st, linkOf(kim.ID))
	}
	if _, page := kb.get("/participants"); strings.Contains(page, "Quintessa") {
		t.Error("Kim's account, unlinked, still sees Kim's cohort")
	}
}
