package web

import (
	"fmt"
	"testing"
)

// FuzzParseCents holds the amount reader of the forms to what it promises:
// no panic, and an amount it accepts is whole cents from 0 to 9,999,999.99
// dollars that reads back the same from its own rendering.
func FuzzParseCents(f *testing.F) {
	for _, s := range []string{"12", "12.5", "$12.50", " $ 3.07 ", "", "-1", "1e9", "12.345", "99999999", "0.001", "$", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := ParseCents(s)
		if !ok {
			return
		}
		if c < 0 || c > 999_999_999 {
			t.Fatalf("%q read as %d cents", s, c)
		}
		again, ok := ParseCents(fmt.Sprintf("%d.%02d", c/100, c%100))
		if !ok || again != c {
			t.Fatalf("%q read as %d cents, which reads back as %d, %v", s, c, again, ok)
		}
	})
}
