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
	bctx, a, tok := demoInBrowser(t, "phone")
	ctx := context.Background()
	people := participantsOf(t, a, tok, 1)
	var cohorts []struct{ ID string }
	if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/cohorts", tok, nil, &cohorts); err != nil || len(cohorts) == 0 {
		t.Fatalf("cohorts: %v", err)
	}
	signInDirector(t, bctx, a, 390, 844)
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
