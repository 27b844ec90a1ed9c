package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/itsmylife/iml/pkg/cluster"
)

// axeClean checks the page shows no serious or critical accessibility
// violation.
func axeClean(t *testing.T, bctx context.Context, what string) {
	t.Helper()
	c, cancel := within(bctx, 60*time.Second)
	vs, err := cluster.Axe(c)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("%s: %s", what, v)
	}
}

// eval evaluates a script in the page, within a deadline.
func eval[T any](t *testing.T, bctx context.Context, js string) T {
	t.Helper()
	c, cancel := within(bctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// TestDirectorsPagesInTheBrowser: a participant's record in sections,
// the intake edit with its history and the accounts page, at a desktop's
// and a phone's width with no serious or critical accessibility
// violation; the intake corrected and a coach's account added with the
// keyboard alone; a form with a mistake comes back with the focus on its
// error summary.
func TestDirectorsPagesInTheBrowser(t *testing.T) {
	bctx, a, tok := demoInBrowser(t, "pages")
	p := participantsOf(t, a, tok, 1)[0]
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	signInDirector(t, bctx, a, 1280, 900)

	pages := []struct{ name, path, ready string }{
		{"profile", "/participants/" + p.ID, "#profile-facts"},
		{"interviews", "/participants/" + p.ID + "?tab=interviews", "#pom-side-by-side"},
		{"goals", "/participants/" + p.ID + "?tab=goals", "#stipend-state"},
		{"journals", "/participants/" + p.ID + "?tab=journals", "#journal-completion"},
		{"outings", "/participants/" + p.ID + "?tab=outings", "#outing-stage"},
		{"intake", "/participants/" + p.ID + "/intake", "#intake-form"},
		{"accounts", "/accounts", "#accounts-table"},
	}
	for _, width := range []int64{1280, 390} {
		do(t, bctx, chromedp.EmulateViewport(width, 844))
		for _, pg := range pages {
			do(t, bctx, chromedp.Navigate(a.URL()+pg.path), chromedp.WaitVisible(css(pg.ready)))
			if width == 390 {
				fitsPhone(t, bctx, a.URL(), pg.path)
				do(t, bctx, chromedp.WaitVisible(css(pg.ready)))
			}
			axeClean(t, bctx, fmt.Sprintf("%s at %d px", pg.name, width))
			h := eval[float64](t, bctx, "document.documentElement.scrollHeight")
			t.Logf("%s at %d px: %.0f px high; screenshot: %s", pg.name, width, h, screenshot(t, bctx, fmt.Sprintf("pages-%s-%d", pg.name, width)))
			if width == 1280 && h > 4200 {
				t.Errorf("%s is %.0f px high at 1280 px: a section should be short", pg.name, h)
			}
		}
	}

	// The intake corrected with the keyboard alone: Tab to the address,
	// type, Enter; the profile shows it and the history the change.
	do(t, bctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(a.URL()+"/participants/"+p.ID), chromedp.WaitVisible(css("#profile-facts")))
	tabTo(t, bctx, "edit-intake", 60)
	do(t, bctx, chromedp.KeyEvent(kb.Enter))
	waitText(t, bctx, "h2#intake", func(s string) bool { return strings.HasPrefix(s, "Edit intake") })
	tabTo(t, bctx, "address", 60)
	do(t, bctx, chromedp.KeyEvent("27 Keyboard Lane"), chromedp.KeyEvent(kb.Enter))
	waitText(t, bctx, "#profile-address", func(s string) bool { return s == "27 Keyboard Lane" })
	hist := waitText(t, bctx, "#intake-history-table", func(s string) bool { return strings.Contains(s, "27 Keyboard Lane") })
	if !strings.Contains(hist, "Address") {
		t.Errorf("the history does not name the field: %s", hist)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "pages-intake-history-1280"))

	// A mistake: the form comes back with the summary focused, linking to
	// the field, which is marked invalid.
	do(t, bctx, chromedp.Navigate(a.URL()+"/participants/"+p.ID+"/intake"), chromedp.WaitVisible(css("#first_name")))
	tabTo(t, bctx, "first_name", 60)
	do(t, bctx, chromedp.KeyEvent(kb.Delete), chromedp.KeyEvent(kb.Enter))
	waitText(t, bctx, "#error-summary", func(s string) bool { return strings.Contains(s, "Enter the first name") })
	if f := eval[string](t, bctx, "document.activeElement.id"); f != "error-summary" {
		t.Errorf("after a mistake the focus is on %q, not the error summary", f)
	}
	if v := eval[string](t, bctx, `document.getElementById("first_name").getAttribute("aria-invalid") + " " + document.getElementById("first_name").getAttribute("aria-describedby")`); !strings.Contains(v, "true") || !strings.Contains(v, "err-first_name") {
		t.Errorf("the invalid field: %s", v)
	}
	axeClean(t, bctx, "intake with a mistake")
	t.Logf("screenshot: %s", screenshot(t, bctx, "pages-intake-error-1280"))
	do(t, bctx, chromedp.KeyEvent(kb.Tab))
	if f := eval[string](t, bctx, `document.activeElement.getAttribute("href") || ""`); f != "#first_name" {
		t.Fatalf("Tab from the summary goes to %q, not its first link", f)
	}
	do(t, bctx, chromedp.KeyEvent(kb.Enter))
	waitFor(t, 10*time.Second, "the summary's link moves the focus to the field", func() error {
		if f := eval[string](t, bctx, "document.activeElement.id"); f != "first_name" {
			return errString("focus on " + f)
		}
		return nil
	})

	addCoachWithKeyboard(t, bctx, a.URL())
}

// addCoachWithKeyboard adds a coach's account on the accounts page with
// the keyboard alone (Tab to the name, type, Tab, type, Tab, type, Enter);
// the new coach signs in.
func addCoachWithKeyboard(t *testing.T, bctx context.Context, base string) {
	t.Helper()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do(t, bctx, chromedp.Navigate(base+"/accounts"), chromedp.WaitVisible(css("#add-account-form")))
	tabTo(t, bctx, "name", 120)
	do(t, bctx, chromedp.KeyEvent("Kim Keyboard"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("kim@example.org"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("a password for kim"), chromedp.KeyEvent(kb.Enter))
	waitText(t, bctx, "#account-done", func(s string) bool { return strings.Contains(s, "The account was added") })
	waitText(t, bctx, "#accounts-table", func(s string) bool { return strings.Contains(s, "kim@example.org") })
	axeClean(t, bctx, "accounts after adding")
	t.Logf("screenshot: %s", screenshot(t, bctx, "pages-accounts-added-1280"))
	if _, err := cluster.Login(context.Background(), base, "kim@example.org", "a password for kim"); err != nil {
		t.Errorf("the new coach signs in: %v", err)
	}
}
