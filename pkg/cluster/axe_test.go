package cluster_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/itsmylife/iml/pkg/cluster"
)

// TestAxeFindsViolations: the vendored axe-core runs in the browser and
// finds what it must (an image without text, a control without a label,
// text without contrast), and nothing on a page that has none.
func TestAxeFindsViolations(t *testing.T) {
	ctx := cluster.NewBrowser(t)
	bad := `<!doctype html><html><head><title>Bad</title></head><body><main><h1>Bad</h1>` +
		`<img src="data:,"><input type="text"><p style="color:#eee;background:#fff">faint</p></main></body></html>`
	good := `<!doctype html><html lang="en"><head><title>Good</title></head><body><main><h1>Good</h1>` +
		`<img src="data:," alt="A logo"><label for="n">Name</label><input id="n" type="text"><p>plain</p></main></body></html>`
	check := func(page string) []cluster.AxeViolation {
		if _, err := chromedp.Run(ctx, chromedp.Navigate("data:text/html,"+url.PathEscape(page))); err != nil {
			t.Fatal(err)
		}
		vs, err := cluster.Axe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	var ids []string
	for _, v := range check(bad) {
		ids = append(ids, v.ID)
	}
	for _, want := range []string{"image-alt", "label", "color-contrast", "html-has-lang"} {
		if !strings.Contains(strings.Join(ids, " "), want) {
			t.Errorf("axe missed %s on the bad page; found %v", want, ids)
		}
	}
	if vs := check(good); len(vs) != 0 {
		t.Errorf("violations on the good page: %v", vs)
	}
}
