package server_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// chartPages are the pages with charts and the ids of their charts.
var chartPages = []struct {
	path string
	ids  []string
}{
	{"/outcomes", []string{"indchart", "survchart", "hospchart", "partchart", "monthchart", "trendchart"}},
	{"/outcomes/print", []string{"indchart", "survchart", "hospchart", "partchart", "trendchart"}},
	{"/outcomes/fidelity", []string{"fidchart"}},
	{"/affiliates", []string{"pipechart"}},
}

// smallestChartText is the smallest font size, in CSS px as drawn, of any
// text of the page's charts: its computed size times its chart's scale
// (drawn width over viewBox width).
const smallestChartText = `(() => {
	let min = Infinity;
	for (const svg of document.querySelectorAll("svg.chart")) {
		const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
		for (const t of svg.querySelectorAll("text")) {
			if (t.getClientRects().length === 0) continue;
			min = Math.min(min, parseFloat(getComputedStyle(t).fontSize) * scale);
		}
	}
	return min;
})()`

// TestChartsReadableInTheBrowser: the outcomes page, its printable report,
// fidelity and affiliates show every chart at 1280 and 390 px; at 390 no
// chart text is drawn under 12 px and no page scrolls sideways; axe-core
// finds nothing serious; printed on letter paper the report (table,
// charts, method) fits one page, the per-site appendix on the next. The
// charts do not depend on the database, so SQLite is enough.
func TestChartsReadableInTheBrowser(t *testing.T) {
	bctx := chromium(t)
	w := newOutcomeWorld(t, dbtest.SQLitePath(t), 11, 5)
	ctx := context.Background()
	aff := affiliates.New(w.h.st)
	for _, to := range []string{affiliates.StageAgreement, affiliates.StageTraining} {
		if _, err := aff.ChangeStage(ctx, w.orgs[0].ID, affiliates.StageInput{To: to}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := aff.ChangeStage(ctx, w.orgs[1].ID, affiliates.StageInput{To: affiliates.StageInactive, Reason: "paused"}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := staff.New(w.h.st).AddUser(ctx, "charts@example.org", "Cha Rts", store.RoleAnalyst, "", "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	steps(t, bctx, chromedp.Navigate(w.h.srv.URL+"/outcomes"), chromedp.WaitVisible(css("#email")),
		chromedp.SetValue(css("#email"), "charts@example.org"), chromedp.SetValue(css("#password"), "correct horse battery staple"),
		chromedp.Submit(css("#password")), chromedp.WaitVisible(css("#indchart")))
	for _, width := range []int64{1280, 390} {
		for _, pg := range chartPages {
			steps(t, bctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(w.h.srv.URL+pg.path), chromedp.WaitVisible(css("#"+pg.ids[0])))
			for _, id := range pg.ids {
				if n := run(t, bctx, chromedp.Evaluate[float64](fmt.Sprintf(`document.querySelectorAll("svg.chart#%s text").length`, id))); n == 0 {
					t.Fatalf("%s at %d px: no chart %s (or it has no text)", pg.path, width, id)
				}
			}
			if px := run(t, bctx, chromedp.Evaluate[float64](smallestChartText)); width == 390 && px < 12 {
				t.Errorf("%s at %d px: chart text drawn at %.1f px", pg.path, width, px)
			}
			if over := run(t, bctx, chromedp.Evaluate[float64]("document.documentElement.scrollWidth - window.innerWidth")); over > 0 {
				t.Errorf("%s at %d px scrolls sideways by %v px", pg.path, width, over)
			}
			vs, err := cluster.Axe(bctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				t.Errorf("%s at %d px: %s", pg.path, width, v)
			}
			shot(t, bctx, fmt.Sprintf("charts-%s-%d", strings.Trim(strings.ReplaceAll(pg.path, "/", "-"), "-"), width))
		}
	}
	printedOnOnePage(t, bctx, w.h.srv.URL+"/outcomes/print")
}

// printedOnOnePage prints the report as Chromium would on letter paper
// with 10 mm margins (7.71 by 10.21 in, at 96 px an inch) and checks that
// all before the appendix fits the first page.
func printedOnOnePage(t *testing.T, bctx context.Context, url string) {
	t.Helper()
	steps(t, bctx, chromedp.EmulateViewport(740, 980), chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#indchart")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		}))
	if top := run(t, bctx, chromedp.Evaluate[float64](`document.querySelector(".appendix").getBoundingClientRect().top + window.scrollY`)); top > 980 {
		t.Errorf("printed, the report runs to %.0f px before its appendix: more than one letter page (980 px)", top)
	}
	if px := run(t, bctx, chromedp.Evaluate[float64](smallestChartText)); px < 7 {
		t.Errorf("printed, chart text is drawn at %.1f px", px)
	}
	if os.Getenv("IML_SCREENSHOTS") != "" {
		shot(t, bctx, "charts-print-letter")
	}
}
