package cluster_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/itsmylife/iml/pkg/cluster"
)

const taPassword = "a TA specialist password"

// taRequestView is a TA request as the agent's API shows it.
type taRequestView struct {
	ID         string `json:"id"`
	Subject    string `json:"subject"`
	Status     string `json:"status"`
	Answer     string `json:"answer"`
	AnsweredBy string `json:"answered_by"`
}

// raiseTA raises a TA request through the agent's API as its director.
func raiseTA(t *testing.T, a *cluster.Agent, tok, subject, text string) taRequestView {
	t.Helper()
	var r taRequestView
	st, err := cluster.JSON(context.Background(), http.MethodPost, a.URL()+"/api/v1/ta-requests", tok,
		map[string]string{"subject": subject, "category": "coaching", "text": text}, &r)
	if err != nil || st != http.StatusCreated {
		t.Fatalf("raise a TA request: %d %v", st, err)
	}
	return r
}

// agentTA reads a TA request from the agent's API.
func agentTA(t *testing.T, a *cluster.Agent, tok, id string) taRequestView {
	t.Helper()
	var r taRequestView
	if st, err := cluster.JSON(context.Background(), http.MethodGet, a.URL()+"/api/v1/ta-requests/"+id, tok, nil, &r); err != nil || st != http.StatusOK {
		t.Fatalf("agent TA request: %d %v", st, err)
	}
	return r
}

// agentPage reads one of the agent's pages with a bearer token.
func agentPage(t *testing.T, url, tok string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return string(b)
}

// taSpecialist adds a TA specialist at the hub and signs them in.
func taSpecialist(t *testing.T, h *cluster.Hub) string {
	t.Helper()
	ctx := context.Background()
	if _, err := h.CLI(ctx, taPassword+"\n", "user", "add", "--email", "ta@example.org", "--name", "Tess Aid", "--role", "ta", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	tok, err := cluster.Login(ctx, h.URL(), "ta@example.org", taPassword)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// signIn opens url, which asks for the sign-in form, and signs in with it.
func signIn(url, email, password string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
	}
}

// TestTARequestRoundTrip: a site's director raises a TA request while the
// hub is down; it waits in the agent's queue; once the hub is back the sync
// delivers it (once, however often the agent syncs); a TA specialist
// answers it through the hub's API; the next sync brings the answer to the
// agent, which shows it on the request's page. The text never becomes an
// outcome record.
func TestTARequestRoundTrip(t *testing.T) {
	eachHubDB(t, func(t *testing.T, h *cluster.Hub) {
		ctx := context.Background()
		a := enrolledAgent(t, h, h.URL(), "TA site")
		if err := a.Start(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Stop() })
		dir := directorToken(t, a)
		if err := h.Stop(); err != nil {
			t.Fatal(err)
		}
		marker := "zqta" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
		r := raiseTA(t, a, dir, "Supervision for new coaches", "How often should new coaches meet their supervisor? "+marker)
		if r.Status != "queued" {
			t.Fatalf("raised as %q", r.Status)
		}
		// The agent keeps retrying an unreachable hub for minutes; a few
		// seconds of it are enough here.
		down, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := a.CLI(down, "", "sync")
		cancel()
		if err == nil {
			t.Fatal("sync succeeded with the hub down")
		}
		if got := agentTA(t, a, dir, r.ID); got.Status != "queued" {
			t.Fatalf("with the hub down the request is %q", got.Status)
		}
		if err := h.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if _, err := a.CLI(ctx, "", "sync"); err != nil {
				t.Fatal(err)
			}
		}
		if got := agentTA(t, a, dir, r.ID); got.Status != "open" {
			t.Fatalf("after delivery the request is %q", got.Status)
		}
		ta := taSpecialist(t, h)
		var list []struct {
			ID     string `json:"id"`
			Text   string `json:"text"`
			Status string `json:"status"`
		}
		if st, err := cluster.JSON(ctx, http.MethodGet, h.URL()+"/api/v1/ta/requests", ta, nil, &list); err != nil || st != http.StatusOK {
			t.Fatalf("hub TA requests: %d %v", st, err)
		}
		if len(list) != 1 || list[0].ID != r.ID || !strings.Contains(list[0].Text, marker) || list[0].Status != "open" {
			t.Fatalf("the hub holds %+v", list)
		}
		hdb := openDB(t, hubDSN(h))
		var inRecords int64
		hdb.Raw("SELECT COUNT(*) FROM records WHERE data LIKE ?", "%"+marker+"%").Scan(&inRecords)
		if inRecords != 0 {
			t.Fatalf("the TA request's text is in %d outcome records", inRecords)
		}
		answer := "Weekly for the first three months, then every two weeks."
		var answered map[string]any
		if st, err := cluster.JSON(ctx, http.MethodPost, h.URL()+"/api/v1/ta/requests/"+r.ID+"/answer", ta, map[string]string{"answer": answer}, &answered); err != nil || st != http.StatusOK {
			t.Fatalf("answer: %d %v %v", st, err, answered)
		}
		if _, err := a.CLI(ctx, "", "sync"); err != nil {
			t.Fatal(err)
		}
		got := agentTA(t, a, dir, r.ID)
		if got.Status != "answered" || got.Answer != answer || got.AnsweredBy != "Tess Aid" {
			t.Fatalf("the agent holds %+v", got)
		}
		page := agentPage(t, a.URL()+"/ta-requests/"+r.ID, dir)
		if !strings.Contains(page, answer) {
			t.Fatal("the agent's request page does not show the answer")
		}
	})
}

// TestTASpecialistAnswersInTheBrowser: a TA specialist signs in to the
// hub, finds the site's request on My TA work, answers it with the form and
// sees the answer; the site receives it at its next sync. On the
// organization's profile (gone live) the specialist marks the first
// check-in done. The affiliates and TA pages fit a phone.
func TestTASpecialistAnswersInTheBrowser(t *testing.T) {
	bctx := newBrowser(t)
	h := startHub(t, "")
	ctx := context.Background()
	a := enrolledAgent(t, h, h.URL(), "Browser TA site")
	const org = "Org of Browser TA site"
	for _, to := range []string{"agreement", "training", "launched"} {
		if _, err := h.CLI(ctx, "", "org", "stage", "--org", org, "--to", to); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Start(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop() })
	dir := directorToken(t, a)
	r := raiseTA(t, a, dir, "Meeting space in winter", "Our room is closed in January. Can Peer Partners meet online for a month?")
	if _, err := a.CLI(ctx, "", "sync"); err != nil {
		t.Fatal(err)
	}
	ta := taSpecialist(t, h)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do(t, bctx, append(signIn(h.URL()+"/ta", "ta@example.org", taPassword), chromedp.WaitVisible(css("#open-requests")))...)
	if heading := text(t, bctx, "h1"); heading != "My TA work" {
		t.Fatalf("after sign-in the page is %q", heading)
	}
	if row := text(t, bctx, "#requests-table tbody"); !strings.Contains(row, "Meeting space in winter") || !strings.Contains(row, "Browser TA site") {
		t.Fatalf("My TA work lists %q", row)
	}
	answer := "Yes: for up to two months, by video, with the same group and coach. Log the meetings as usual."
	do(t, bctx,
		chromedp.Click(css(`#requests-table a[href="/ta/requests/`+r.ID+`"]`)),
		chromedp.WaitVisible(css("#answer")),
		chromedp.SendKeys(css("#answer"), answer),
	)
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-ta-answer-form"))
	do(t, bctx, chromedp.Click(css("#answer-form button")), chromedp.WaitVisible(css("#answer-text")))
	if notice := text(t, bctx, ".notice"); !strings.Contains(notice, "Answer saved") {
		t.Fatalf("notice %q", notice)
	}
	if got := text(t, bctx, "#answer-text"); got != answer {
		t.Fatalf("the page shows the answer %q", got)
	}
	if st := text(t, bctx, "#status"); st != "answered" {
		t.Fatalf("status %q", st)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-ta-answered"))
	if _, err := a.CLI(ctx, "", "sync"); err != nil {
		t.Fatal(err)
	}
	if got := agentTA(t, a, dir, r.ID); got.Answer != answer {
		t.Fatal(fmt.Errorf("the site holds the answer %q", got.Answer))
	}

	// The organization's profile: its TA plan opened at go-live.
	var orgs []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if _, err := cluster.JSON(ctx, http.MethodGet, h.URL()+"/api/v1/organizations?stage=launched", ta, nil, &orgs); err != nil || len(orgs) != 1 || orgs[0].Name != org {
		t.Fatalf("launched organizations %+v %v", orgs, err)
	}
	var plan struct {
		CheckIns []struct {
			ID string `json:"id"`
		} `json:"check_ins"`
	}
	if _, err := cluster.JSON(ctx, http.MethodGet, h.URL()+"/api/v1/organizations/"+orgs[0].ID+"/ta-plan", ta, nil, &plan); err != nil || len(plan.CheckIns) != 12 {
		t.Fatalf("plan %+v %v", plan, err)
	}
	first := "#ci-" + plan.CheckIns[0].ID
	do(t, bctx,
		chromedp.Click(css(`a[href="/affiliates/`+orgs[0].ID+`"]`)),
		chromedp.WaitVisible(css("#check-ins")),
		chromedp.Click(css(first+" summary")),
		chromedp.WaitVisible(css(first+` input[name="note"]`)),
		chromedp.SendKeys(css(first+` input[name="note"]`), "Kick-off call with the director."),
		chromedp.Click(css(first+` form[action$="/done"] button`)),
		chromedp.WaitVisible(css(".notice")),
	)
	if notice := text(t, bctx, ".notice"); notice != "Check-in marked done." {
		t.Fatalf("notice %q", notice)
	}
	if cell := text(t, bctx, first+" td:nth-child(2)"); !strings.HasPrefix(cell, "done ") {
		t.Fatalf("first check-in shows %q", cell)
	}
	if st := text(t, bctx, "#stage"); st != "Launched (go-live)" {
		t.Fatalf("stage %q", st)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-affiliate-profile"))

	do(t, bctx, chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/affiliates", "/affiliates/" + orgs[0].ID, "/ta", "/ta/requests", "/ta/requests/" + r.ID} {
		fitsPhone(t, bctx, h.URL(), path)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-affiliate-phone"))

	// The director reads the answer on the site's own page.
	do(t, bctx, chromedp.EmulateViewport(1200, 900))
	do(t, bctx, append(signIn(a.URL()+"/login", "director@example.org", directorPassword), chromedp.WaitVisible(css(`form[action="/logout"]`)), // signed in, not the sign-in page
		chromedp.Navigate(a.URL()+"/ta-requests"),
		chromedp.WaitVisible(css("#privacy-warning")),
		chromedp.Click(css(`#ta-requests a[href="/ta-requests/`+r.ID+`"]`)),
		chromedp.WaitVisible(css("#answer")))...)
	if got := text(t, bctx, "#answer"); got != answer {
		t.Fatalf("the site's page shows the answer %q", got)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "agent-ta-answer"))
}

// TestTARequestsSurviveHubRestore: the hub is restored from a backup older
// than a TA request and an answer. The agent notices the hub holds fewer of
// its requests than it delivered and sends them again (the one the hub kept
// counts as a duplicate); an answer given after the restore still reaches
// the site, though the hub's counter went back with the backup.
func TestTARequestsSurviveHubRestore(t *testing.T) {
	eachHubDB(t, func(t *testing.T, h *cluster.Hub) {
		ctx := context.Background()
		a := enrolledAgent(t, h, h.URL(), "Restored TA site")
		if err := a.Start(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Stop() })
		dir := directorToken(t, a)
		sync := func() {
			t.Helper()
			if _, err := a.CLI(ctx, "", "sync"); err != nil {
				t.Fatal(err)
			}
		}
		first := raiseTA(t, a, dir, "Before the backup", "Raised before the hub's backup.")
		sync()
		backup := backupHub(t, h)
		second := raiseTA(t, a, dir, "After the backup", "Raised after the hub's backup.")
		sync()
		ta := taSpecialist(t, h)
		answer := func(id, text string) {
			t.Helper()
			if st, err := cluster.JSON(ctx, http.MethodPost, h.URL()+"/api/v1/ta/requests/"+id+"/answer", ta, map[string]string{"answer": text}, nil); err != nil || st != http.StatusOK {
				t.Fatalf("answer: %d %v", st, err)
			}
		}
		answer(first.ID, "First answer, lost with the restore.")
		sync()
		if got := agentTA(t, a, dir, first.ID); got.Status != "answered" {
			t.Fatalf("before the restore the first request is %q", got.Status)
		}

		restoreHub(t, h, backup)
		hdb := openDB(t, hubDSN(h))
		held := func() (n int64) {
			hdb.Raw("SELECT COUNT(*) FROM ta_requests").Scan(&n)
			return n
		}
		if n := held(); n != 1 {
			t.Fatalf("the restored hub holds %d TA requests, want the backup's 1", n)
		}
		sync()
		if n := held(); n != 2 {
			t.Fatalf("after the agent's next sync the hub holds %d TA requests, want 2", n)
		}
		// The specialist's account came after the backup: add it again.
		ta = taSpecialist(t, h)
		answer(second.ID, "Second answer, given after the restore.")
		sync()
		if got := agentTA(t, a, dir, second.ID); got.Status != "answered" || got.Answer != "Second answer, given after the restore." {
			t.Fatalf("after the restore the site holds %+v", got)
		}
		if got := agentTA(t, a, dir, first.ID); got.Answer != "First answer, lost with the restore." {
			t.Fatalf("the site lost the first answer it had: %+v", got)
		}
	})
}
