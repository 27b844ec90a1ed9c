package rules

// The social stipend: a monthly allowance to spend on the participant's
// three social goals, paid only while the weekly guided journal is kept and
// receipts are brought for what was spent. Amounts and conditions come from
// the release's stipend policy.
//
// Months here are calendar months (YYYY-MM), not program months: a site
// pays stipends, plans spending and reports by calendar month for everyone
// at once, whatever day each participant enrolled on. A participant takes
// part in a calendar month when any day of it falls in their program year
// (from the enrollment date for twelve months, or until they withdrew).

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itsmylife/iml/pkg/program"
)

// MonthLayout is how a calendar month is written: YYYY-MM.
const MonthLayout = "2006-01"

// ProgramMonths is the length of the program year.
const ProgramMonths = 12

// DefaultMaxReceiptBytes bounds a receipt file when the release sets no
// bound.
const DefaultMaxReceiptBytes = 5 << 20

// DefaultReceiptTypes are the receipt file types accepted when the release
// names none.
var DefaultReceiptTypes = []string{"image/jpeg", "image/png", "application/pdf"}

// ParseMonth reads a calendar month written YYYY-MM and returns its first
// day.
func ParseMonth(s string) (time.Time, bool) {
	t, err := time.Parse(MonthLayout, strings.TrimSpace(s))
	if err != nil || t.Year() < 2000 || t.Year() > 2200 {
		return time.Time{}, false
	}
	return t, true
}

// MonthProblem says what is wrong with a month ParseMonth refuses, and
// what to enter instead.
func MonthProblem(s string) string {
	if _, err := time.Parse(MonthLayout, strings.TrimSpace(s)); err == nil {
		return "enter a month from 2000-01 to 2200-12"
	}
	return "enter the month as YYYY-MM, such as 2026-12"
}

// MonthOf is the calendar month (YYYY-MM) a day falls in.
func MonthOf(day time.Time) string { return day.Format(MonthLayout) }

// MonthName writes a month for people: "June 2026".
func MonthName(month time.Time) string { return month.Format("January 2006") }

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// EnrollmentPeriod is the first and last day a participant takes part in
// the program: from the enrollment date for a year, ending the day before
// a withdrawal. When the participant withdrew on the day they enrolled, the
// last day comes before the first and the period is empty.
func EnrollmentPeriod(enrolled time.Time, withdrawn *time.Time) (first, last time.Time) {
	first = dateOnly(enrolled)
	last = first.AddDate(0, ProgramMonths, -1)
	if withdrawn != nil {
		if w := dateOnly(withdrawn.UTC()).AddDate(0, 0, -1); w.Before(last) {
			last = w
		}
	}
	return first, last
}

// monthBounds is the first and last day of the month that starts on month.
func monthBounds(month time.Time) (time.Time, time.Time) {
	start := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, -1)
}

// EnrolledIn reports whether any day of the month falls in the period.
func EnrolledIn(month, first, last time.Time) bool {
	start, end := monthBounds(month)
	return !last.Before(first) && !end.Before(first) && !start.After(last)
}

// InPeriod reports whether a day falls in the period.
func InPeriod(day, first, last time.Time) bool {
	d := dateOnly(day)
	return !d.Before(first) && !d.After(last)
}

// JournalWeeks are the weeks of a month for which a guided journal is
// expected: weeks run Monday to Sunday and belong to the month their Sunday
// falls in (4 or 5 a month, the same for everyone: the definition of the
// participation figures sent upstream); a week counts only when the
// participant took part in all of it (the week they enrolled in mid-week
// and the week they left are not expected). It returns the Mondays.
func JournalWeeks(month, first, last time.Time) []time.Time {
	start, end := monthBounds(month)
	sunday := start.AddDate(0, 0, (7-int(start.Weekday()))%7)
	var out []time.Time
	for d := sunday.AddDate(0, 0, -6); !d.AddDate(0, 0, 6).After(end); d = d.AddDate(0, 0, 7) {
		if !d.Before(first) && !d.AddDate(0, 0, 6).After(last) {
			out = append(out, d)
		}
	}
	return out
}

// JournalWeekSpan bounds the Mondays of the weeks that end on a Sunday of
// the month: from six days before its first day to six days before its
// last (for reading a month's journal entries).
func JournalWeekSpan(month time.Time) (firstMonday, lastMonday time.Time) {
	start, end := monthBounds(month)
	return start.AddDate(0, 0, -6), end.AddDate(0, 0, -6)
}

// WeekEnded reports whether the week starting on monday is over on today:
// its Sunday has passed. A journal is due only for a week that has ended.
func WeekEnded(monday, today time.Time) bool {
	return dateOnly(today).After(dateOnly(monday).AddDate(0, 0, 6))
}

// SpentItem is an expense as the stipend rule sees it.
type SpentItem struct {
	SpentOn     time.Time
	What        string
	AmountCents int64
	Receipts    int
}

// StipendCase is what the stipend rule needs to decide whether a month's
// allowance is payable.
type StipendCase struct {
	Policy program.StipendPolicy
	// Month is the first day of the calendar month to pay.
	Month time.Time
	// First and Last bound the participant's program year (EnrollmentPeriod).
	First, Last time.Time
	// Journals holds the weeks (their Monday, YYYY-MM-DD) with a journal
	// entry.
	Journals map[string]bool
	// PreviousExpenses are the expenses of the month before Month.
	PreviousExpenses []SpentItem
	// Today, when set, refuses a month that has not begun, and a week
	// without an entry that has not ended yet is not due (not missing).
	Today time.Time
}

// StipendDecision says whether a month's allowance is payable, and why not.
type StipendDecision struct {
	Month           string   `json:"month"`
	AllowanceCents  int64    `json:"allowance_cents"`
	Enrolled        bool     `json:"enrolled"`
	JournalWeeks    []string `json:"journal_weeks_expected"`
	JournalsDone    int      `json:"journal_weeks_done"`
	MissingWeeks    []string `json:"journal_weeks_missing"`
	NotDueWeeks     []string `json:"journal_weeks_not_due"`
	MissingReceipts int      `json:"previous_month_receipts_missing"`
	Payable         bool     `json:"payable"`
	Reasons         []string `json:"reasons"`
}

// CheckStipend applies the stipend policy to a month. The allowance is
// payable when the participant took part in the month, the month has begun,
// the release sets an allowance, and:
//   - if the policy requires journals, every week of the month the
//     participant took part in all of (JournalWeeks) has a journal entry:
//     a week that has not ended by Today is not due yet, neither missing
//     nor payable;
//   - if the policy requires receipts, every expense of the previous month
//     has at least one receipt.
//
// Every condition not met gives one reason, in that order.
func CheckStipend(c StipendCase) StipendDecision {
	d := StipendDecision{Month: MonthOf(c.Month), AllowanceCents: c.Policy.MonthlyCents, JournalWeeks: []string{}, MissingWeeks: []string{}, NotDueWeeks: []string{}, Reasons: []string{}}
	d.Enrolled = EnrolledIn(c.Month, c.First, c.Last)
	if !d.Enrolled {
		d.Reasons = append(d.Reasons, fmt.Sprintf("The participant was not in the program in %s.", MonthName(c.Month)))
	}
	notBegun := !c.Today.IsZero() && c.Month.After(dateOnly(c.Today))
	if notBegun {
		d.Reasons = append(d.Reasons, MonthName(c.Month)+" has not begun.")
	}
	if c.Policy.MonthlyCents <= 0 {
		d.Reasons = append(d.Reasons, "The program's release sets no monthly stipend.")
	}
	if d.Enrolled {
		for _, w := range JournalWeeks(c.Month, c.First, c.Last) {
			key := w.Format(time.DateOnly)
			d.JournalWeeks = append(d.JournalWeeks, key)
			if c.Journals[key] {
				d.JournalsDone++
				continue
			}
			if !c.Today.IsZero() && !WeekEnded(w, c.Today) {
				d.NotDueWeeks = append(d.NotDueWeeks, key)
				continue
			}
			d.MissingWeeks = append(d.MissingWeeks, key)
			if c.Policy.RequireJournals {
				d.Reasons = append(d.Reasons, fmt.Sprintf("No guided journal for the week of Monday %s.", w.Format("2 January 2006")))
			}
		}
		if c.Policy.RequireJournals && len(d.NotDueWeeks) > 0 && !notBegun {
			d.Reasons = append(d.Reasons, notDueReason(d.NotDueWeeks))
		}
	}
	for _, e := range c.PreviousExpenses {
		if e.Receipts > 0 {
			continue
		}
		d.MissingReceipts++
		if c.Policy.RequireReceipts {
			d.Reasons = append(d.Reasons, fmt.Sprintf("No receipt for the expense of %s (%s, %s) in %s.",
				e.SpentOn.Format("2 January"), FormatCents(e.AmountCents, c.Policy.Currency), e.What, MonthName(c.Month.AddDate(0, -1, 0))))
		}
	}
	d.Payable = len(d.Reasons) == 0
	return d
}

// notDueReason says which weeks of the month have not ended yet.
func notDueReason(weeks []string) string {
	days := make([]string, len(weeks))
	for i, k := range weeks {
		w, _ := time.Parse(time.DateOnly, k)
		days[i] = w.Format("2 January 2006")
	}
	if len(days) == 1 {
		return "Not yet due: the guided journal for the week of Monday " + days[0] + ", which has not ended."
	}
	return "Not yet due: the guided journals for the weeks of Monday " + strings.Join(days[:len(days)-1], ", ") + " and " + days[len(days)-1] + ", which have not ended."
}

// CheckPlan checks a month's spending plan against the allowance: every
// line plans a positive amount and the lines together stay within the
// month's stipend. spent holds, per line, what was already spent on it
// (the plan cannot drop below it); it may be shorter than planned.
func CheckPlan(p program.StipendPolicy, planned, spent []int64) Problems {
	var out Problems
	var total int64
	for i, c := range planned {
		field := fmt.Sprintf("lines[%d].planned_cents", i)
		switch {
		case c <= 0:
			out = append(out, Problem{field, "plan an amount above zero"})
		case c > p.MonthlyCents:
			out = append(out, Problem{field, "is more than the month's stipend of " + FormatCents(p.MonthlyCents, p.Currency)})
		case i < len(spent) && c < spent[i]:
			out = append(out, Problem{field, fmt.Sprintf("%s was already spent on this line; plan at least that", FormatCents(spent[i], p.Currency))})
		}
		if c > 0 {
			total += c
		}
	}
	if total > p.MonthlyCents {
		out = append(out, Problem{"lines", fmt.Sprintf("the plan totals %s but the month's stipend is %s: take %s off",
			FormatCents(total, p.Currency), FormatCents(p.MonthlyCents, p.Currency), FormatCents(total-p.MonthlyCents, p.Currency))})
	}
	return out
}

// ReceiptLimits are the effective receipt bounds of a policy: its own, or
// the defaults where it sets none.
func ReceiptLimits(p program.StipendPolicy) (maxBytes int64, types []string) {
	maxBytes, types = p.MaxReceiptBytes, p.ReceiptMIMETypes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxReceiptBytes
	}
	if len(types) == 0 {
		types = DefaultReceiptTypes
	}
	return maxBytes, types
}

// aliases are the non-standard names clients give the accepted types.
var aliases = map[string]string{"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png", "application/x-pdf": "application/pdf"}

// CheckReceipt checks a receipt file: the type the sender declared must be
// one the policy accepts, the content must really be of that type (sniffed
// from its first bytes, whatever it claims to be), and its size must be
// within the policy's bound. It returns the file's media type.
func CheckReceipt(p program.StipendPolicy, declared string, content []byte) (string, Problems) {
	maxBytes, types := ReceiptLimits(p)
	var out Problems
	media, _, err := mime.ParseMediaType(declared)
	media = strings.ToLower(media)
	if a, ok := aliases[media]; ok {
		media = a
	}
	allowed := strings.Join(types, ", ")
	switch {
	case err != nil || media == "":
		out = append(out, Problem{"file", "the file's type is missing; send a receipt as one of " + allowed})
	case !slices.Contains(types, media):
		out = append(out, Problem{"file", "a receipt must be one of " + allowed + ", not " + media})
	}
	switch {
	case len(content) == 0:
		out = append(out, Problem{"file", "the file is empty"})
	case int64(len(content)) > maxBytes:
		out = append(out, Problem{"file", fmt.Sprintf("the file is larger than %s, the most a receipt may be", FormatBytes(maxBytes))})
	}
	if len(out) == 0 {
		sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(content))
		if sniffed != media {
			out = append(out, Problem{"file", "the file's content is not " + media + " as declared; send the receipt as a photo (JPEG, PNG) or a PDF"})
		}
	}
	return media, out
}

// FormatBytes writes a size for people.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// FormatCents writes an amount for people: "$1,012.50" for US dollars
// (as pkg/webui.Dollars), else "1,012.50 EUR".
func FormatCents(c int64, currency string) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	whole := strconv.FormatInt(c/100, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	n := fmt.Sprintf("%s.%02d", whole, c%100)
	if currency == "" || currency == "USD" {
		return sign + "$" + n
	}
	return sign + n + " " + currency
}

// PlainCents writes an amount as a plain decimal for files: "12.50".
func PlainCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// ParseAmount reads an amount people type ("12", "12.5", "$12.50") as
// cents. It refuses negative amounts, more than two decimals and amounts
// of a million or more.
func ParseAmount(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "$")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" && !hasFrac || len(whole) > 6 || len(frac) > 2 || hasFrac && frac == "" {
		return 0, false
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, true
}

// MaxAmountCents is the most ParseAmount reads: $999,999.99.
const MaxAmountCents = 999_999_99

// AmountProblem says what is wrong with an amount ParseAmount refuses,
// and what to type instead.
func AmountProblem(s string) string {
	t := strings.TrimSpace(s)
	body := strings.TrimSpace(strings.TrimPrefix(t, "$"))
	whole, frac, _ := strings.Cut(body, ".")
	digits := func(x string) bool {
		for _, r := range x {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	switch {
	case t == "":
		return "enter the amount in dollars and cents, such as 12.50"
	case strings.HasPrefix(body, "-"):
		return "enter the amount without a minus sign: it cannot be negative"
	case !digits(whole) || !digits(frac) || strings.Count(body, ".") > 1:
		return "enter the amount with digits and a decimal point only, such as 12.50 (no letters, spaces or thousands separators)"
	case len(frac) > 2:
		return "enter at most two decimals (the cents), such as 12.50"
	case len(strings.TrimLeft(whole, "0")) > 6:
		return "enter an amount of at most " + FormatCents(MaxAmountCents, "")
	}
	return "enter the amount in dollars and cents, such as 12.50"
}
