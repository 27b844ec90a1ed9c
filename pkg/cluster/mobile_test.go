package cluster_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/itsmylife/iml/pkg/cluster"
)

// TestSitePagesFitAPhone opens the site's main pages at a phone's width and
// checks none of them makes the page scroll sideways (tables scroll in their
// own box instead).
func TestSitePagesFitAPhone(t *testing.T) {
	bctx := newBrowser(t)
	ctx := context.Background()
	a, tok := demoAgent(t, "phone")
	var people []struct {
		ID string `json:"id"`
	}
	var cohorts []struct{ ID string }
	if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/participants", tok, nil, &people); err != nil || len(people) == 0 {
		t.Fatalf("participants: %v", err)
	}
	if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/cohorts", tok, nil, &cohorts); err != nil || len(cohorts) == 0 {
		t.Fatalf("cohorts: %v", err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do(t, bctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(a.URL()+"/login"),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "director@example.org"),
		chromedp.SendKeys(css("#password"), directorPassword),
		chromedp.Submit(css("#password")),
	)
	waitText(t, bctx, "h1", func(s string) bool { return s == "This week" })
	for _, path := range []string{"/", "/participants", "/participants?q=a&sort=month", "/participants/" + people[0].ID, "/cohorts", "/cohorts/" + cohorts[0].ID, "/coaches", "/stipends", "/audit", "/ta-requests", "/surveys"} {
		fitsPhone(t, bctx, a.URL(), path)
		if strings.HasPrefix(path, "/participants/") {
			t.Logf("screenshot: %s", screenshot(t, bctx, "phone-participant"))
		}
	}
}

// fitsPhone opens a page (in a browser already at a phone's width) and
// fails the test if the page scrolls sideways, naming what sticks out.
func fitsPhone(t *testing.T, bctx context.Context, base, path string) {
	t.Helper()
	do(t, bctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main")))
	c, cancel := within(bctx, 10*time.Second)
	over, err := chromedp.Run(c, chromedp.Evaluate[float64]("document.documentElement.scrollWidth - window.innerWidth"))
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if over > 1 {
		c, cancel := within(bctx, 10*time.Second)
		wide, _ := chromedp.Run(c, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.closest("table"))).slice(0, 5).map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className + " (" + Math.round(e.getBoundingClientRect().right) + ")").join(", ")`))
		cancel()
		t.Errorf("%s is %.0f px wider than a 390 px phone screen; sticking out: %s", path, over, wide)
	}
}

// demoAgent starts an agent with the demo site of 12 participants and
// returns it with a director's token.
func demoAgent(t *testing.T, name string) (*cluster.Agent, string) {
	t.Helper()
	ctx := context.Background()
	a := &cluster.Agent{Name: name, Bin: agentBin, DataDir: t.TempDir()}
	if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "12"); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop() })
	return a, directorToken(t, a)
}
