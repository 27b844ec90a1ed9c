package store

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/textx"
)

// RowError is what is wrong with one row of an import.
type RowError struct {
	Row    int    `json:"row"` // 2 is the first row after the header
	Field  string `json:"field,omitempty"`
	Detail string `json:"detail"`
}

// ImportResult says what an import did, or would do in a dry run.
type ImportResult struct {
	Kind     string     `json:"kind"`
	Rows     int        `json:"rows"`
	Imported int        `json:"imported"`
	DryRun   bool       `json:"dry_run"`
	Errors   []RowError `json:"errors"`
}

// ErrImportRefused means at least one row was wrong: nothing was imported.
var ErrImportRefused = errors.New("the file has errors; nothing was imported")

// Import columns. The header row names them, in any order; the required
// ones must be there.
var (
	ParticipantColumns = []string{"first_name", "last_name", "birth_date", "enrolled_on", "agreement_signed_on", "informed_consent",
		"manages_finances", "sets_goals", "accepts_responsibilities", "phone", "email", "address", "hospitalization_consent_on", "age_override_reason"}
	participantRequired = 9
	CoachColumns        = []string{"name", "email", "bio"}
	coachRequired       = 1
)

const maxImportRows = 5000

// readRows reads a CSV with a header row into maps by column name, with
// what is wrong with the file as it is read: a header that does not fit
// (then no rows), a cell holding a character no one types (its row is
// kept, so its other mistakes are found too), a line that is not CSV (the
// rows before it are kept: the reader cannot go on past it).
func readRows(r io.Reader, columns []string, required int) ([]map[string]string, []RowError) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, []RowError{{Row: 1, Detail: "The file is empty: it needs a header row naming the columns"}}
	}
	if err != nil {
		return nil, []RowError{{Row: 1, Detail: csvProblem(err, 1)}}
	}
	known := map[string]bool{}
	for _, c := range columns {
		known[c] = true
	}
	index := map[string]int{}
	var errs []RowError
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !known[h] {
			errs = append(errs, RowError{Row: 1, Field: h, Detail: "is not a column this import knows (" + strings.Join(columns, ", ") + ")"})
			continue
		}
		if _, dup := index[h]; dup {
			errs = append(errs, RowError{Row: 1, Field: h, Detail: "appears twice in the header"})
		}
		index[h] = i
	}
	for _, c := range columns[:required] {
		if _, ok := index[c]; !ok {
			errs = append(errs, RowError{Row: 1, Field: c, Detail: "the header lacks this required column"})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var rows []map[string]string
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, RowError{Row: line, Detail: csvProblem(err, line)})
			break
		}
		if len(rows) == maxImportRows {
			return nil, []RowError{{Row: line, Detail: fmt.Sprintf("a file holds at most %d rows; split it", maxImportRows)}}
		}
		m := map[string]string{}
		empty := true
		for _, c := range columns {
			i, ok := index[c]
			if !ok || i >= len(rec) {
				continue
			}
			if !textx.Clean(rec[i]) {
				errs = append(errs, RowError{Row: line, Field: c, Detail: textx.Problem})
			}
			m[c] = strings.TrimSpace(rec[i])
			empty = empty && m[c] == ""
		}
		if !empty {
			m["#row"] = fmt.Sprint(line)
			rows = append(rows, m)
		}
	}
	return rows, errs
}

// csvProblem says in words why line (of the file, counted from 1, as the
// reader counts them) cannot be read as CSV, and how to mend it.
func csvProblem(err error, line int) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.Line > 0 {
			line = pe.Line
		}
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return fmt.Sprintf("Line %d has a quote inside a field that is not in quotes: put the whole field in double quotes and double the quote inside it, or remove it", line)
		case errors.Is(pe.Err, csv.ErrQuote):
			return fmt.Sprintf("Line %d has a field in quotes that is not closed, or has text after its closing quote: end the field with a quote, and double each quote inside it", line)
		case errors.Is(pe.Err, csv.ErrFieldCount):
			return fmt.Sprintf("Line %d has a different number of fields from the rows before it: give every row one field per column, empty ones too", line)
		}
	}
	return fmt.Sprintf("Line %d cannot be read as CSV: save the spreadsheet again as CSV (comma-separated values)", line)
}

// rowErrors are an import's mistakes in the order of the file: those found
// reading it (read) and those found checking its rows (checked), less a
// check of a cell already refused as read.
func rowErrors(read, checked []RowError) []RowError {
	refused := map[RowError]bool{}
	for _, e := range read {
		refused[RowError{Row: e.Row, Field: e.Field}] = true
	}
	out := append([]RowError{}, read...)
	for _, e := range checked {
		if e.Field == "" || !refused[RowError{Row: e.Row, Field: e.Field}] {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b RowError) int { return a.Row - b.Row })
	return out
}

// Noun is the kind of record an import holds, singular or plural by n:
// "1 participant", "2 participants".
func (r ImportResult) Noun(n int) string {
	one, ok := map[string]string{"participants": "participant", "coaches": "coach", "interviews": "interview"}[r.Kind]
	if !ok {
		one = r.Kind
	}
	return count(n, one, r.Kind)
}

// Problems says how many problems the file has: "1 problem", "2 problems".
func (r ImportResult) Problems() string { return count(len(r.Errors), "problem", "problems") }

// count is n things, singular or plural.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func yes(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "y", "true", "1", "x":
		return true, true
	case "no", "n", "false", "0", "":
		return false, true
	}
	return false, false
}

// ImportParticipants adds the participants of a CSV file: every row is
// checked with the same rules as the intake form, and either all rows are
// imported in one transaction or none. A person already at the site (same
// names and birth date) is an error, so a file can be imported again safely.
// progress, if not nil, is called as rows are written.
func (s *participantStore) ImportParticipants(ctx context.Context, r io.Reader, dryRun bool, progress func(done, total int)) (ImportResult, error) {
	res := ImportResult{Kind: "participants", DryRun: dryRun, Errors: []RowError{}}
	rows, readErrs := readRows(r, ParticipantColumns, participantRequired)
	res.Rows = len(rows)
	now := s.st.Now()
	inputs := make([]ParticipantInput, len(rows))
	seen := map[string]int{}
	for i, m := range rows {
		row, _ := strconv.Atoi(m["#row"])
		in := ParticipantInput{FirstName: m["first_name"], LastName: m["last_name"], BirthDate: m["birth_date"], EnrolledOn: m["enrolled_on"],
			AgreementSignedOn: m["agreement_signed_on"], Phone: m["phone"], Email: m["email"], Address: m["address"],
			HospitalizationConsentOn: m["hospitalization_consent_on"], AgeOverrideReason: m["age_override_reason"]}
		unreadable := map[string]bool{}
		for col, dst := range map[string]*bool{"informed_consent": &in.InformedConsent, "manages_finances": &in.ManagesFinances, "sets_goals": &in.SetsGoals, "accepts_responsibilities": &in.AcceptsResponsibilities} {
			v, ok := yes(m[col])
			if !ok {
				unreadable[col] = true
				res.Errors = append(res.Errors, RowError{Row: row, Field: col, Detail: "Write yes or no"})
			}
			*dst = v
		}
		if err := in.validate(now); err != nil {
			var ves ValidationErrors
			if errors.As(err, &ves) {
				for _, e := range ves {
					if !unreadable[e.Field] {
						res.Errors = append(res.Errors, RowError{Row: row, Field: e.Field, Detail: e.Msg})
					}
				}
			}
		}
		key := strings.ToLower(in.FirstName + "\x00" + in.LastName + "\x00" + in.BirthDate)
		if first, dup := seen[key]; dup {
			res.Errors = append(res.Errors, RowError{Row: row, Detail: fmt.Sprintf("the same person as row %d", first)})
		}
		seen[key] = row
		dup, err := alreadyAtSite(s.st.DB.WithContext(ctx), in.FirstName, in.LastName, in.BirthDate)
		if err != nil {
			return res, err
		}
		if dup {
			res.Errors = append(res.Errors, RowError{Row: row, Detail: "this person is already at the site"})
		}
		inputs[i] = in
	}
	if res.Errors = rowErrors(readErrs, res.Errors); len(res.Errors) > 0 {
		return res, ErrImportRefused
	}
	if dryRun {
		return res, nil
	}
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ids := make([]string, 0, len(inputs))
		for i, in := range inputs {
			// Again in the transaction: another import or intake may have
			// added the person since the rows were checked.
			if dup, err := alreadyAtSite(tx, in.FirstName, in.LastName, in.BirthDate); err != nil || dup {
				if dup {
					row, _ := strconv.Atoi(rows[i]["#row"])
					res.Errors = append(res.Errors, RowError{Row: row, Detail: "this person is already at the site"})
					err = ErrImportRefused
				}
				return err
			}
			p, err := s.insertParticipant(tx, in, now)
			if err != nil {
				return fmt.Errorf("row %s: %w", rows[i]["#row"], err)
			}
			ids = append(ids, p.ID)
			if progress != nil && ((i+1)%100 == 0 || i+1 == len(inputs)) {
				progress(i+1, len(inputs))
			}
		}
		// The site is described upstream once, with everyone in.
		return s.st.Outcomes.refreshOutcomes(tx, ids, nil)
	})
	if err != nil {
		return res, err
	}
	res.Imported = len(inputs)
	return res, nil
}

// ImportCoaches adds the coaches of a CSV file, all or none.
func (s *participantStore) ImportCoaches(ctx context.Context, r io.Reader, dryRun bool) (ImportResult, error) {
	res := ImportResult{Kind: "coaches", DryRun: dryRun, Errors: []RowError{}}
	rows, readErrs := readRows(r, CoachColumns, coachRequired)
	res.Rows = len(rows)
	inputs := make([]CoachInput, len(rows))
	for i, m := range rows {
		in := CoachInput{Name: m["name"], Email: m["email"], Bio: m["bio"]}
		if err := in.validate(); err != nil {
			var ves ValidationErrors
			if errors.As(err, &ves) {
				for _, e := range ves {
					row, _ := strconv.Atoi(m["#row"])
					res.Errors = append(res.Errors, RowError{Row: row, Field: e.Field, Detail: e.Msg})
				}
			}
		}
		inputs[i] = in
	}
	if res.Errors = rowErrors(readErrs, res.Errors); len(res.Errors) > 0 {
		return res, ErrImportRefused
	}
	if dryRun {
		return res, nil
	}
	now := s.st.Now()
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, in := range inputs {
			c := Coach{ID: newID(), Name: in.Name, Email: in.Email, Bio: in.Bio, Active: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&c).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		res.Imported = len(inputs)
	}
	return res, err
}
