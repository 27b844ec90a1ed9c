package cluster_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/program"
)

// tabUntil presses Tab until the focused element matches a JavaScript
// test of e (document.activeElement), failing after max presses.
func tabUntil(t *testing.T, bctx context.Context, what, test string, max int) {
	t.Helper()
	js := "(() => { const e = document.activeElement; return !!(e && (" + test + ")); })()"
	for i := 0; i <= max; i++ {
		c, cancel := within(bctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](js))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		do(t, bctx, chromedp.KeyEvent(kb.Tab))
	}
	t.Fatalf("%d presses of Tab never reached %s", max, what)
}

// press types text into whatever has the focus.
func press(t *testing.T, bctx context.Context, text string) {
	t.Helper()
	do(t, bctx, chromedp.KeyEvent(text))
}

// TestMainTasksWithTheKeyboard: a Program Director adds a participant,
// records their first POM interview and approves a stipend waiting for
// approval with the keyboard alone (Tab, typing, Space and Enter), at a
// phone's width.
func TestMainTasksWithTheKeyboard(t *testing.T) {
	bctx, a, tok := demoInBrowser(t, "tasks")
	ctx := context.Background()
	signInWithKeys(t, bctx, a.URL()+"/login", "director@example.org", directorPassword)
	do(t, bctx, chromedp.EmulateViewport(390, 844))

	// Add a participant.
	do(t, bctx, chromedp.Navigate(a.URL()+"/participants"), chromedp.WaitVisible(chromedp.CSS("#add-participant")))
	today := time.Now().Format("01022006") // a date field takes month, day, year as typed
	for _, f := range []struct{ id, text string }{{"first_name", "Keyla"}, {"last_name", "Board"}, {"birth_date", "04121980"}, {"enrolled_on", today}} {
		typeInto(t, bctx, f.id, f.text)
	}
	for _, id := range []string{"informed_consent", "manages_finances", "sets_goals", "accepts_responsibilities"} {
		tabTo(t, bctx, id, 20)
		press(t, bctx, " ")
	}
	typeInto(t, bctx, "agreement_signed_on", today)
	tabUntil(t, bctx, "the Add participant button", `e.type === "submit" && e.closest("#add-participant")`, 20)
	press(t, bctx, kb.Enter)
	var people []struct {
		ID        string `json:"id"`
		FirstName string `json:"first_name"`
	}
	var id string
	waitFor(t, 30*time.Second, "the participant added", func() error {
		if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/participants?q=Keyla", tok, nil, &people); err != nil {
			return err
		}
		for _, p := range people {
			if p.FirstName == "Keyla" {
				id = p.ID
				return nil
			}
		}
		return errString("not yet")
	})

	// Record the first interview: each indicator present (Tab into its
	// group, Space), then the Save button.
	goTo(t, bctx, a.URL()+"/participants/"+id+"?tab=interviews", "#interview-form")
	typeInto(t, bctx, "interviewed_on", today)
	asked := program.Default().Asked()
	for _, it := range asked {
		tabUntil(t, bctx, "the first choice of "+it.Code, `e.name === "a_`+it.Code+`"`, 6)
		press(t, bctx, " ")
	}
	tabUntil(t, bctx, "the Save interview button", `e.type === "submit" && e.closest("#interview-form")`, 12)
	press(t, bctx, kb.Enter)
	waitFor(t, 30*time.Second, "the interview saved", func() error {
		var ivs map[string]struct{ Answers map[string]bool }
		if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/participants/"+id+"/interviews", tok, nil, &ivs); err != nil {
			return err
		}
		if len(ivs["eligibility"].Answers) != len(asked) {
			return errString("not yet")
		}
		for code, present := range ivs["eligibility"].Answers {
			if !present {
				return errString(code + " is not present")
			}
		}
		return nil
	})

	// Approve a stipend the home says is waiting, from its link.
	goTo(t, bctx, a.URL()+"/", "#due-stipend")
	tabUntil(t, bctx, "a stipend waiting for approval", `e.tagName === "A" && !!e.closest("#due-stipend") && e.getAttribute("href").startsWith("/participants/")`, 80)
	press(t, bctx, kb.Enter)
	do(t, bctx, chromedp.WaitVisible(chromedp.CSS("#stipend-state")))
	tabUntil(t, bctx, "the Approve button", `e.type === "submit" && !!e.closest("#approve")`, 80)
	press(t, bctx, kb.Enter)
	if got := waitText(t, bctx, "#stipend-state", func(s string) bool { return strings.Contains(s, "was approved") }); !strings.Contains(got, "approved") {
		t.Fatalf("stipend: %q", got)
	}
}

// goTo opens url once the page shows sel, after a form was sent with the
// keyboard: the form's answer may still be loading in the browser, and a
// navigation it aborts is tried again.
func goTo(t *testing.T, bctx context.Context, url, sel string) {
	t.Helper()
	waitFor(t, 30*time.Second, url, func() error {
		c, cancel := within(bctx, 10*time.Second)
		defer cancel()
		return chromedp.Do(c, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel)))
	})
}
