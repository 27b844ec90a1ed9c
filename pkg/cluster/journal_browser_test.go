package cluster_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/itsmylife/iml/pkg/cluster"
)

// TestParticipantJournalOnAPhone: a coach gives a participant access to
// their own journal on the participant's page; the participant, on a
// phone-size window, starts with the sign-in name and start code, chooses a
// PIN and writes this week's entry; the coach then sees the entry as the
// participant's and marks it reviewed, which the participant sees.
func TestParticipantJournalOnAPhone(t *testing.T) {
	bctx, a, dir := demoInBrowser(t, "journal")
	ctx := context.Background()
	// The demo's group coach gets a sign-in account, linked through the API.
	const coachPw = "a coach's own password" //nolint:gosec // G101: a made-up password of the test's own account
	if _, err := a.CLI(ctx, coachPw+"\n", "user", "add", "--email", "casey@example.org", "--name", "Casey Morgan", "--role", "coach", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	var account struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if st, err := cluster.JSON(ctx, http.MethodPost, a.URL()+"/api/v1/auth/login", "", map[string]string{"email": "casey@example.org", "password": coachPw}, &account); err != nil || st != 200 {
		t.Fatalf("coach login: %d %v", st, err)
	}
	var coaches []struct{ ID, Name, Email, Bio string }
	if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/coaches", dir, nil, &coaches); err != nil {
		t.Fatal(err)
	}
	coachID := ""
	for _, c := range coaches {
		if strings.HasPrefix(c.Name, "Casey") {
			coachID = c.ID
			if st, err := cluster.JSON(ctx, http.MethodPut, a.URL()+"/api/v1/coaches/"+c.ID, dir, map[string]string{"name": c.Name, "email": c.Email, "bio": c.Bio, "user_id": account.User.ID}, nil); err != nil || st != 200 {
				t.Fatalf("link the coach: %d %v", st, err)
			}
		}
	}
	var cohorts []struct {
		ID      string `json:"id"`
		CoachID string `json:"coach_id"`
	}
	if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/cohorts", dir, nil, &cohorts); err != nil {
		t.Fatal(err)
	}
	var cohort struct {
		MemberIDs []string `json:"member_ids"`
	}
	for _, c := range cohorts {
		if c.CoachID == coachID {
			if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/cohorts/"+c.ID, dir, nil, &cohort); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(cohort.MemberIDs) == 0 {
		t.Fatal("the demo group has no members")
	}
	pid := cohort.MemberIDs[0]
	w := &walker{t: t, ctx: bctx, base: a.URL()}

	// The coach gives access on the participant's page.
	w.open("/participants/" + pid + "?tab=journals")
	w.signIn("casey@example.org", coachPw)
	w.see("#journal-access-state", "has no access")
	w.submit("#issue-journal-access", http.StatusOK)
	login := w.see("#issued-login")
	code := w.see("#issued-code")
	w.submit(`header form[action="/logout"] button`, http.StatusOK)

	// The participant, on a phone.
	do(t, bctx, chromedp.EmulateViewport(390, 844))
	w.open("/journal")
	w.see("h1", "Sign in to your journal")
	w.submit(`a[href="/journal/start"]`, http.StatusOK)
	w.fill("#login", login)
	w.fill("#code", code)
	w.fill("#pin", "482916")
	w.fill("#pin2", "482916")
	w.submit(`#start-form button[type="submit"]`, http.StatusOK)
	w.see("h1", "My journal")
	w.see("header nav", "My journal", "Sign out")
	if n := w.count(`header nav a[href="/participants"]`); n != 0 {
		w.fail("the participant's page shows the staff menu")
	}
	// The form opens on the newest week the participant may write (the
	// demo's coach has entered some weeks already).
	week := walkEval[string](w, `document.querySelector("#own-journal-form input[name=week_start]").value`)
	w.fill("#a_week_summary", "I went to the library club and talked to two people.")
	w.fill("#a_skills_practised", "Starting a conversation.")
	w.submit(`#own-journal-form button[type="submit"]`, http.StatusOK)
	w.see("#journal-saved", "Saved your journal")
	w.see("#week-"+week, "Written by you; waiting for your coach to read it")
	w.click("#week-" + week + " details summary")
	w.see("#week-"+week, "I went to the library club")
	if over := walkEval[float64](w, "document.documentElement.scrollWidth - window.innerWidth"); over > 1 {
		w.fail("the journal page is %.0f px wider than the phone", over)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "phone-own-journal"))
	w.submit(`header form[action="/journal/logout"] button`, http.StatusOK)

	// The coach reviews it.
	do(t, bctx, chromedp.EmulateViewport(1200, 900))
	w.open("/participants/" + pid + "?tab=journals")
	w.signIn("casey@example.org", coachPw)
	entry := "#journal-" + week
	w.click(entry + " summary")
	w.see(entry, "not reviewed", "(the participant) on the participant's own journal page", "I went to the library club")
	w.submit(entry+` form[action$="/review"] button`, http.StatusOK)
	w.see(entry+" summary", "reviewed")
	t.Logf("screenshot: %s", screenshot(t, bctx, "coach-reviewed-own-journal"))
	w.submit(`header form[action="/logout"] button`, http.StatusOK)

	// The participant sees it was read, and can no longer change it.
	do(t, bctx, chromedp.EmulateViewport(390, 844))
	w.open("/journal/login")
	w.fill("#login", login)
	w.fill("#pin", "482916")
	w.submit(`#journal-login button[type="submit"]`, http.StatusOK)
	w.see("#week-"+week, "Read by Casey Morgan")
	if n := w.count("#week-" + week + ` a[href*="week="]`); n != 0 {
		w.fail("the reviewed week can still be changed")
	}
	w.open("/journal?week=" + week)
	if n := w.count(`#own-journal-form input[name="week_start"][value="` + week + `"]`); n != 0 {
		w.fail("the reviewed week opens in the form")
	}
}
