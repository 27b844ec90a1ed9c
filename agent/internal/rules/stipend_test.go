package rules

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/program"
)

func weeks(ts []time.Time) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.Format(time.DateOnly)
	}
	return strings.Join(s, " ")
}

func TestEnrollmentPeriodAndWeeks(t *testing.T) {
	first, last := EnrollmentPeriod(day("2026-01-14"), nil)
	if first != day("2026-01-14") || last != day("2027-01-13") {
		t.Fatalf("program year %s..%s", first, last)
	}
	w := time.Date(2026, 6, 10, 15, 0, 0, 0, time.UTC)
	if _, l := EnrollmentPeriod(day("2026-01-14"), &w); l != day("2026-06-09") {
		t.Fatalf("withdrawn on 10 June: last day %s", l)
	}
	for _, c := range []struct {
		month, first, last, want string
	}{
		// June 2026: four Sundays (7, 14, 21, 28), so four weeks.
		{"2026-06", "2026-01-14", "2027-01-13", "2026-06-01 2026-06-08 2026-06-15 2026-06-22"},
		// The week of Monday 29 June ends on Sunday 5 July: it belongs to July.
		{"2026-07", "2026-01-14", "2027-01-13", "2026-06-29 2026-07-06 2026-07-13 2026-07-20"},
		// December 2026: the week of Monday 30 November ends on Sunday 6 December.
		{"2026-12", "2026-01-14", "2027-01-13", "2026-11-30 2026-12-07 2026-12-14 2026-12-21"},
		// Enrolled on a Wednesday: that week is not expected.
		{"2026-01", "2026-01-14", "2027-01-13", "2026-01-19"},
		// Enrolled on a Monday: that week is expected.
		{"2026-01", "2026-01-12", "2027-01-11", "2026-01-12 2026-01-19"},
		// Withdrew on Wednesday 10 June: the week of 8 June is not expected.
		{"2026-06", "2026-01-14", "2026-06-09", "2026-06-01"},
		// The week the program year ends in is not expected.
		{"2027-01", "2026-01-14", "2027-01-13", "2026-12-28 2027-01-04"},
		{"2027-02", "2026-01-14", "2027-01-13", ""},
	} {
		m, _ := ParseMonth(c.month)
		if got := weeks(JournalWeeks(m, day(c.first), day(c.last))); got != c.want {
			t.Errorf("%s (%s..%s): %q, want %q", c.month, c.first, c.last, got, c.want)
		}
	}
	m, _ := ParseMonth("2026-06")
	for _, c := range []struct {
		first, last string
		in          bool
	}{
		{"2026-06-30", "2027-06-29", true}, {"2025-06-01", "2026-05-31", false}, {"2025-06-02", "2026-06-01", true},
		{"2026-07-01", "2027-06-30", false}, {"2026-06-10", "2026-06-09", false},
	} {
		if got := EnrolledIn(m, day(c.first), day(c.last)); got != c.in {
			t.Errorf("June 2026 in %s..%s: %v", c.first, c.last, got)
		}
	}
	if _, ok := ParseMonth("2026-13"); ok {
		t.Error("month 13 accepted")
	}
	if _, ok := ParseMonth("June"); ok {
		t.Error("a month name accepted")
	}
}

func TestCheckStipend(t *testing.T) {
	pol := program.Default().Stipend
	june, _ := ParseMonth("2026-06")
	allJune := map[string]bool{"2026-06-01": true, "2026-06-08": true, "2026-06-15": true, "2026-06-22": true}
	without := func(m map[string]bool, k string) map[string]bool {
		out := map[string]bool{}
		for x, v := range m {
			if x != k {
				out[x] = v
			}
		}
		return out
	}
	withReceipt := SpentItem{SpentOn: day("2026-05-09"), What: "bowling", AmountCents: 1250, Receipts: 1}
	noReceipt := SpentItem{SpentOn: day("2026-05-16"), What: "cinema ticket", AmountCents: 900}
	noJournals, noReceipts := pol, pol
	noJournals.RequireJournals, noReceipts.RequireReceipts = false, false
	zero := pol
	zero.MonthlyCents = 0
	for _, c := range []struct {
		name     string
		policy   program.StipendPolicy
		first    string
		last     string
		journals map[string]bool
		prev     []SpentItem
		payable  bool
		reasons  []string
		done     int
		expected int
	}{
		{"all journals and receipts", pol, "2026-01-14", "2027-01-13", allJune, []SpentItem{withReceipt}, true, nil, 4, 4},
		{"a week missing", pol, "2026-01-14", "2027-01-13", without(allJune, "2026-06-15"), []SpentItem{withReceipt}, false,
			[]string{"No guided journal for the week of Monday 15 June 2026."}, 3, 4},
		{"a receipt missing", pol, "2026-01-14", "2027-01-13", allJune, []SpentItem{withReceipt, noReceipt}, false,
			[]string{"No receipt for the expense of 16 May ($9.00, cinema ticket) in May 2026."}, 4, 4},
		{"both missing, listed in order", pol, "2026-01-14", "2027-01-13", without(allJune, "2026-06-01"), []SpentItem{noReceipt}, false,
			[]string{"No guided journal for the week of Monday 1 June 2026.", "No receipt for the expense of 16 May"}, 3, 4},
		{"journals not required", noJournals, "2026-01-14", "2027-01-13", map[string]bool{}, []SpentItem{withReceipt}, true, nil, 0, 4},
		{"receipts not required", noReceipts, "2026-01-14", "2027-01-13", allJune, []SpentItem{noReceipt}, true, nil, 4, 4},
		{"withdrew mid-month: only the weeks before count", pol, "2026-01-14", "2026-06-09", map[string]bool{"2026-06-01": true}, nil, true, nil, 1, 1},
		{"not in the program that month", pol, "2025-01-14", "2026-01-13", map[string]bool{}, nil, false,
			[]string{"The participant was not in the program in June 2026."}, 0, 0},
		{"no stipend in the release", zero, "2026-01-14", "2027-01-13", allJune, nil, false, []string{"The program's release sets no monthly stipend."}, 4, 4},
		{"enrolled on the month's last days: no week expected", pol, "2026-06-30", "2027-06-29", map[string]bool{}, nil, true, nil, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := CheckStipend(StipendCase{Policy: c.policy, Month: june, First: day(c.first), Last: day(c.last), Journals: c.journals, PreviousExpenses: c.prev})
			if d.Payable != c.payable || d.JournalsDone != c.done || len(d.JournalWeeks) != c.expected {
				t.Fatalf("payable %v, weeks %d/%d, reasons %q", d.Payable, d.JournalsDone, len(d.JournalWeeks), d.Reasons)
			}
			if len(d.Reasons) != len(c.reasons) {
				t.Fatalf("reasons %q, want %q", d.Reasons, c.reasons)
			}
			for i, want := range c.reasons {
				if !strings.HasPrefix(d.Reasons[i], want) {
					t.Errorf("reason %d: %q, want %q", i, d.Reasons[i], want)
				}
			}
			if d.Month != "2026-06" || d.AllowanceCents != c.policy.MonthlyCents {
				t.Errorf("decision %+v", d)
			}
		})
	}
}

func TestStipendMonthNotBegun(t *testing.T) {
	pol := program.Default().Stipend
	july, _ := ParseMonth("2026-07")
	c := StipendCase{Policy: pol, Month: july, First: day("2026-06-29"), Last: day("2027-06-28"), Journals: map[string]bool{}, Today: day("2026-06-30")}
	// Before the month: not begun, and no week is missing.
	if d := CheckStipend(c); d.Payable || len(d.Reasons) != 1 || d.Reasons[0] != "July 2026 has not begun." || len(d.MissingWeeks) != 0 || len(d.NotDueWeeks) != 4 {
		t.Fatalf("a month not begun: %+v", d)
	}
	// Wednesday 8 July: the week of 29 June has ended (missing), the others
	// have not (not yet due).
	c.Today = day("2026-07-08")
	d := CheckStipend(c)
	if d.Payable || strings.Join(d.MissingWeeks, " ") != "2026-06-29" || strings.Join(d.NotDueWeeks, " ") != "2026-07-06 2026-07-13 2026-07-20" || len(d.Reasons) != 2 ||
		d.Reasons[1] != "Not yet due: the guided journals for the weeks of Monday 6 July 2026, 13 July 2026 and 20 July 2026, which have not ended." {
		t.Fatalf("mid-month: %+v", d)
	}
	// An entry written in the week itself, before it ended, counts as done.
	c.Journals = map[string]bool{"2026-06-29": true, "2026-07-06": true}
	if d := CheckStipend(c); d.Payable || d.JournalsDone != 2 || len(d.MissingWeeks) != 0 || strings.Join(d.NotDueWeeks, " ") != "2026-07-13 2026-07-20" {
		t.Fatalf("an entry of the current week: %+v", d)
	}
	// On Sunday 26 July the last week has not ended; on Monday 27 July it has.
	c.Journals = map[string]bool{"2026-06-29": true, "2026-07-06": true, "2026-07-13": true}
	c.Today = day("2026-07-26")
	if d := CheckStipend(c); d.Payable || len(d.MissingWeeks) != 0 || strings.Join(d.NotDueWeeks, " ") != "2026-07-20" ||
		d.Reasons[0] != "Not yet due: the guided journal for the week of Monday 20 July 2026, which has not ended." {
		t.Fatalf("on the last Sunday: %+v", d)
	}
	c.Today = day("2026-07-27")
	if d := CheckStipend(c); d.Payable || strings.Join(d.MissingWeeks, " ") != "2026-07-20" || len(d.NotDueWeeks) != 0 {
		t.Fatalf("the day after: %+v", d)
	}
}

func TestCheckPlan(t *testing.T) {
	pol := program.Default().Stipend
	for _, c := range []struct {
		name    string
		planned []int64
		spent   []int64
		fields  []string
	}{
		{"exactly the allowance", []int64{2000, 2500, 1500}, nil, nil},
		{"under", []int64{1000}, []int64{1000}, nil},
		{"empty plan", nil, nil, nil},
		{"over the allowance", []int64{3000, 3001}, nil, []string{"lines"}},
		{"one line over", []int64{6001}, nil, []string{"lines[0].planned_cents", "lines"}},
		{"zero and negative", []int64{0, -5, 100}, nil, []string{"lines[0].planned_cents", "lines[1].planned_cents"}},
		{"below what was spent", []int64{1000, 500}, []int64{0, 800}, []string{"lines[1].planned_cents"}},
	} {
		p := CheckPlan(pol, c.planned, c.spent)
		var got []string
		for _, x := range p {
			got = append(got, x.Field)
		}
		if strings.Join(got, ",") != strings.Join(c.fields, ",") {
			t.Errorf("%s: %v, want fields %v", c.name, p, c.fields)
		}
	}
	if p := CheckPlan(pol, []int64{4000, 2500}, nil); len(p) != 1 || !strings.Contains(p[0].Detail, "totals $65.00") || !strings.Contains(p[0].Detail, "take $5.00 off") {
		t.Errorf("over-plan message: %v", p)
	}
}

var (
	jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{1}, 100)...)
	png  = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)
	pdf  = []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
	exe  = append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 100)...)
)

func TestCheckReceipt(t *testing.T) {
	pol := program.Default().Stipend
	small := pol
	small.MaxReceiptBytes = 64
	for _, c := range []struct {
		name     string
		policy   program.StipendPolicy
		declared string
		content  []byte
		media    string
		problem  string
	}{
		{"jpeg", pol, "image/jpeg", jpeg, "image/jpeg", ""},
		{"jpeg under an alias", pol, "image/jpg", jpeg, "image/jpeg", ""},
		{"png", pol, "image/png", png, "image/png", ""},
		{"pdf with parameters", pol, "application/pdf; name=r.pdf", pdf, "application/pdf", ""},
		{"an exe declared as png", pol, "image/png", exe, "", "content is not image/png"},
		{"a png declared as pdf", pol, "application/pdf", png, "", "content is not application/pdf"},
		{"a type the policy refuses", pol, "image/gif", []byte("GIF89a......"), "", "must be one of image/jpeg, image/png, application/pdf, not image/gif"},
		{"no declared type", pol, "", png, "", "type is missing"},
		{"empty", pol, "image/png", nil, "", "empty"},
		{"too large", small, "image/png", png, "", "larger than 64 bytes"},
		{"the default bound when the policy sets none", program.StipendPolicy{}, "image/png", make([]byte, DefaultMaxReceiptBytes+1), "", "larger than 5 MB"},
	} {
		media, p := CheckReceipt(c.policy, c.declared, c.content)
		switch {
		case c.problem == "" && len(p) > 0:
			t.Errorf("%s: refused: %v", c.name, p)
		case c.problem == "" && media != c.media:
			t.Errorf("%s: media %q", c.name, media)
		case c.problem != "" && (len(p) == 0 || !strings.Contains(p.Error(), c.problem)):
			t.Errorf("%s: %v, want %q", c.name, p, c.problem)
		}
	}
}

func TestMoney(t *testing.T) {
	for in, want := range map[string]int64{"12": 1200, "12.5": 1250, "$12.50": 1250, "0.07": 7, ".5": 50, " 60.00 ": 6000} {
		if got, ok := ParseAmount(in); !ok || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "-1", "1.234", "abc", "1,50", "12.", "1e3", "1000000", "."} {
		if got, ok := ParseAmount(in); ok {
			t.Errorf("ParseAmount(%q) accepted as %d", in, got)
		}
	}
	if FormatCents(6000, "USD") != "$60.00" || FormatCents(-5, "") != "-$0.05" || FormatCents(1234, "EUR") != "12.34 EUR" || PlainCents(-1250) != "-12.50" {
		t.Error("FormatCents")
	}
}

func TestAmountProblem(t *testing.T) {
	for in, want := range map[string]string{
		"":         "enter the amount in dollars and cents, such as 12.50",
		"-5":       "enter the amount without a minus sign: it cannot be negative",
		"$-5":      "enter the amount without a minus sign: it cannot be negative",
		"1e9":      "enter the amount with digits and a decimal point only, such as 12.50 (no letters, spaces or thousands separators)",
		"1,000":    "enter the amount with digits and a decimal point only, such as 12.50 (no letters, spaces or thousands separators)",
		"1.2.3":    "enter the amount with digits and a decimal point only, such as 12.50 (no letters, spaces or thousands separators)",
		"12.505":   "enter at most two decimals (the cents), such as 12.50",
		"1000000":  "enter an amount of at most $999,999.99",
		"$1000000": "enter an amount of at most $999,999.99",
	} {
		if _, ok := ParseAmount(in); ok {
			t.Errorf("ParseAmount(%q) accepted", in)
		}
		if got := AmountProblem(in); got != want {
			t.Errorf("AmountProblem(%q) = %q, want %q", in, got, want)
		}
	}
	if got := MonthProblem("9999-12"); got != "enter a month from 2000-01 to 2200-12" {
		t.Errorf("MonthProblem(9999-12) = %q", got)
	}
	if got := MonthProblem("Dec"); got != "enter the month as YYYY-MM, such as 2026-12" {
		t.Errorf("MonthProblem(Dec) = %q", got)
	}
}
