package i18n_test

import (
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/i18n"
)

func TestDates(t *testing.T) {
	now := time.Date(2026, 12, 7, 14, 5, 0, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{i18n.DayMonth("en", now), "7 December"},
		{i18n.DayMonth("es", now), "7 de diciembre"},
		{i18n.DayMonth("es", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), "1 de enero"},
		{i18n.DayMonth("fr", now), "7 December"},
		{i18n.Date("en", now, now), "Monday 7 December"},
		{i18n.Date("es", now, now), "lunes 7 de diciembre"},
		{i18n.Date("es", time.Date(2026, 9, 6, 0, 0, 0, 0, time.UTC), now), "domingo 6 de septiembre"},
		{i18n.Date("es", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), now), "miércoles 1 de abril"},
		{i18n.Date("es", time.Date(2025, 12, 27, 0, 0, 0, 0, time.UTC), now), "sábado 27 de diciembre de 2025"},
		{i18n.Date("en", time.Date(2025, 12, 27, 0, 0, 0, 0, time.UTC), now), "Saturday 27 December 2025"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	// Every month and weekday has a Spanish name of its own.
	seen := map[string]bool{}
	for m := 1; m <= 12; m++ {
		seen[i18n.DayMonth("es", time.Date(2026, time.Month(m), 10, 0, 0, 0, 0, time.UTC))] = true
	}
	for d := 1; d <= 7; d++ {
		seen[i18n.Date("es", time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC), now)] = true
	}
	if len(seen) != 19 {
		t.Errorf("%d distinct names for 12 months and 7 days: %v", len(seen), seen)
	}
}
