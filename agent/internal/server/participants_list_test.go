package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

// listSite is homeSite with more people: Olga, whose year ended (enrolled
// 2025-05-04: completed), Wes, who withdrew, Lea, who left the group
// (ended early), and José, in a Social Explorations caseload of another
// coach.
type listSite struct {
	*homeSite
	olga, wes, lea, jose store.Participant
	robinTok             string
	caseload             store.Cohort
}

func newListSite(t *testing.T) *listSite {
	t.Helper()
	ctx := context.Background()
	ls := &listSite{homeSite: newHomeSite(t)}
	s := ls.site
	robin, tok := s.user("robin@example.org", "Robin Coach", store.RoleCoach)
	ls.robinTok = tok
	rc := s.certifiedCoach("Robin Coach", robin.ID)
	ls.olga = s.enroll("Olga", "Petrova", "2025-05-04", "")
	ls.wes = s.enroll("Wes", "Turner", "2026-02-02", "")
	s.must(s.st.Participants.Withdraw(ctx, ls.wes.ID))
	ls.lea = s.enroll("Lea", "Moreno", "2026-01-05", "")
	s.must(s.st.Cohorts.AddMember(ctx, ls.cohort.ID, ls.lea.ID, "2026-01-05"))
	s.must(s.st.Cohorts.RemoveMember(ctx, ls.cohort.ID, ls.lea.ID, "2026-03-01"))
	ls.jose = s.enroll("José", "Álvarez", "2026-03-09", rc.ID)
	var err error
	ls.caseload, err = s.st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "Robin's caseload", Model: program.ModelSocialExplorations, StartDate: "2026-03-01",
		CoachID: rc.ID, MeetingDay: "monday", MeetingTime: "10:00", Frequency: "biweekly"})
	s.must(err)
	s.must(s.st.Cohorts.AddMember(ctx, ls.caseload.ID, ls.jose.ID, "2026-03-09"))
	return ls
}

var listRowRE = regexp.MustCompile(`<tr><td><a href="/participants/[^"]+">([^<]+)</a></td>\s*<td><span class="badge[^"]*">([^<]+)</span>`)

// listed reads the names on a list page with their status, in order.
func listed(t *testing.T, b *browser, query string) ([]string, string) {
	t.Helper()
	st, page := b.get("/participants" + query)
	if st != 200 {
		t.Fatalf("GET /participants%s: %d %.300s", query, st, page)
	}
	var out []string
	for _, m := range listRowRE.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1]+" ("+m[2]+")")
	}
	return out, page
}

func sameList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("%s:\n got  %s\n want %s", what, strings.Join(got, "; "), strings.Join(want, "; "))
	}
}

// TestParticipantListSearchFilterSort: search, each filter, the orders,
// the statuses as text, and the form keeping what was asked.
func TestParticipantListSearchFilterSort(t *testing.T) {
	ls := newListSite(t)
	b := ls.browser("dir@example.org")
	all, _ := listed(t, b, "")
	sameList(t, "everyone", all, "Lindqvist, Yara (active)", "Moreno, Lea (ended early)", "Nakamura, Eli (active)", "Okafor, Mia (active)",
		"Petrova, Olga (completed)", "Turner, Wes (withdrawn)", "Álvarez, José (active)")

	got, page := listed(t, b, "?q=OKA")
	sameList(t, "search OKA", got, "Okafor, Mia (active)")
	mustContain(t, "search kept", page, `name="q" type="search" value="OKA"`, "1 participant matches the search and filters.")
	got, _ = listed(t, b, "?q="+url.QueryEscape("  mia   okaf "))
	sameList(t, "search first and last", got, "Okafor, Mia (active)")
	got, _ = listed(t, b, "?q="+url.QueryEscape("JOSÉ"))
	sameList(t, "search with an accent, in capitals", got, "Álvarez, José (active)")
	got, _ = listed(t, b, "?q=zzz")
	sameList(t, "search for no one", got)

	got, page = listed(t, b, "?status=completed")
	sameList(t, "completed", got, "Petrova, Olga (completed)")
	mustContain(t, "status kept", page, `<option value="completed" selected>completed</option>`, "year ended Sun 3 May 2026")
	got, _ = listed(t, b, "?status=ended_early")
	sameList(t, "ended early", got, "Moreno, Lea (ended early)")
	got, _ = listed(t, b, "?status=withdrawn")
	sameList(t, "withdrawn", got, "Turner, Wes (withdrawn)")
	got, _ = listed(t, b, "?coach="+ls.coachRec.ID)
	sameList(t, "Casey's", got, "Lindqvist, Yara (active)", "Okafor, Mia (active)")
	got, page = listed(t, b, "?cohort="+ls.caseload.ID)
	sameList(t, "the caseload", got, "Álvarez, José (active)")
	mustContain(t, "cohort kept", page, `<option value="`+ls.caseload.ID+`" selected>`)
	got, _ = listed(t, b, "?model=peer_partners")
	sameList(t, "Peer Partners", got, "Lindqvist, Yara (active)", "Okafor, Mia (active)")
	got, _ = listed(t, b, "?due=journal")
	sameList(t, "journal missing", got, "Nakamura, Eli (active)", "Álvarez, José (active)")
	got, _ = listed(t, b, "?due=interview&status=active&sort=name")
	sameList(t, "interview due", got, "Lindqvist, Yara (active)", "Nakamura, Eli (active)", "Okafor, Mia (active)", "Álvarez, José (active)")
	got, _ = listed(t, b, "?sort=enrolled")
	sameList(t, "newest first", got, "Nakamura, Eli (active)", "Álvarez, José (active)", "Turner, Wes (withdrawn)", "Moreno, Lea (ended early)",
		"Okafor, Mia (active)", "Lindqvist, Yara (active)", "Petrova, Olga (completed)")
	got, _ = listed(t, b, "?sort=month&status=active")
	sameList(t, "furthest in the year first", got, "Lindqvist, Yara (active)", "Okafor, Mia (active)", "Álvarez, José (active)", "Nakamura, Eli (active)")

	// A coach sees only theirs, whatever the filter asks.
	rb := ls.browser("robin@example.org")
	got, _ = listed(t, rb, "")
	sameList(t, "Robin's list", got, "Álvarez, José (active)")
	got, page = listed(t, rb, "?cohort="+ls.cohort.ID)
	sameList(t, "Robin asks for Casey's cohort", got, "Álvarez, José (active)")
	mustContain(t, "another's cohort", page, "There is no such cohort among yours")
}

// TestParticipantListHostileInput: very long searches, control
// characters, unknown values: a message or nothing, never a failure; the
// API says what it could not use; parallel requests agree.
func TestParticipantListHostileInput(t *testing.T) {
	ls := newListSite(t)
	b := ls.browser("dir@example.org")
	cases := []struct{ query, want string }{
		{"?q=" + strings.Repeat("Okafor", 2000), "only the first 100 were used"},
		{"?q=Oka%00%07%1b[31m", "characters that cannot be typed"},
		{"?q=%ff%fe", "characters that cannot be typed"},
		{"?q=%E2%80%AEOka", "characters that cannot be typed"},
		{"?status=archived", "That status is not one the list knows"},
		{"?coach=" + strings.Repeat("x", 5000), "There is no such coach"},
		{"?model=%3Cscript%3E", "That program model is not known"},
		{"?due=everything", "That due item is not one the list knows"},
		{"?sort=DROP%20TABLE%20participants", "That order is not known"},
		{"?q=%27%20OR%201=1--", "No participant matches"},
		{"?q=%25", "No participant matches"},
		{"?q=_", "No participant matches"},
	}
	for _, c := range cases {
		st, page := b.get("/participants" + c.query)
		if st != 200 || !strings.Contains(page, c.want) {
			t.Errorf("GET /participants%.60s: %d, want %q", c.query, st, c.want)
		}
		if strings.Contains(page, "<script>") {
			t.Errorf("GET /participants%.60s echoes markup", c.query)
		}
	}
	// A parameter given twice is refused before the list reads either.
	if st, page := b.get("/participants?status=active&status=withdrawn"); st != 400 || !strings.Contains(page, "appears more than once") {
		t.Errorf("status given twice: %d", st)
	}
	got, _ := listed(t, b, "?q=Oka%00")
	sameList(t, "search cleared of a NUL", got, "Okafor, Mia (active)")

	// The API: the same parameters; what it cannot use is a 422 naming it.
	var rows []struct {
		FirstName    string `json:"first_name"`
		Status       string
		ProgramMonth int    `json:"program_month"`
		CohortID     string `json:"cohort_id"`
	}
	if st := ls.call(ls.dir, "GET", "/api/v1/participants?status=completed", nil, &rows); st != 200 || len(rows) != 1 || rows[0].FirstName != "Olga" || rows[0].Status != "completed" || rows[0].ProgramMonth != 14 {
		t.Fatalf("API, completed: %d %+v", st, rows)
	}
	if st := ls.call(ls.dir, "GET", "/api/v1/participants?q=mia&sort=month", nil, &rows); st != 200 || len(rows) != 1 || rows[0].CohortID != ls.cohort.ID {
		t.Fatalf("API, search: %d %+v", st, rows)
	}
	for q, field := range map[string]string{"status=x": "status", "q=" + strings.Repeat("a", 101): "q", "q=%01": "q", "sort=up": "sort", "cohort=nope": "cohort", "due=x": "due"} {
		var prob problem
		if st := ls.call(ls.dir, "GET", "/api/v1/participants?"+q, nil, &prob); st != 422 || !prob.has(field, "") {
			t.Errorf("API ?%.30s: %d %s", q, st, prob.all())
		}
	}

	// Parallel requests, mixed, each with its own answer.
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q, want := "?q=oka", "Okafor, Mia"
			switch i % 4 {
			case 1:
				q, want = "?status=completed", "Petrova, Olga"
			case 2:
				q, want = "?q="+strings.Repeat("%07", 300), "characters that cannot be typed"
			case 3:
				q, want = fmt.Sprintf("?due=interview&sort=month&x=%d", i), "Nakamura, Eli"
			}
			st, _, page := fetch(t, b.client, "", http.MethodGet, b.base+"/participants"+q, "", nil)
			if st != 200 || !strings.Contains(string(page), want) {
				errs <- fmt.Sprintf("%s: %d", q, st)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("parallel: %s", e)
	}
}

// TestCompletedParticipantJoinsOnlyWhenConfirmed: a participant whose
// program year has ended joins a new cohort only with an explicit flag
// (API) or after a confirmation page.
func TestCompletedParticipantJoinsOnlyWhenConfirmed(t *testing.T) {
	ls := newListSite(t)
	path := "/api/v1/cohorts/" + ls.caseload.ID + "/members"
	var prob problem
	if st := ls.call(ls.dir, "POST", path, map[string]any{"participant_id": ls.olga.ID, "joined_on": "2026-06-17"}, &prob); st != 422 ||
		!prob.has("confirm_year_ended", "program year ended on Sun 3 May 2026") {
		t.Fatalf("completed, no flag: %d %s", st, prob.all())
	}
	v, err := ls.st.Cohorts.ViewCohort(context.Background(), ls.caseload.ID)
	ls.must(err)
	if len(v.MemberIDs) != 1 {
		t.Fatalf("the refused participant joined: %v", v.MemberIDs)
	}

	// The page: the list of who can join marks her, a confirmation page,
	// then the member.
	b := ls.browser("dir@example.org")
	if st, page := b.get("/cohorts/" + ls.caseload.ID); st != 200 || !strings.Contains(page, ">Petrova, Olga (year ended Sun 3 May 2026)</option>") ||
		strings.Contains(page, "Nakamura, Eli (year ended") {
		t.Fatalf("the list of who can join does not mark whose year ended: %d", st)
	}
	st, page := b.post("/cohorts/"+ls.caseload.ID+"/members", url.Values{"participant_id": {ls.olga.ID}, "joined_on": {"2026-06-17"}})
	if st != http.StatusConflict {
		t.Fatalf("page, completed: %d", st)
	}
	mustContain(t, "confirmation page", page, "Olga Petrova&#39;s program year ended on Sun 3 May 2026 (completed)", `name="confirm_year_ended" value="yes"`,
		`name="participant_id" value="`+ls.olga.ID+`"`, "Add them all the same", `href="/cohorts/`+ls.caseload.ID+`"`)
	// The browser follows the redirect to the cohort's page.
	if st, page := b.post("/cohorts/"+ls.caseload.ID+"/members", url.Values{"participant_id": {ls.olga.ID}, "joined_on": {"2026-06-17"}, "confirm_year_ended": {"yes"}}); st != 200 ||
		!strings.Contains(page, "<h1>Robin&#39;s caseload</h1>") || !strings.Contains(page, "Petrova, Olga</a>\n<details>") {
		t.Fatalf("page, confirmed: %d", st)
	}
	v, err = ls.st.Cohorts.ViewCohort(context.Background(), ls.caseload.ID)
	ls.must(err)
	if len(v.MemberIDs) != 2 {
		t.Fatalf("confirmed, not joined: %v", v.MemberIDs)
	}

	// The API with the flag; someone whose year runs needs none.
	ls.must(ls.st.Cohorts.RemoveMember(context.Background(), ls.caseload.ID, ls.olga.ID, "2026-06-17"))
	if st := ls.call(ls.dir, "POST", path, map[string]any{"participant_id": ls.olga.ID, "joined_on": "2026-06-18", "confirm_year_ended": true}, nil); st != 200 {
		t.Fatalf("completed, with the flag: %d", st)
	}
	if st := ls.call(ls.dir, "POST", path, map[string]any{"participant_id": ls.eli.ID, "joined_on": "2026-06-17"}, nil); st != 200 {
		t.Fatalf("active, no flag: %d", st)
	}
}
