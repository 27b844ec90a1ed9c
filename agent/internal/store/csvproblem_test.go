package store

import (
	"encoding/csv"
	"errors"
	"strings"
	"testing"
)

// TestCSVProblemInWords: each way a line is not CSV is said in words, with
// the line and how to mend it, never as the reader's message.
func TestCSVProblemInWords(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&csv.ParseError{StartLine: 2, Line: 2, Column: 12, Err: csv.ErrBareQuote}, "Line 2 has a quote inside a field that is not in quotes: put the whole field in double quotes and double the quote inside it, or remove it"},
		{&csv.ParseError{StartLine: 4, Line: 5, Column: 1, Err: csv.ErrQuote}, "Line 5 has a field in quotes that is not closed, or has text after its closing quote"},
		{&csv.ParseError{StartLine: 3, Line: 3, Column: 1, Err: csv.ErrFieldCount}, "Line 3 has a different number of fields from the rows before it: give every row one field per column"},
		{errors.New("something else"), "Line 7 cannot be read as CSV: save the spreadsheet again as CSV"},
	} {
		got := csvProblem(c.err, 7)
		if !strings.HasPrefix(got, c.want) || strings.Contains(got, "parse error") {
			t.Errorf("%v: %q, want %q", c.err, got, c.want)
		}
	}
	// The reader's own error, as a file gives it.
	_, errs := readRows(strings.NewReader("name\n\"Ann\n"), CoachColumns, coachRequired)
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Detail, "Line 2 has a field in quotes that is not closed") {
		t.Errorf("an unclosed quote: %+v", errs)
	}
}
