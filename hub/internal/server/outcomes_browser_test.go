package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// browser starts headless Chromium; without it the test skips, unless
// CI=true, where it fails.
func chromium(t *testing.T) context.Context { t.Helper(); return cluster.NewBrowser(t) }

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func steps(t *testing.T, ctx context.Context, as ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, as...); err != nil {
		t.Fatal(err)
	}
}

// shot saves a full-page screenshot under IML_SCREENSHOTS (or the test's
// temporary directory) and logs where.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("IML_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	for suffix, a := range map[string]chromedp.Action[[]byte]{"": chromedp.FullScreenshot(100), "-top": chromedp.CaptureScreenshot()} {
		png := run(t, ctx, a)
		if len(png) < 10_000 || string(png[1:4]) != "PNG" {
			t.Fatalf("screenshot %s is no PNG or only %d bytes", name, len(png))
		}
		path := filepath.Join(dir, name+suffix+".png")
		if err := os.WriteFile(path, png, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
}

// TestOutcomesDashboardInTheBrowser: an analyst signs in, opens the
// dashboard, narrows it with the filter form (state and program model),
// sees only that state's sites with the filter kept in the form and the
// address, gets a readable message for a bad filter, and the page fits a
// phone; printed, the report drops the navigation and the form.
func TestOutcomesDashboardInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		bctx := chromium(t)
		w := newOutcomeWorld(t, dsn, 11, 11)
		if _, err := staff.New(w.h.st).AddUser(context.Background(), "nat@example.org", "Nat Analyst", store.RoleAnalyst, "", "correct horse battery staple"); err != nil {
			t.Fatal(err)
		}
		css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
		steps(t, bctx, chromedp.Navigate(w.h.srv.URL+"/outcomes"), chromedp.WaitVisible(css("#email")),
			chromedp.SetValue(css("#email"), "nat@example.org"), chromedp.SetValue(css("#password"), "correct horse battery staple"),
			chromedp.Submit(css("#password")), chromedp.WaitVisible(css("#indicators")))
		if loc := run(t, bctx, chromedp.Location()); !strings.HasSuffix(loc, "/outcomes") {
			t.Fatalf("after sign-in the browser is at %s", loc)
		}
		if n := run(t, bctx, chromedp.Evaluate[float64]("document.querySelectorAll('#indicators tbody tr').length")); n != 12 {
			t.Fatalf("%v indicator rows", n)
		}
		if n := run(t, bctx, chromedp.Evaluate[float64]("document.querySelectorAll('svg.chart').length")); n != 6 {
			t.Fatalf("%v charts", n)
		}
		national := run(t, bctx, chromedp.Text(css("#sites tbody")))
		if !strings.Contains(national, "Bay NAMI") {
			t.Fatalf("the national breakdown lacks the MD organization: %s", national)
		}
		shot(t, bctx, "outcomes-national-"+dbKind(dsn))

		steps(t, bctx, chromedp.SetValue(css("#f-state"), "VA"), chromedp.SetValue(css("#f-model"), "peer_partners"),
			chromedp.Click(css(".filters button")))
		if err := cluster.WaitFor(context.Background(), 30*time.Second, "the filtered page", func() error {
			c, cancel := context.WithTimeout(bctx, 5*time.Second)
			defer cancel()
			loc, err := chromedp.Run(c, chromedp.Location())
			if err != nil || !strings.Contains(loc, "state=VA") || !strings.Contains(loc, "model=peer_partners") {
				return errorf("at %s (%v)", loc, err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		steps(t, bctx, chromedp.WaitVisible(css("#sites")))
		filtered := run(t, bctx, chromedp.Text(css("#sites tbody")))
		if strings.Contains(filtered, "Bay NAMI") || !strings.Contains(filtered, "Riverside Peer Center") {
			t.Fatalf("state VA breakdown: %s", filtered)
		}
		if v := run(t, bctx, chromedp.Evaluate[string]("document.querySelector('#f-state').value + '/' + document.querySelector('#f-model').value")); v != "VA/peer_partners" {
			t.Fatalf("the form forgot the filter: %s", v)
		}
		rep := w.report(t, outcomes.OutcomeFilter{State: "VA", Model: "peer_partners"})
		if want := rep.Participants.String(); !strings.Contains(run(t, bctx, chromedp.Text(css(".summary"))), want) {
			t.Fatalf("summary does not show the API's %s participants", want)
		}
		// The footnote says when the figures were read, as the API does.
		if note, want := run(t, bctx, chromedp.Text(css(".note"))), "Figures as of "+rep.AsOf.Format("2 Jan 2006 15:04 UTC")+"."; !strings.Contains(note, want) {
			t.Fatalf("footnote %q lacks %q", note, want)
		}
		shot(t, bctx, "outcomes-va-peer-partners-"+dbKind(dsn))

		steps(t, bctx, chromedp.Navigate(w.h.srv.URL+"/outcomes?year=abc"), chromedp.WaitVisible(css(".error")))
		if msg := run(t, bctx, chromedp.Text(css(".error"))); !strings.Contains(msg, "year") {
			t.Fatalf("bad filter message: %s", msg)
		}

		steps(t, bctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(w.h.srv.URL+"/outcomes?state=VA"), chromedp.WaitVisible(css("#indicators")))
		if over := run(t, bctx, chromedp.Evaluate[float64]("document.documentElement.scrollWidth - window.innerWidth")); over > 0 {
			t.Fatalf("the dashboard scrolls sideways by %v px at 390 px", over)
		}
		shot(t, bctx, "outcomes-phone-"+dbKind(dsn))

		steps(t, bctx, chromedp.EmulateViewport(1000, 900), chromedp.Navigate(w.h.srv.URL+"/outcomes/print?model=social_explorations"), chromedp.WaitVisible(css("#survchart")),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
				return err
			}))
		if d := run(t, bctx, chromedp.Evaluate[string]("getComputedStyle(document.querySelector('header.top')).display + '/' + getComputedStyle(document.querySelector('p.actions')).display")); d != "none/none" {
			t.Fatalf("printed, the header and the links show: %s", d)
		}
		shot(t, bctx, "outcomes-print-"+dbKind(dsn))
	})
}

func dbKind(dsn string) string {
	if strings.HasPrefix(dsn, "postgres") {
		return "postgres"
	}
	return "sqlite"
}

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }
