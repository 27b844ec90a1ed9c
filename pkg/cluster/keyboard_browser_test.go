package cluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// focused is the id of the element with the keyboard focus ("" for none).
func focused(t *testing.T, bctx context.Context) string {
	t.Helper()
	c, cancel := within(bctx, 5*time.Second)
	defer cancel()
	id, err := chromedp.Run(c, chromedp.Evaluate[string]("document.activeElement ? document.activeElement.id : ''"))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// tabTo presses Tab until the element of the id has the focus (none when
// it has it already), failing after max presses, and returns how many it
// took. Every press must show where the focus is: an outline or a box
// shadow on the focused element.
func tabTo(t *testing.T, bctx context.Context, id string, max int) int {
	t.Helper()
	if focused(t, bctx) == id {
		return 0
	}
	for i := 1; i <= max; i++ {
		do(t, bctx, chromedp.KeyEvent(kb.Tab))
		c, cancel := within(bctx, 5*time.Second)
		visible, err := chromedp.Run(c, chromedp.Evaluate[bool](`(() => { const e = document.activeElement; if (!e || e === document.body) return true;
			const s = getComputedStyle(e); return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none"; })()`))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		got := focused(t, bctx)
		if !visible {
			t.Errorf("the focus on #%s is not shown", got)
		}
		if got == id {
			return i
		}
	}
	t.Fatalf("%d presses of Tab never reached #%s", max, id)
	return 0
}

// typeInto tabs to a field and types into it.
func typeInto(t *testing.T, bctx context.Context, id, text string) {
	t.Helper()
	tabTo(t, bctx, id, 40)
	do(t, bctx, chromedp.KeyEvent(text))
}

// signInWithKeys signs in on a sign-in page with the keyboard alone: Tab
// to the email, type, Tab to the password, type, Enter.
func signInWithKeys(t *testing.T, bctx context.Context, url, email, password string) {
	t.Helper()
	do(t, bctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#email")))
	typeInto(t, bctx, "email", email)
	typeInto(t, bctx, "password", password)
	do(t, bctx, chromedp.KeyEvent(kb.Enter))
	waitFor(t, 30*time.Second, "signed in", func() error {
		c, cancel := within(bctx, 5*time.Second)
		defer cancel()
		loc, err := chromedp.Run(c, chromedp.Location())
		if err != nil || strings.Contains(loc, "/login") {
			return errString("still on the sign-in page")
		}
		return nil
	})
}

// TestSignInWithTheKeyboard: staff sign in to the hub and to a site with
// the keyboard alone, seeing where the focus is at every step; a hub form
// sent with a mistake comes back with the focus on its summary, whose link
// takes it to the field.
func TestSignInWithTheKeyboard(t *testing.T) {
	bctx := newBrowser(t)
	ctx := context.Background()
	h := startHub(t, "")
	if _, err := h.CLI(ctx, "an admin password\n", "user", "add", "--email", "admin@example.org", "--name", "Ada Admin", "--role", "admin", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	signInWithKeys(t, bctx, h.URL()+"/login", "admin@example.org", "an admin password")
	// Polled: the location moves off the sign-in page before the next
	// page's document has replaced it.
	waitText(t, bctx, "h1", func(s string) bool { return s != "" })
	hubFormMistakeWithKeys(t, bctx, h.URL())
	a, _ := demoAgent(t, "keys")
	signInWithKeys(t, bctx, a.URL()+"/login", "director@example.org", directorPassword)
	waitText(t, bctx, "h1", func(s string) bool { return s == "This week" })
}

// hubFormMistakeWithKeys sends the hub's form to add an organization with
// a state code the hub refuses, with the keyboard alone: the form comes
// back with the focus on its error summary, no serious or critical
// accessibility violation, the field marked invalid and what was typed
// kept; Tab and Enter on the summary's link put the focus on the field.
func hubFormMistakeWithKeys(t *testing.T, bctx context.Context, base string) {
	t.Helper()
	do(t, bctx, chromedp.Navigate(base+"/affiliates"), chromedp.WaitVisible(chromedp.CSS("#name")))
	typeInto(t, bctx, "name", "Keyboard House")
	typeInto(t, bctx, "state", "V1")
	do(t, bctx, chromedp.KeyEvent(kb.Enter))
	waitText(t, bctx, "#error-summary", func(s string) bool { return strings.Contains(s, "two-letter postal code of a state") })
	if f := focused(t, bctx); f != "error-summary" {
		t.Errorf("after a mistake the focus is on %q, not the error summary", f)
	}
	if v := eval[string](t, bctx, `(() => { const e = document.getElementById("state"); return e.getAttribute("aria-invalid") + " " + e.getAttribute("aria-describedby"); })()`); !strings.Contains(v, "true") || !strings.Contains(v, "err-state") {
		t.Errorf("the invalid field: %s", v)
	}
	if v := eval[string](t, bctx, `document.getElementById("name").value`); v != "Keyboard House" {
		t.Errorf("the form kept the name as %q", v)
	}
	axeClean(t, bctx, "the hub's affiliate form with a mistake")
	do(t, bctx, chromedp.KeyEvent(kb.Tab))
	if f := eval[string](t, bctx, `document.activeElement.getAttribute("href") || ""`); f != "#state" {
		t.Fatalf("Tab from the summary goes to %q, not its link to the state", f)
	}
	do(t, bctx, chromedp.KeyEvent(kb.Enter))
	waitFor(t, 10*time.Second, "the summary's link moves the focus to the field", func() error {
		if f := focused(t, bctx); f != "state" {
			return errString("focus on " + f)
		}
		return nil
	})
}
