package webui

import (
	"bytes"
	"html/template"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	ny, err := NewClock("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 19, 5, 0, 0, time.UTC) // 14:05 in New York
	ny.Now = func() time.Time { return now }
	for _, c := range []struct{ got, want string }{
		{ny.When(now), "Mon 7 Dec, 14:05"},
		{ny.When(time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)), "Wed 31 Dec 2025, 18:00"},
		{ny.When(time.Time{}), "never"},
		{ny.Ago(now.Add(-30 * time.Second)), "just now"},
		{ny.Ago(now.Add(-time.Minute)), "1 minute ago"},
		{ny.Ago(now.Add(-3 * time.Minute)), "3 minutes ago"},
		{ny.Ago(now.Add(-5 * time.Hour)), "5 hours ago"},
		{ny.Ago(now.Add(-30 * time.Hour)), "yesterday"},
		{ny.Ago(now.Add(-5 * 24 * time.Hour)), "5 days ago"},
		{ny.Ago(now.Add(-40 * 24 * time.Hour)), "on Wed 28 Oct 2026"},
		{ny.Ago(now.Add(10 * time.Minute)), "in 10 minutes"},
		{ny.Ago(now.Add(3 * 24 * time.Hour)), "in 3 days"},
		{ny.DayOf("2026-12-07"), "Mon 7 Dec 2026"},
		{ny.DayOf("not a date"), "not a date"},
		{ny.Month("2025-03"), "March 2025"},
		{ny.Month("2025-03-04"), "March 2025"},
		{ny.Month("soon"), "soon"},
		{ny.date("2025-03-04"), "Tue 4 Mar 2025"},
		{ny.date(time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)), "Tue 4 Mar 2025"},
		{ny.date((*string)(nil)), ""},
		{ny.date(nil), ""},
		{Dollars(0), "$0.00"},
		{Dollars(5), "$0.05"},
		{Dollars(123456789), "$1,234,567.89"},
		{Dollars(-300), "-$3.00"},
		{Dollars(100000), "$1,000.00"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if _, err := NewClock("Mars/Olympus_Mons"); err == nil {
		t.Error("an unknown zone was accepted")
	}
}

func TestClockFuncs(t *testing.T) {
	k, _ := NewClock("UTC")
	now := time.Date(2026, 12, 7, 14, 5, 0, 0, time.UTC)
	k.Now = func() time.Time { return now }
	tpl := template.Must(template.New("x").Funcs(k.Funcs()).Parse(`{{when .T}}|{{ago .P}}|{{ago .Nil}}|{{dollars .C}}|{{timeAttr .T}}`))
	var b bytes.Buffer
	var none *time.Time
	ago := now.Add(-2 * time.Hour)
	if err := tpl.Execute(&b, map[string]any{"T": now, "P": &ago, "Nil": none, "C": int64(1250)}); err != nil {
		t.Fatal(err)
	}
	if want := "Mon 7 Dec, 14:05|2 hours ago|never|$12.50|2026-12-07T14:05:00Z"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
