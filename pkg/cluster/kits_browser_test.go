package cluster_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTrainerPublishesAndCertifiesInTheBrowser: a trainer signs in, starts
// a draft of the next release, attaches a worksheet to a lesson plan,
// changes the stipend in the content, sees what changed, publishes; then
// registers a coach candidate, is refused certification until the six
// modules are recorded, certifies, and the code verifies on the public
// page.
func TestTrainerPublishesAndCertifiesInTheBrowser(t *testing.T) {
	bctx := newBrowser(t)
	h := startHub(t, "")
	ctx := context.Background()
	if _, err := h.AddSite(ctx, "Riverside Peer Center", "peer_run", "VA", "Riverside"); err != nil {
		t.Fatal(err)
	}
	trainerToken(t, h)
	worksheet := filepath.Join(t.TempDir(), "goals-worksheet.pdf")
	if err := os.WriteFile(worksheet, worksheetPDF, 0o600); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	do(t, bctx,
		chromedp.Navigate(h.URL()+"/kits"),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "trainer@example.org"),
		chromedp.SendKeys(css("#password"), trainerPassword),
		chromedp.Submit(css("#password")),
		chromedp.WaitVisible(css("#new-draft")),
		chromedp.SendKeys(css("#version"), "2026.2"),
		chromedp.Click(css("#new-draft button[type=submit]")),
		chromedp.WaitVisible(css("#attach")),
	)
	if got := text(t, bctx, "h1"); got != "Draft 2026.2" {
		t.Fatalf("after starting a draft: %q", got)
	}
	// Attach a worksheet to the first lesson plan.
	plan := value(t, bctx, "#lesson_plan option:nth-child(2)")
	do(t, bctx,
		chromedp.SetUploadFiles(css("#file"), []string{worksheet}),
		chromedp.SetValue(css("#kind"), "worksheet"),
		chromedp.SetValue(css("#lesson_plan"), plan),
		chromedp.Click(css("#attach button[type=submit]")),
		chromedp.WaitVisible(css("#saved-file")),
		chromedp.WaitVisible(css("#files")),
	)
	if got := text(t, bctx, "#files tbody"); !strings.Contains(got, "goals-worksheet.pdf") || !strings.Contains(got, plan) {
		t.Fatalf("files: %q", got)
	}
	// Change the stipend in the content.
	content := value(t, bctx, "#content")
	changed := strings.Replace(content, `"monthly_cents": 6000`, `"monthly_cents": 6500`, 1)
	if changed == content {
		t.Fatalf("the content shows no stipend of 6000 cents")
	}
	do(t, bctx,
		chromedp.SetValue(css("#content"), changed),
		chromedp.Click(css("#content-form button[type=submit]")),
		// The draft's page is already showing changes (the file): wait for
		// the page the saved content leads to.
		chromedp.WaitVisible(css("#saved-content")),
		chromedp.WaitVisible(css("table.changes")),
	)
	changes := text(t, bctx, "table.changes tbody")
	if !strings.Contains(changes, "monthly amount") || !strings.Contains(changes, "65.00 USD") || !strings.Contains(changes, "goals-worksheet.pdf") {
		t.Fatalf("changes: %q", changes)
	}
	if v := text(t, bctx, "#validation"); !strings.Contains(v, "can be published") {
		t.Fatalf("validation: %q", v)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-kit-draft"))
	do(t, bctx,
		chromedp.Click(css("#publish")),
		chromedp.WaitVisible(css("#published")),
	)
	if got := text(t, bctx, "#status"); !strings.Contains(got, "published") {
		t.Fatalf("status after publishing: %q", got)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-kit-published"))

	// Certify a coach.
	do(t, bctx,
		chromedp.Click(css(`header nav a[href="/training"]`)),
		chromedp.WaitVisible(css("#add-person")),
		chromedp.SendKeys(css("#person-name"), "Casey Morgan"),
		chromedp.SendKeys(css("#person-email"), "casey@example.org"),
		chromedp.Click(css("#add-person button[type=submit]")),
		chromedp.WaitVisible(css("#modules")),
		chromedp.Click(css("#certify")),
		chromedp.WaitVisible(css("#error-summary")),
	)
	if msg := text(t, bctx, "#error-summary"); !strings.Contains(msg, "has not completed") || !strings.Contains(msg, "nothing was saved") {
		t.Fatalf("certifying too early: %q", msg)
	}
	for _, m := range []string{"peer_support", "self_directed_care", "psychiatric_rehabilitation", "life_coaching", "motivational_interviewing", "shared_decision_making"} {
		do(t, bctx,
			chromedp.SetValue(css("#module"), m),
			chromedp.Click(css("#module-form button[type=submit]")),
			chromedp.WaitVisible(css(`#modules tr[data-module="`+m+`"] .badge`)),
		)
	}
	do(t, bctx,
		chromedp.Click(css("#certify")),
		chromedp.WaitVisible(css(".cert-code")),
	)
	code := text(t, bctx, ".cert-code")
	c, cancel := within(bctx, 10*time.Second)
	personURL, err := chromedp.Run(c, chromedp.Location())
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^IML-[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$`).MatchString(code) {
		t.Fatalf("code %q", code)
	}
	if st := text(t, bctx, ".cert-status"); !strings.Contains(st, "current") {
		t.Fatalf("status %q", st)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-certified-coach"))

	// Anyone checks the code on the public page.
	do(t, bctx,
		chromedp.Navigate(h.URL()+"/verify"),
		chromedp.WaitVisible(css("#code")),
		chromedp.SendKeys(css("#code"), strings.ToLower(code)),
		chromedp.Submit(css("#code")),
		chromedp.WaitVisible(css("#verify-result")),
	)
	if got := text(t, bctx, "#verify-result"); !strings.Contains(got, "Casey Morgan") || !strings.Contains(got, "current") || strings.Contains(got, "casey@example.org") {
		t.Fatalf("verification: %q", got)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-verify"))

	// The pages fit a phone.
	do(t, bctx, chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/kits", "/kits/releases/2026.2", "/kits/diff?from=2026.1&to=2026.2", "/kits/sites", "/training", strings.TrimPrefix(personURL, h.URL()), "/verify?code=" + code} {
		fitsPhone(t, bctx, h.URL(), path)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-verify-phone"))
}

// value reads the value of the first form element matching a selector.
func value(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	c, cancel := within(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}
