// Package deident turns what a site knows about a person into what may leave
// the site, following HIPAA Safe Harbor (45 CFR 164.514(b)(2)): no names,
// contacts or record numbers, no date element but the year, ages in bands
// with everything over 89 as "90+", time as program months counted in
// calendar months.
package deident

import (
	"cmp"
	"slices"
	"time"

	"github.com/google/uuid"
)

// NewSurrogateKey makes the random key that stands for a participant
// upstream. It is random, never derived from anything about the person.
func NewSurrogateKey() string { return uuid.NewString() }

// AgeOn is the age in whole years on a day.
func AgeOn(birth, day time.Time) int {
	age := day.Year() - birth.Year()
	if day.Month() < birth.Month() || (day.Month() == birth.Month() && day.Day() < birth.Day()) {
		age--
	}
	return age
}

// AgeBand is the finest band an age falls in (see contract.AgeBands).
func AgeBand(age int) string {
	switch {
	case age < 18:
		return "under 18"
	case age <= 24:
		return "18-24"
	case age <= 34:
		return "25-34"
	case age <= 44:
		return "35-44"
	case age <= 54:
		return "45-54"
	case age <= 64:
		return "55-64"
	case age <= 74:
		return "65-74"
	case age <= 89:
		return "75-89"
	default:
		return "90+"
	}
}

// Levels of age bands, finest first. A band of a coarser level is the
// union of bands of every finer one, so records at different levels never
// contradict each other.
const (
	// LevelFine: under 18, 18-24, 25-34, ... 75-89, 90+ (AgeBand).
	LevelFine = iota
	// LevelBroad: under 18, 18-44, 45-64, 65+.
	LevelBroad
	// LevelAny: the single band "any".
	LevelAny
)

// The coarse bands (see contract.AgeBands).
const (
	Band18to44 = "18-44"
	Band45to64 = "45-64"
	Band65Plus = "65+"
	BandAny    = "any"
)

// AgeBandAt is the band of an age at a level. Safe Harbor holds at every
// level: an age over 89 is "90+" at the finest, within "65+" or "any"
// above it.
func AgeBandAt(age, level int) string {
	switch {
	case level >= LevelAny:
		return BandAny
	case level == LevelFine || age < 18:
		return AgeBand(age)
	case age <= 44:
		return Band18to44
	case age <= 64:
		return Band45to64
	default:
		return Band65Plus
	}
}

// Person is what the quasi-identifier rule looks at for one participant
// of a site: their enrollment year, age at enrollment and program model
// ("" when in no cohort).
type Person struct {
	ID    string
	Year  int
	Age   int
	Model string
}

// Disclosure is how a person may be described upstream: the age band and
// model their records carry, or nothing at all (Withheld).
type Disclosure struct {
	Band     string
	Model    string
	Withheld bool
}

// Generalize decides how each of a site's participants is described
// upstream so that every combination of enrollment year, age band and
// model the hub receives holds at least k of them (with the site, which
// the hub knows, these are the quasi-identifiers of every record). Year by
// year:
//
//  1. People are grouped by model. A group smaller than k loses its
//     model: its people join those of the year in no cohort, as model ""
//     (which the hub's reports never show on its own).
//  2. While that pool holds people but fewer than k, the smallest group
//     left joins it too (fewer people described by model rather than
//     anyone left out).
//  3. Every group, and the pool, is banded at the finest level at which
//     each band present holds at least k people (LevelFine, then
//     LevelBroad, then LevelAny, where the whole group shares "any").
//  4. Only a year of fewer than k people at the site is withheld: nothing
//     about them leaves the site until the year holds k.
//
// The result depends only on the set of people, not on their order, so
// every record of a person is described the same way, and a change in the
// set (a participant added, corrected or withdrawn) re-describes exactly
// the people whose description changes. k below 1 counts as 1.
func Generalize(people []Person, k int) map[string]Disclosure {
	out := make(map[string]Disclosure, len(people))
	band := func(g []Person, model string) {
		level := LevelAny
		for l := LevelFine; l < LevelAny; l++ {
			n := map[string]int{}
			for _, p := range g {
				n[AgeBandAt(p.Age, l)]++
			}
			ok := true
			for _, c := range n {
				ok = ok && c >= k
			}
			if ok {
				level = l
				break
			}
		}
		for _, p := range g {
			out[p.ID] = Disclosure{Band: AgeBandAt(p.Age, level), Model: model}
		}
	}
	years := map[int]map[string][]Person{}
	for _, p := range people {
		if years[p.Year] == nil {
			years[p.Year] = map[string][]Person{}
		}
		years[p.Year][p.Model] = append(years[p.Year][p.Model], p)
	}
	for _, byModel := range years {
		pool := byModel[""]
		var groups []string
		for m, g := range byModel {
			switch {
			case m == "":
			case len(g) < k:
				pool = append(pool, g...)
			default:
				groups = append(groups, m)
			}
		}
		// Smallest first, then by name: the same order on every run.
		slices.SortFunc(groups, func(a, b string) int {
			return cmp.Or(cmp.Compare(len(byModel[a]), len(byModel[b])), cmp.Compare(a, b))
		})
		for len(pool) > 0 && len(pool) < k && len(groups) > 0 {
			pool, groups = append(pool, byModel[groups[0]]...), groups[1:]
		}
		for _, m := range groups {
			band(byModel[m], m)
		}
		if len(pool) >= k {
			band(pool, "")
			continue
		}
		for _, p := range pool {
			out[p.ID] = Disclosure{Withheld: true}
		}
	}
	return out
}

// Upstream, time is counted in calendar months, never from a day of a
// participant's own: what leaves the site depends on the month a person
// enrolled (or a cohort started), which the hub can learn from when their
// records first arrive, and never on the day within it. A window anchored
// on the enrollment day (a program month running from the 9th to the 8th)
// would make every count taken over it (the Mondays of the window, the
// months begun by a day) tell the hub that day.

// ProgramYear is the number of calendar months, from the month of
// enrollment (or of a cohort's start), that records upstream cover.
const ProgramYear = 12

// CalendarMonth is the program month upstream of a day for a participant
// who enrolled (or a cohort that started) on start: the number of calendar
// months from start's month to the day's month, plus one. The month of
// enrollment is month 1, whatever its day, the next calendar month month 2,
// and so on. The result is clamped to 1..24, the contract's range: a day
// before the month of start is month 1.
func CalendarMonth(start, day time.Time) int {
	return min(max(monthsFrom(start, day)+1, 1), 24)
}

// monthsFrom is the number of calendar months from start's month to day's
// month (negative when day's month comes first).
func monthsFrom(start, day time.Time) int {
	return (day.Year()-start.Year())*12 + int(day.Month()) - int(start.Month())
}

// YearMonth is CalendarMonth for a fact counted upstream: false for a day
// outside the ProgramYear months from start's month (before it, or in the
// 13th calendar month, where a program year that began after the 1st ends).
func YearMonth(start, day time.Time) (int, bool) {
	k := monthsFrom(start, day) + 1
	return k, k >= 1 && k <= ProgramYear
}

// CalendarMonthSpan is the first and last day of program month k (1..) for
// start: the whole calendar month, whatever day start fell on.
func CalendarMonthSpan(start time.Time, k int) (first, last time.Time) {
	first = time.Date(start.Year(), start.Month()+time.Month(k-1), 1, 0, 0, 0, 0, time.UTC)
	return first, first.AddDate(0, 1, -1)
}

// MonthsBegun is the number of program months (0..ProgramYear) begun by a
// day for start: 0 before start's month, the whole of start's month
// counting as begun on its first day.
func MonthsBegun(start, day time.Time) int {
	return min(max(monthsFrom(start, day)+1, 0), ProgramYear)
}

// EnrollmentAge is the age a participant is described with upstream: the
// age on the last day of the month they enrolled in. The age on the
// enrollment day itself would tell the hub, to someone who knows the birth
// date, on which side of a birthday in that month the person enrolled.
// Taking the end of the month never shows an age lower than the age at
// enrollment, so no one over 89 at enrollment is described as younger.
func EnrollmentAge(birth, enrolled time.Time) int {
	return AgeOn(birth, time.Date(enrolled.Year(), enrolled.Month()+1, 0, 0, 0, 0, 0, time.UTC))
}

// NewRecordID makes the id of a record that will travel upstream: a UUIDv7
// (so the hub's index grows in order) whose timestamp field is coarsened to
// 1 January 00:00 UTC of the current year. A plain UUIDv7 carries its
// creation time to the millisecond, which would tell the hub when an
// interview was recorded: a date element Safe Harbor does not allow.
func NewRecordID(now time.Time) string {
	u := uuid.Must(uuid.NewV7())
	year := time.Date(now.UTC().Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	ms := uint64(year.UnixMilli())
	for i := 0; i < 6; i++ {
		u[i] = byte(ms >> (40 - 8*i))
	}
	// The 12 bits after the version are the sub-millisecond part of the
	// clock in this uuid package: random bits take their place.
	r := uuid.New()
	u[6] = 0x70 | (r[6] & 0x0f)
	u[7] = r[7]
	return u.String()
}
