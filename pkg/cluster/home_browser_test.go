package cluster_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/itsmylife/iml/pkg/cluster"
)

// TestHomeAndListInTheBrowser: the director lands on the site's home
// after signing in; the home and the participant list are shown at a
// desktop's and a phone's width with no serious or critical accessibility
// violation, and with the keyboard alone (Tab to the search box, type,
// Enter) the list is searched.
func TestHomeAndListInTheBrowser(t *testing.T) {
	bctx, a, tok := demoInBrowser(t, "home")
	people := participantsOf(t, a, tok, 2)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	signInDirector(t, bctx, a, 1280, 900)
	for _, width := range []int64{1280, 390} {
		do(t, bctx, chromedp.EmulateViewport(width, 844))
		for _, pg := range []struct{ name, path, h1 string }{{"home", "/", "This week"}, {"list", "/participants", "Participants"}} {
			do(t, bctx, chromedp.Navigate(a.URL()+pg.path), chromedp.WaitVisible(css("main")))
			waitText(t, bctx, "h1", func(s string) bool { return s == pg.h1 })
			if pg.name == "home" {
				waitText(t, bctx, "#due-interview h2", func(s string) bool { return strings.HasPrefix(s, "POM interview due") })
				waitText(t, bctx, "#home-sync", func(s string) bool { return strings.Contains(s, "Sync with the national hub") })
			}
			if width == 390 {
				fitsPhone(t, bctx, a.URL(), pg.path)
			}
			c, cancel := within(bctx, 60*time.Second)
			vs, err := cluster.Axe(c)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				t.Errorf("%s at %d px: %s", pg.path, width, v)
			}
			t.Logf("screenshot: %s", screenshot(t, bctx, fmt.Sprintf("%s-%d", pg.name, width)))
		}
	}

	// The keyboard alone: from the top of the list page, Tab until the
	// search box has the focus, type part of a name, Enter.
	do(t, bctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(a.URL()+"/participants"), chromedp.WaitVisible(css("#q")))
	focused := ""
	for i := 0; i < 40 && focused != "q"; i++ {
		do(t, bctx, chromedp.KeyEvent(kb.Tab))
		c, cancel := within(bctx, 5*time.Second)
		focused, _ = chromedp.Run(c, chromedp.Evaluate[string]("document.activeElement ? document.activeElement.id : ''"))
		cancel()
	}
	if focused != "q" {
		t.Fatalf("40 presses of Tab never reached the search box")
	}
	want := people[1].LastName
	part := strings.ToLower(want[:min(4, len(want))])
	n := 0
	for _, p := range people {
		if strings.Contains(strings.ToLower(p.FirstName+" "+p.LastName), part) || strings.Contains(strings.ToLower(p.LastName+", "+p.FirstName), part) {
			n++
		}
	}
	do(t, bctx, chromedp.KeyEvent(part), chromedp.KeyEvent(kb.Enter))
	waitText(t, bctx, "#list-count", func(s string) bool { return strings.Contains(s, "match") })
	rows := waitText(t, bctx, "#participant-list tbody", func(s string) bool { return strings.Contains(s, want) })
	if got := strings.Count(rows, "\n") + 1; got != n {
		t.Errorf("searching %q lists %d rows, want %d:\n%s", part, got, n, rows)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "list-searched-1280"))
	c, cancel := within(bctx, 5*time.Second)
	loc, err := chromedp.Run(c, chromedp.Location())
	cancel()
	if err != nil || !strings.Contains(loc, "q="+part) {
		t.Errorf("the search is not in the address (to bookmark): %s %v", loc, err)
	}
	if v := text(t, bctx, "#list-count"); !strings.HasPrefix(v, fmt.Sprint(n)+" participant") {
		t.Errorf("the count says %q, want %d", v, n)
	}
	var value string
	c, cancel = within(bctx, 5*time.Second)
	value, _ = chromedp.Run(c, chromedp.Value(css("#q")))
	cancel()
	if value != part {
		t.Errorf("the search box holds %q after the search, want %q", value, part)
	}
}
