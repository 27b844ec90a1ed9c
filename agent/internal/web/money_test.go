package web_test

import (
	"testing"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/webui"
)

// TestMoneyIsOneFormat: the stipend rules' amounts, the pages' dollars
// and the shared formatter write an amount the same way.
func TestMoneyIsOneFormat(t *testing.T) {
	for _, c := range []int64{0, 5, 1250, 100000, 123456789, -300, -123456} {
		want := webui.Dollars(c)
		if got := rules.FormatCents(c, "USD"); got != want {
			t.Errorf("rules.FormatCents(%d) = %q, webui.Dollars %q", c, got, want)
		}
		if got := web.Dollars(c); got != want {
			t.Errorf("web.Dollars(%d) = %q, webui.Dollars %q", c, got, want)
		}
	}
	if got := rules.FormatCents(123456, "EUR"); got != "1,234.56 EUR" {
		t.Errorf("euros: %q", got)
	}
	// An amount shown in a form can be read back.
	if c, ok := web.ParseCents(rules.PlainCents(123456)); !ok || c != 123456 {
		t.Errorf("PlainCents does not read back: %d %v", c, ok)
	}
}
