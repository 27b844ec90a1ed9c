package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/program"
)

// interviewHead are the interview import's columns before the indicators.
var interviewHead = []string{"first_name", "last_name", "birth_date", "timepoint", "interviewed_on"}

// InterviewColumns are the interview import's columns for a release: the
// participant (names and date of birth, as the site holds them), the
// timepoint and the date, one column per indicator the release names
// (present, absent, not_asked or declined), and notes (optional). An
// indicator the release does not name has no column.
func InterviewColumns(rel program.Release) []string {
	cols := append([]string{}, interviewHead...)
	for _, it := range rel.Asked() {
		cols = append(cols, it.Code)
	}
	return append(cols, "notes")
}

// choiceOf reads a cell of an indicator column: one of InterviewChoices,
// in any case, with a space for the underscore, or "not present".
func choiceOf(cell string) string {
	c := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(cell)), " ", "_")
	if c == "not_present" {
		return ChoiceAbsent
	}
	return c
}

// ImportInterviews records the POM interviews of a CSV file, all or none:
// each row names a participant at the site and one interview, checked
// with the rules of the interview form. A row for a timepoint already
// recorded corrects it, so a file can be imported again.
func (s *participantStore) ImportInterviews(ctx context.Context, r io.Reader, dryRun bool) (ImportResult, error) {
	res := ImportResult{Kind: "interviews", DryRun: dryRun, Errors: []RowError{}}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return res, err
	}
	cols := InterviewColumns(rel)
	rows, readErrs := readRows(r, cols, len(cols)-1)
	for i, e := range readErrs {
		if _, ok := rel.Indicator(e.Field); ok && e.Row == 1 {
			if it, _ := rel.Indicator(e.Field); !it.Named() {
				readErrs[i].Detail = "is not asked: release " + rel.Version + " does not name this indicator yet; remove the column"
			}
		}
	}
	res.Rows = len(rows)
	type planned struct {
		participant, timepoint string
		in                     InterviewInput
	}
	plan := make([]planned, 0, len(rows))
	seen := map[string]int{}
	for _, m := range rows {
		row, _ := strconv.Atoi(m["#row"])
		in := InterviewInput{InterviewedOn: m["interviewed_on"], Notes: m["notes"]}
		for _, it := range rel.Asked() {
			if !in.SetChoice(it.Code, choiceOf(m[it.Code])) {
				res.Errors = append(res.Errors, RowError{Row: row, Field: it.Code, Detail: "Choose one of " + strings.Join(InterviewChoices, ", ")})
			}
		}
		tp := strings.ToLower(m["timepoint"])
		for _, e := range s.checkInterview(rel, tp, in) {
			res.Errors = append(res.Errors, RowError{Row: row, Field: strings.TrimPrefix(e.Field, "answers."), Detail: e.Msg})
		}
		var ids []string
		if err := s.st.DB.WithContext(ctx).Model(&Participant{}).Where("lower(first_name) = lower(?) AND lower(last_name) = lower(?) AND birth_date = ?",
			m["first_name"], m["last_name"], m["birth_date"]).Limit(2).Pluck("id", &ids).Error; err != nil {
			return res, err
		}
		switch len(ids) {
		case 0:
			res.Errors = append(res.Errors, RowError{Row: row, Detail: "no participant at the site has these names and date of birth"})
			continue
		case 2:
			res.Errors = append(res.Errors, RowError{Row: row, Detail: "two participants at the site have these names and date of birth: record this interview on the participant's page"})
			continue
		}
		key := ids[0] + "\x00" + tp
		if first, dup := seen[key]; dup {
			res.Errors = append(res.Errors, RowError{Row: row, Detail: fmt.Sprintf("the same participant and timepoint as row %d", first)})
		}
		seen[key] = row
		plan = append(plan, planned{participant: ids[0], timepoint: tp, in: in})
	}
	if res.Errors = rowErrors(readErrs, res.Errors); len(res.Errors) > 0 {
		return res, ErrImportRefused
	}
	if dryRun {
		return res, nil
	}
	err = s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ids := make([]string, 0, len(plan))
		for i, p := range plan {
			if _, err := s.saveInterview(tx, rel, p.participant, p.timepoint, p.in); err != nil {
				var ve *ValidationError
				if errors.As(err, &ve) {
					res.Errors = append(res.Errors, RowError{Row: atoi(rows[i]["#row"]), Field: ve.Field, Detail: ve.Msg})
					continue
				}
				return err
			}
			ids = append(ids, p.participant)
		}
		if len(res.Errors) > 0 {
			return ErrImportRefused
		}
		return s.st.Outcomes.refreshRecords(tx, ids, nil)
	})
	if err != nil {
		return res, err
	}
	res.Imported = len(plan)
	return res, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
