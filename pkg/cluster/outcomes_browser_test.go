package cluster_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/program"
)

// elementShot saves a PNG of one element (see saveShot) and returns its
// path.
func elementShot(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	c, cancel := within(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", sel, err)
	}
	return saveShot(t, name, png, 2_000)
}

// TestSurveyAndPOMPagesInTheBrowser: the coach reads a participant's three
// POM interviews side by side, then puts the tablet in survey mode; the
// participant sees only the survey, answers it and is thanked; the staff
// pages ask for a sign-in again.
func TestSurveyAndPOMPagesInTheBrowser(t *testing.T) {
	bctx := newBrowser(t)
	ctx := context.Background()
	a := &cluster.Agent{Name: "survey", Bin: agentBin, DataDir: t.TempDir()}
	if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "10", "--seed", "4"); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop() })
	tok := directorToken(t, a)
	var people []struct {
		ID         string `json:"id"`
		EnrolledOn string `json:"enrolled_on"`
	}
	if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/participants", tok, nil, &people); err != nil || len(people) == 0 {
		t.Fatalf("participants: %v", err)
	}
	p := people[0]
	rel := program.Default()
	// Friends and community life gained, rights lost, the rest not present.
	for _, iv := range []struct {
		tp      string
		present map[string]bool
	}{
		{"eligibility", map[string]bool{"pom05_exercise_rights": true}},
		{"midpoint", map[string]bool{"pom20_have_friends": true, "pom05_exercise_rights": true}},
		{"closing", map[string]bool{"pom20_have_friends": true, "pom19_community_life": true}},
	} {
		answers := map[string]bool{}
		for _, it := range rel.Asked() {
			answers[it.Code] = iv.present[it.Code]
		}
		post(t, ctx, http.MethodPut, a.URL()+"/api/v1/participants/"+p.ID+"/interviews/"+iv.tp, tok, map[string]any{"interviewed_on": p.EnrolledOn, "answers": answers}, nil, http.StatusOK)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do(t, bctx,
		chromedp.Navigate(a.URL()+"/participants/"+p.ID+"?tab=interviews"),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "director@example.org"),
		chromedp.SendKeys(css("#password"), directorPassword),
		chromedp.Submit(css("#password")),
	)
	waitText(t, bctx, "h1", func(s string) bool { return s != "Sign in" })
	do(t, bctx, chromedp.WaitVisible(css("#pom-side-by-side")))
	rows := text(t, bctx, "#pom-side-by-side tbody")
	for _, want := range []string{"People have friends", "▲ now present", "▼ no longer present", "no change"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the side-by-side table lacks %q", want)
		}
	}
	if foot := text(t, bctx, "#pom-side-by-side tfoot"); !strings.Contains(foot, "1 of 12") || !strings.Contains(foot, "2 of 12") {
		t.Errorf("indicators present per timepoint: %q", foot)
	}
	do(t, bctx, chromedp.ScrollIntoView(css("#pom-side-by-side")))
	t.Logf("screenshot: %s", elementShot(t, bctx, "#pom-side-by-side", "agent-pom-side-by-side"))
	// Participation is a section of its own: its tab.
	do(t, bctx, chromedp.Click(css("#tab-participation")), chromedp.WaitVisible(css("#participation-table")))
	t.Logf("screenshot: %s", elementShot(t, bctx, "#participation-table", "agent-participation"))

	// Survey mode on this device.
	do(t, bctx,
		chromedp.Navigate(a.URL()+"/surveys"),
		chromedp.WaitVisible(css("#survey-device-form")),
	)
	t.Logf("screenshot: %s", screenshot(t, bctx, "agent-surveys-staff"))
	do(t, bctx,
		chromedp.SetValue(css("#device_timepoint"), "closing"),
		chromedp.Click(css("#survey-device-form button")),
		chromedp.WaitVisible(css("#survey-form")),
	)
	// No navigation but the language switch.
	if nav, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("nav:not(.lang), a[href='/participants'], a[href='/']").length`)); err != nil || nav != 0 {
		t.Fatalf("the survey page has %d staff links (%v)", nav, err)
	}
	if heading := text(t, bctx, "h1"); heading != "How is the program working for you?" {
		t.Fatalf("survey page heading %q", heading)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "agent-survey"))
	do(t, bctx,
		chromedp.Click(css(`input[name="s_s01_meets_where_i_choose"][value="definitely_agree"]`)),
		chromedp.Click(css(`input[name="s_s11_social_life_better"][value="somewhat_agree"]`)),
		chromedp.Click(css("#survey-form button")),
		chromedp.WaitVisible(css("#survey-thanks")),
	)
	if next := text(t, bctx, "#survey-next"); !strings.Contains(next, "Next person") {
		t.Fatalf("thanks page: %q", next)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "agent-survey-thanks"))
	// The staff session is gone on this device.
	do(t, bctx, chromedp.Navigate(a.URL()+"/participants"), chromedp.WaitVisible(css("#password")))
	var counts struct {
		Surveys []struct{ Waiting, Released int }
	}
	if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/surveys", tok, nil, &counts); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range counts.Surveys {
		total += c.Waiting + c.Released
	}
	if total < 1 {
		t.Fatalf("surveys at the site: %+v", counts)
	}
}
