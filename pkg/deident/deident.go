// Package deident turns what a site knows about a person into what may leave
// the site, following HIPAA Safe Harbor (45 CFR 164.514(b)(2)): no names,
// contacts or record numbers, no date element but the year, ages in bands
// with everything over 89 as "90+", time as program months.
package deident

import (
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

// AgeBand is the band an age falls in (see contract.AgeBands).
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

// ProgramMonth is the month of the program a day falls in, counting the
// enrollment month's day as the start of month 1, clamped to 1..24.
func ProgramMonth(enrolled, day time.Time) int {
	m := (day.Year()-enrolled.Year())*12 + int(day.Month()) - int(enrolled.Month())
	if day.Day() < enrolled.Day() {
		m--
	}
	m++
	if m < 1 {
		return 1
	}
	if m > 24 {
		return 24
	}
	return m
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
