package cluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/itsmylife/iml/pkg/cluster"
)

// newBrowser starts headless Chromium for a test (see cluster.NewBrowser).
func newBrowser(t *testing.T) context.Context { t.Helper(); return cluster.NewBrowser(t) }

// within bounds one browser step.
func within(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// text reads the visible text of the first element matching a CSS selector.
//
// A read that fails is tried again until a deadline: a page whose document
// is being replaced (after a form is sent or a link followed) answers
// "no node with given id" to a read begun on the one before.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return waitText(t, ctx, sel, func(string) bool { return true })
}

// waitText polls the text of an element until ok accepts it, across page
// loads, and returns it.
func waitText(t *testing.T, ctx context.Context, sel string, ok func(string) bool) string {
	t.Helper()
	var got string
	waitFor(t, 30*time.Second, "text of "+sel, func() error {
		c, cancel := within(ctx, 5*time.Second)
		defer cancel()
		s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			return err
		}
		got = s
		if !ok(s) {
			return errString(sel + ": " + s)
		}
		return nil
	})
	return got
}

// do runs browser steps with a deadline.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := within(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatal(err)
	}
}

// screenshot saves a full-page PNG under IML_SCREENSHOTS (or the test's
// temporary directory) and returns its path.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	c, cancel := within(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	return saveShot(t, name, png, 10_000)
}

// saveShot checks a screenshot is a PNG of at least minBytes and saves it
// under IML_SCREENSHOTS (or the test's temporary directory).
func saveShot(t *testing.T, name string, png []byte, minBytes int) string {
	t.Helper()
	dir := os.Getenv("IML_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name+".png")
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot %s is not a PNG", name)
	}
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	if len(png) < minBytes {
		t.Fatalf("screenshot %s is only %d bytes", name, len(png))
	}
	return path
}

// TestStaffSeeThePOMTableInTheBrowser: a staff member signs in with the form,
// is taken back to the page asked for, filters by site and reads the table.
func TestStaffSeeThePOMTableInTheBrowser(t *testing.T) {
	bctx := newBrowser(t)
	h := startHub(t, "")
	ctx := context.Background()
	sent := map[string]int{}
	for i, site := range []string{"North", "South"} {
		a := enrolledAgent(t, h, h.URL(), site)
		if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "15", "--seed", string(rune('1'+i))); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CLI(ctx, "", "sync"); err != nil {
			t.Fatal(err)
		}
		sent[site] = sentParticipants(t, a)
	}
	if sent["North"] == 0 || sent["South"] == 0 {
		t.Fatalf("participants sent: %v", sent)
	}
	analystToken(t, h) // creates analyst@example.org
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do(t, bctx,
		chromedp.Navigate(h.URL()+"/outcomes/pom"),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "analyst@example.org"),
		chromedp.SendKeys(css("#password"), "an analyst password"),
		chromedp.Submit(css("#password")),
		chromedp.WaitVisible(css("#pom-table")),
	)
	if heading := text(t, bctx, "h1"); heading != "Personal Outcome Measures" {
		t.Fatalf("after sign-in the page is %q", heading)
	}
	waitFor(t, 30*time.Second, "the report to hold both sites", func() error {
		do(t, bctx, chromedp.Reload(), chromedp.WaitVisible(css("#pom-table")))
		if summary := text(t, bctx, ".summary"); !strings.HasPrefix(summary, fmt.Sprintf("%d participants", sent["North"]+sent["South"])) {
			return errString("summary: " + summary)
		}
		return nil
	})
	do(t, bctx,
		chromedp.SetValue(css("#site"), siteID(t, h, "North")),
		chromedp.Click(css(".filters button")),
		chromedp.WaitVisible(css("#pom-table")),
	)
	waitText(t, bctx, ".summary", func(s string) bool { return strings.HasPrefix(s, fmt.Sprintf("%d participants", sent["North"])) })
	if first := text(t, bctx, `#pom-table tbody tr[data-code="pom20_have_friends"] td`); !strings.HasSuffix(first, "%") {
		t.Fatalf("filtered by site, first cell %q", first)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-pom-filtered"))
}

type errString string

func (e errString) Error() string { return string(e) }

func siteID(t *testing.T, h *cluster.Hub, name string) string {
	t.Helper()
	out, err := h.CLI(context.Background(), "", "site", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && f[1] == name {
			return f[0]
		}
	}
	t.Fatalf("no site %s in %s", name, out)
	return ""
}
