package webui

import (
	"fmt"
	"html/template"
	"strconv"
	"time"
)

// Clock is how pages show times: in the time zone of the place that reads
// them (a site's, the national office's), in words people read.
type Clock struct {
	Loc *time.Location
	Now func() time.Time
}

// NewClock makes a Clock for an IANA time zone name ("America/New_York");
// "" or "Local" is the machine's own zone.
func NewClock(zone string) (Clock, error) {
	loc := time.Local
	if zone != "" && zone != "Local" {
		l, err := time.LoadLocation(zone)
		if err != nil {
			return Clock{}, fmt.Errorf("time zone %q: %w", zone, err)
		}
		loc = l
	}
	return Clock{Loc: loc, Now: time.Now}, nil
}

// When shows a moment as "Mon 7 Dec, 14:05" (with the year when it is not
// this year's), in the clock's zone.
func (k Clock) When(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	t = t.In(k.Loc)
	if t.Year() != k.Now().In(k.Loc).Year() {
		return t.Format("Mon 2 Jan 2006, 15:04")
	}
	return t.Format("Mon 2 Jan, 15:04")
}

// Day shows a date as "Mon 7 Dec 2026". A date without a time (a
// meeting's day) is shown as the day it names, in no zone.
func (k Clock) Day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("Mon 2 Jan 2006")
}

// DayOf shows a YYYY-MM-DD date as Day does; anything else as it is.
func (k Clock) DayOf(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return k.Day(t)
}

// Month shows a month as "March 2025": a YYYY-MM month, or the month of
// a YYYY-MM-DD date; anything else as it is.
func (k Clock) Month(s string) string {
	for _, layout := range []string{"2006-01", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("January 2006")
		}
	}
	return s
}

// date is a date-only value of any kind a page holds, as Day shows it: a
// YYYY-MM-DD string (or a pointer to one, nil ""), a time.Time or a
// *time.Time (a date without a time, shown as the day it names).
func (k Clock) date(v any) string {
	switch d := v.(type) {
	case string:
		return k.DayOf(d)
	case *string:
		if d != nil {
			return k.DayOf(*d)
		}
	case time.Time:
		return k.Day(d)
	case *time.Time:
		if d != nil {
			return k.Day(*d)
		}
	case fmt.Stringer:
		return k.DayOf(d.String())
	}
	return ""
}

// Ago shows how long ago a moment was: "just now", "3 minutes ago",
// "2 hours ago", "yesterday", "5 days ago", then the day itself; a moment
// ahead shows as "in 3 minutes" and so on.
func (k Clock) Ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := k.Now().Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		s = plural(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		s = plural(int(d/time.Hour), "hour")
	case d < 48*time.Hour && !future:
		return "yesterday"
	case d < 14*24*time.Hour:
		s = plural(int(d/(24*time.Hour)), "day")
	default:
		return "on " + k.Day(t.In(k.Loc))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// Dollars shows an amount of cents as "$1,234.50" ("-$3.00" below zero).
func Dollars(cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	s := fmt.Sprintf("$%s.%02d", whole, cents%100)
	if neg {
		return "-" + s
	}
	return s
}

// Funcs are the template functions of a clock: when, ago, day, dayOf,
// date (any date-only value: "Tue 4 Mar 2025"), month ("March 2025"),
// dollars, and timeAttr (the machine-readable form for <time datetime>).
// when and ago take a time.Time or a *time.Time (nil is "never").
func (k Clock) Funcs() template.FuncMap {
	deref := func(v any) time.Time {
		switch t := v.(type) {
		case time.Time:
			return t
		case *time.Time:
			if t != nil {
				return *t
			}
		}
		return time.Time{}
	}
	return template.FuncMap{
		"when":    func(v any) string { return k.When(deref(v)) },
		"ago":     func(v any) string { return k.Ago(deref(v)) },
		"day":     func(v any) string { return k.Day(deref(v)) },
		"dayOf":   k.DayOf,
		"date":    k.date,
		"month":   k.Month,
		"dollars": Dollars,
		"timeAttr": func(v any) string {
			t := deref(v)
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
	}
}
