package store

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
)

// RosterRow is a participant as the list shows them: their cohort (the
// current one), their coach (the cohort's, else the one they chose), and
// where they stand in the program year, computed on the day.
type RosterRow struct {
	Participant
	CohortID    string
	CohortName  string
	Model       string
	LeadCoachID string
	LeftCohort  bool
	// Status is rules.YearStatus; ProgramMonth the site's program month
	// (0 before enrollment, 13 to 24 after the year); YearEnd its last day.
	Status       string
	ProgramMonth int
	YearEnd      string
}

// RosterFilter narrows and orders the participant list. Every field is
// optional; values are checked by the caller.
type RosterFilter struct {
	// Q is part of a name, matched case-insensitively against the first
	// name, the last name and "first last".
	Q        string
	Status   string
	CoachID  string
	CohortID string
	Model    string
	// Only, when not nil, keeps the participants it holds (a due item).
	Only map[string]bool
	// Full reads every column of the participant (the API's answer);
	// otherwise only the names, the enrollment, the withdrawal and the
	// chosen coach.
	Full bool
	// Sort is "name" (the default), "enrolled" (newest first) or "month"
	// (furthest in the program year first).
	Sort string
}

// Roster lists the participants a user sees (the director everyone, a
// coach those of their cohorts and those who chose them), filtered and
// sorted (by name unless asked otherwise): one query, the rest in
// memory.
func (s *homeStore) Roster(ctx context.Context, u User, f RosterFilter) ([]RosterRow, error) {
	all, err := s.keptRoster(ctx, u, f.Full)
	if err != nil {
		return nil, err
	}
	rows := slices.Clone(all)
	q := strings.ToLower(strings.Join(strings.Fields(f.Q), " "))
	out := rows[:0]
	for _, r := range rows {
		if keep(r, f, q) {
			out = append(out, r)
		}
	}
	if f.Sort != "" && f.Sort != "name" {
		// The kept roster is in name order already.
		sortRoster(out, f.Sort)
	}
	return out, nil
}

// keptRoster is the roster a user sees, kept until the data version moves
// (or the minute changes); the caller must not change its rows.
func (s *homeStore) keptRoster(ctx context.Context, u User, full bool) ([]RosterRow, error) {
	v, key := s.st.Version(), s.st.figureKey("roster|"+strconv.FormatBool(full), u)
	if x, ok := s.st.figures.get(v, key); ok {
		return x.([]RosterRow), nil
	}
	var rows []RosterRow
	err := s.st.ReadSnapshot(ctx, func(tx *gorm.DB) error {
		var err error
		rows, err = s.roster(tx, u, full)
		return err
	})
	if err == nil {
		sortRoster(rows, "name")
		s.st.figures.put(v, key, rows)
	}
	return rows, err
}

func keep(r RosterRow, f RosterFilter, q string) bool {
	switch {
	case f.Status != "" && r.Status != f.Status,
		f.CoachID != "" && r.LeadCoachID != f.CoachID,
		f.CohortID != "" && r.CohortID != f.CohortID,
		f.Model != "" && r.Model != f.Model,
		f.Only != nil && !f.Only[r.ID]:
		return false
	case q == "":
		return true
	}
	first, last := strings.ToLower(r.FirstName), strings.ToLower(r.LastName)
	return strings.Contains(first, q) || strings.Contains(last, q) || strings.Contains(first+" "+last, q) || strings.Contains(last+", "+first, q)
}

func sortRoster(rows []RosterRow, by string) {
	byName := func(a, b RosterRow) int {
		if c := strings.Compare(strings.ToLower(a.LastName), strings.ToLower(b.LastName)); c != 0 {
			return c
		}
		if c := strings.Compare(strings.ToLower(a.FirstName), strings.ToLower(b.FirstName)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	slices.SortStableFunc(rows, func(a, b RosterRow) int {
		switch by {
		case "enrolled":
			if c := strings.Compare(b.EnrolledOn, a.EnrolledOn); c != 0 {
				return c
			}
		case "month":
			if c := b.ProgramMonth - a.ProgramMonth; c != 0 {
				return c
			}
		}
		return byName(a, b)
	})
}

// rosterCols are what the list and the home read of a participant; the
// API reads every column (Full).
const rosterCols = "p.id, p.first_name, p.last_name, p.enrolled_on, p.withdrawn_at, p.coach_id"

// roster reads the participants a user sees with their current cohort,
// and computes their status on the store's day; full reads every column
// of the participant, else only rosterCols.
func (s *homeStore) roster(tx *gorm.DB, u User, full bool) ([]RosterRow, error) {
	coachID, err := s.seenCoach(tx, u)
	if err != nil {
		return nil, err
	}
	cols := rosterCols
	if full {
		cols = "p.*"
	}
	q := `SELECT ` + cols + `, COALESCE(c.id, '') AS cohort_id, COALESCE(c.name, '') AS cohort_name, COALESCE(c.model, '') AS model,
  COALESCE(NULLIF(c.coach_id, ''), p.coach_id) AS lead_coach_id,
  (c.id IS NULL AND EXISTS (SELECT 1 FROM cohort_members x WHERE x.participant_id = p.id AND x.left_on <> '')) AS left_cohort
FROM participants p
LEFT JOIN cohort_members m ON m.participant_id = p.id AND m.left_on = ''
LEFT JOIN cohorts c ON c.id = m.cohort_id`
	var rows []RosterRow
	switch coachID {
	case "*":
		err = tx.Raw(q).Scan(&rows).Error
	case "":
		return nil, nil
	default:
		err = tx.Raw(q+` WHERE c.coach_id = ? OR p.coach_id = ?`, coachID, coachID).Scan(&rows).Error
	}
	if err != nil {
		return nil, err
	}
	today := s.st.Now()
	for i := range rows {
		r := &rows[i]
		enrolled, ok := parseDate(r.EnrolledOn)
		if !ok {
			r.Status = rules.StatusActive
			continue
		}
		r.Status = rules.YearStatus(enrolled, r.WithdrawnAt != nil, r.LeftCohort, today)
		r.YearEnd = rules.YearEnd(enrolled).Format(dateLayout)
		if !today.Before(enrolled) {
			r.ProgramMonth = rules.ProgramMonth(enrolled, today)
		}
	}
	return rows, nil
}

// seenCoach is whose participants a user sees: "*" for the director
// (everyone), the coach id of a coach's account, "" for a coach account
// linked to no coach (no one).
func (s *homeStore) seenCoach(tx *gorm.DB, u User) (string, error) {
	if u.Role == RoleDirector {
		return "*", nil
	}
	var ids []string
	err := tx.Model(&Coach{}).Where("user_id = ? AND user_id <> ''", u.ID).Limit(1).Pluck("id", &ids).Error
	if len(ids) == 0 {
		return "", err
	}
	return ids[0], err
}
