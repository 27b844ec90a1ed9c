package auth_test

import (
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/auth"
)

// SafeNext keeps the addresses the pages build and turns every known way
// of naming another host (or of becoming one after a browser or a proxy
// has cleaned the address up) into "/".
func TestSafeNext(t *testing.T) {
	kept := []string{
		"/",
		"/outcomes",
		"/outcomes/pom?year=2026&site=a%20b",
		"/participants/0b6c2a4e-5d1f-4c1e-9d0e-1f2a3b4c5d6e#journal-access",
		"/kits/drafts/x?saved=content",
		"/search?q=%2F%2Fnot-a-host", // "//" in a query value is data, not a host
		"/a/b/",
		"/a%20b",
	}
	for _, next := range kept {
		if got := auth.SafeNext(next); got != next {
			t.Errorf("SafeNext(%q) = %q, want it kept", next, got)
		}
	}
	refused := []string{
		"",
		"evil.example",
		"//evil.example",
		"///evil.example",
		"//evil.example/path",
		"/\\evil.example",
		"\\/evil.example",
		"\\\\evil.example",
		"/\t/evil.example",
		"/\n/evil.example",
		"/\r/evil.example",
		"/\r\n/evil.example",
		"\t//evil.example",
		" //evil.example",
		"/ /evil.example",
		"/\x00/evil.example",
		"/\x7f/evil.example",
		"/%09/evil.example",
		"/%0a/evil.example",
		"/%0D%0A/evil.example",
		"/%00/evil.example",
		"/%2F/evil.example",
		"/%2f%2fevil.example",
		"%2F%2Fevil.example",
		"/%5Cevil.example",
		"/%5cevil.example",
		"/%zz",
		"https:evil.example",
		"https://evil.example",
		"http:/evil.example",
		"javascript:alert(1)",
		"/javascript:alert(1)/../..//evil.example",
		"/./evil.example",
		"/.//evil.example",
		"/a/../..//evil.example",
		"/a/%2e%2e/%2e%2e//evil.example",
		"/\u3002evil.example",       // ideographic full stop
		"/\uff0f\uff0fevil.example", // fullwidth solidus
		"\uff0f\uff0fevil.example",
		"/\u2215\u2215evil.example", // division slash
		"/\u200b/evil.example",      // zero-width space
		"/\u202e/elpmaxe.live",      // right-to-left override
		"/\xff",                     // not UTF-8
		"/ok?next=%0d%0aSet-Cookie:x=1",
		"/ok#%0a",
		"/" + strings.Repeat("a", 3000), // longer than any page address
	}
	for _, next := range refused {
		if got := auth.SafeNext(next); got != "/" {
			t.Errorf("SafeNext(%q) = %q, want \"/\"", next, got)
		}
	}
}
