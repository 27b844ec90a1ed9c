package store

// The social stipend at the site: monthly spending plans, expenses with
// their receipts, and the payments the director approves. Months are
// calendar months (YYYY-MM); see package rules for why and for the rule
// that decides whether a month's allowance is payable. Nothing here leaves
// the site: no record of it goes to the outbox.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/program"
)

// PlanLine is one line of a participant's spending plan for a month: what
// they mean to spend on one of their goals.
type PlanLine struct {
	ID            string `gorm:"primaryKey"`
	ParticipantID string
	Month         string
	Position      int
	GoalID        string
	Description   string
	PlannedCents  int64
	CreatedAt     time.Time
	UpdatedAt     time.Time `gorm:"autoUpdateTime:false"`
}

// TableName names the table.
func (PlanLine) TableName() string { return "spending_plan_lines" }

// Expense is money spent from the stipend, on a goal and a line of that
// month's spending plan.
type Expense struct {
	ID            string `gorm:"primaryKey"`
	ParticipantID string
	Month         string
	GoalID        string
	PlanLineID    string
	SpentOn       string
	AmountCents   int64
	What          string
	RecordedBy    string
	CreatedAt     time.Time
}

// Receipt is a receipt file for an expense. The file is kept in the
// receipts folder beside the database, named by FileID, never by the name
// it was uploaded with.
type Receipt struct {
	ID            string `gorm:"primaryKey"`
	ExpenseID     string
	ParticipantID string
	FileID        string
	MIMEType      string `gorm:"column:mime_type"`
	SizeBytes     int64
	SHA256        string `gorm:"column:sha256"`
	UploadedBy    string
	UploadedAt    time.Time
}

// StipendPayment is a month's stipend the director approved for payment.
type StipendPayment struct {
	ID             string `gorm:"primaryKey"`
	ParticipantID  string
	Month          string
	AmountCents    int64
	ApprovedBy     string
	ApprovedByName string
	ApprovedAt     time.Time
}

// Stipend errors.
var (
	ErrAlreadyPaid = errors.New("the stipend for this month has already been approved")
)

// NotPayableError refuses a payment the stipend rule does not allow.
type NotPayableError struct {
	Month   string
	Reasons []string
}

func (e *NotPayableError) Error() string {
	return "the stipend for " + e.Month + " is not payable: " + strings.Join(e.Reasons, " ")
}

// MissingError is a record that does not exist (or not for this
// participant); it is ErrNotFound.
type MissingError struct{ What string }

func (e *MissingError) Error() string { return "no such " + e.What }

// Is makes a MissingError match ErrNotFound.
func (e *MissingError) Is(target error) bool { return target == ErrNotFound }

func parseMonthField(month string) (time.Time, error) {
	m, ok := rules.ParseMonth(month)
	if !ok {
		return m, &ValidationError{Field: "month", Msg: rules.MonthProblem(month)}
	}
	return m, nil
}

// programYear is the participant's program year (rules.EnrollmentPeriod).
func programYear(p Participant) (time.Time, time.Time) {
	enrolled, _ := parseDate(p.EnrolledOn)
	return rules.EnrollmentPeriod(enrolled, p.WithdrawnAt)
}

// PlanLineInput is a line of a spending plan as staff enter it. A line
// with an ID changes that line; one without is new.
type PlanLineInput struct {
	ID           string `json:"id,omitempty"`
	GoalID       string `json:"goal_id"`
	Description  string `json:"description"`
	PlannedCents int64  `json:"planned_cents"`
}

// spentByLine sums the expenses on each plan line of a participant's month.
func spentByLine(tx *gorm.DB, participantID, month string) (map[string]int64, error) {
	var rows []struct {
		PlanLineID string
		Total      int64
	}
	err := tx.Raw("SELECT plan_line_id, SUM(amount_cents) AS total FROM expenses WHERE participant_id = ? AND month = ? GROUP BY plan_line_id",
		participantID, month).Scan(&rows).Error
	out := map[string]int64{}
	for _, r := range rows {
		out[r.PlanLineID] = r.Total
	}
	return out, err
}

// SavePlan sets a participant's spending plan for a month, in full: lines
// with an ID are changed, lines without are added, and the month's other
// lines are removed. Every line names one of the participant's goals; the
// plan may not total more than the month's stipend; a line with expenses
// on it cannot be removed, moved to another goal, or planned below what
// was spent.
func (s *stipendStore) SavePlan(ctx context.Context, participantID, month string, in []PlanLineInput) ([]PlanLine, error) {
	m, err := parseMonthField(month)
	if err != nil {
		return nil, err
	}
	month = rules.MonthOf(m)
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return nil, err
	}
	var out []PlanLine
	err = s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := activeParticipant(tx, participantID, "spending plan")
		if err != nil {
			return err
		}
		if first, last := programYear(p); !rules.EnrolledIn(m, first, last) {
			return &ValidationError{Field: "month", Msg: fmt.Sprintf("%s is outside the participant's program year (%s to %s)",
				rules.MonthName(m), first.Format(dateLayout), last.Format(dateLayout))}
		}
		goals := map[string]Goal{}
		var gs []Goal
		if err := tx.Where("participant_id = ?", p.ID).Find(&gs).Error; err != nil {
			return err
		}
		for _, g := range gs {
			goals[g.ID] = g
		}
		var have []PlanLine
		if err := tx.Where("participant_id = ? AND month = ?", p.ID, month).Order("position").Find(&have).Error; err != nil {
			return err
		}
		existing := map[string]PlanLine{}
		for _, l := range have {
			existing[l.ID] = l
		}
		spent, err := spentByLine(tx, p.ID, month)
		if err != nil {
			return err
		}
		errs, kept := checkPlanLines(rel.Stipend, in, goals, have, spent)
		if len(errs) > 0 {
			return errs
		}
		for _, l := range have {
			if !kept[l.ID] {
				if err := tx.Delete(&PlanLine{}, "id = ?", l.ID).Error; err != nil {
					return err
				}
			}
		}
		now := s.st.Now()
		for i, l := range in {
			line, ok := existing[l.ID]
			if !ok {
				line = PlanLine{ID: uuid.NewString(), ParticipantID: p.ID, Month: month, CreatedAt: now}
			}
			line.Position, line.GoalID, line.Description, line.PlannedCents, line.UpdatedAt = i+1, l.GoalID, l.Description, l.PlannedCents, now
			if err := tx.Save(&line).Error; err != nil {
				return err
			}
			out = append(out, line)
		}
		return nil
	})
	return out, err
}

// checkPlanLines checks a month's new plan (in, its descriptions trimmed)
// against the participant's goals, the plan it replaces (have) and what was
// spent on its lines: the mistakes, and the ids of the lines it keeps.
func checkPlanLines(policy program.StipendPolicy, in []PlanLineInput, goals map[string]Goal, have []PlanLine, spent map[string]int64) (ValidationErrors, map[string]bool) {
	existing := map[string]PlanLine{}
	for _, l := range have {
		existing[l.ID] = l
	}
	var errs ValidationErrors
	kept := map[string]bool{}
	planned, spentOn := make([]int64, len(in)), make([]int64, len(in))
	for i := range in {
		l := &in[i]
		f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
		l.Description = strings.TrimSpace(l.Description)
		planned[i] = l.PlannedCents
		errs = append(errs, required(l.Description, f("description"), "Say what the money is for", 300)...)
		if _, ok := goals[l.GoalID]; !ok {
			errs = append(errs, ValidationError{Field: f("goal_id"), Msg: "Choose one of the participant's social goals"})
		}
		if l.ID == "" {
			continue
		}
		cur, ok := existing[l.ID]
		switch {
		case !ok:
			errs = append(errs, ValidationError{Field: f("id"), Msg: "Choose a line of this month's plan"})
		case kept[l.ID]:
			errs = append(errs, ValidationError{Field: f("id"), Msg: "Give each line once"})
		case spent[l.ID] > 0 && cur.GoalID != l.GoalID:
			errs = append(errs, ValidationError{Field: f("goal_id"), Msg: "Expenses on this line were made for its goal, so it cannot move to another goal: add a new line for the other goal"})
		}
		kept[l.ID], spentOn[i] = true, spent[l.ID]
	}
	for _, l := range have {
		if !kept[l.ID] && spent[l.ID] > 0 {
			errs = append(errs, ValidationError{Field: "lines", Msg: fmt.Sprintf("The line %q has expenses recorded on it, so it cannot be removed", l.Description)})
		}
	}
	for _, pr := range rules.CheckPlan(policy, planned, spentOn) {
		errs = append(errs, ValidationError{Field: pr.Field, Msg: pr.Detail})
	}
	return errs, kept
}

// planInputs is a month's plan as it stands, as input for SavePlan.
func (s *stipendStore) planInputs(ctx context.Context, participantID, month string) ([]PlanLineInput, error) {
	var have []PlanLine
	err := s.st.DB.WithContext(ctx).Where("participant_id = ? AND month = ?", participantID, month).Order("position").Find(&have).Error
	out := make([]PlanLineInput, len(have))
	for i, l := range have {
		out[i] = PlanLineInput{ID: l.ID, GoalID: l.GoalID, Description: l.Description, PlannedCents: l.PlannedCents}
	}
	return out, err
}

// AddPlanLine adds a line to a month's spending plan.
func (s *stipendStore) AddPlanLine(ctx context.Context, participantID, month string, in PlanLineInput) ([]PlanLine, error) {
	if _, err := parseMonthField(month); err != nil {
		return nil, err
	}
	lines, err := s.planInputs(ctx, participantID, month)
	if err != nil {
		return nil, err
	}
	in.ID = ""
	return s.SavePlan(ctx, participantID, month, append(lines, in))
}

// RemovePlanLine removes a line with no expenses from its month's plan.
func (s *stipendStore) RemovePlanLine(ctx context.Context, participantID, lineID string) error {
	var l PlanLine
	if err := s.st.DB.WithContext(ctx).Limit(1).Find(&l, "id = ? AND participant_id = ?", lineID, participantID).Error; err != nil {
		return err
	}
	if l.ID == "" {
		return &MissingError{"spending plan line"}
	}
	lines, err := s.planInputs(ctx, participantID, l.Month)
	if err != nil {
		return err
	}
	var rest []PlanLineInput
	for _, x := range lines {
		if x.ID != lineID {
			rest = append(rest, x)
		}
	}
	_, err = s.SavePlan(ctx, participantID, l.Month, rest)
	return err
}

// ExpenseInput is an expense as staff record it from a receipt.
type ExpenseInput struct {
	GoalID      string `json:"goal_id"`
	PlanLineID  string `json:"plan_line_id"`
	SpentOn     string `json:"spent_on"`
	AmountCents int64  `json:"amount_cents"`
	What        string `json:"what"`
}

// AddExpense records money spent. It must name one of the participant's
// goals and a line of the spending plan of the month it was spent in that
// is for the same goal, and fit in what is left on that line.
func (s *stipendStore) AddExpense(ctx context.Context, by User, participantID string, in ExpenseInput) (Expense, error) {
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return Expense{}, err
	}
	cur := rel.Stipend.Currency
	var errs ValidationErrors
	in.What = strings.TrimSpace(in.What)
	day, ok := parseDate(in.SpentOn)
	switch {
	case !ok:
		errs = append(errs, ValidationError{Field: "spent_on", Msg: "Enter the date of the expense, such as 2026-03-04"})
	case day.After(s.st.Now()):
		errs = append(errs, ValidationError{Field: "spent_on", Msg: "Enter a day no later than today"})
	}
	if in.AmountCents <= 0 {
		errs = append(errs, ValidationError{Field: "amount_cents", Msg: "Enter an amount above zero"})
	}
	errs = append(errs, required(in.What, "what", "Say what was bought or paid for", 300)...)
	if in.GoalID == "" {
		errs = append(errs, ValidationError{Field: "goal_id", Msg: "Choose the goal the money was spent on"})
	}
	if in.PlanLineID == "" {
		errs = append(errs, ValidationError{Field: "plan_line_id", Msg: "Choose the line of the month's spending plan the money was spent on"})
	}
	if len(errs) > 0 {
		return Expense{}, errs
	}
	var e Expense
	err = s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := activeParticipant(tx, participantID, "expenses")
		if err != nil {
			return err
		}
		if first, last := programYear(p); !rules.InPeriod(day, first, last) {
			errs = append(errs, ValidationError{Field: "spent_on", Msg: fmt.Sprintf("The day is outside the participant's program year: enter a day from %s to %s", first.Format(dayWords), last.Format(dayWords))})
		}
		var g Goal
		if err := tx.Limit(1).Find(&g, "id = ? AND participant_id = ?", in.GoalID, p.ID).Error; err != nil {
			return err
		}
		if g.ID == "" {
			errs = append(errs, ValidationError{Field: "goal_id", Msg: "Choose one of this participant's goals"})
		}
		var l PlanLine
		if err := tx.Limit(1).Find(&l, "id = ? AND participant_id = ?", in.PlanLineID, p.ID).Error; err != nil {
			return err
		}
		month := rules.MonthOf(day)
		switch {
		case l.ID == "":
			errs = append(errs, ValidationError{Field: "plan_line_id", Msg: "Choose a line of this participant's spending plan"})
		case l.Month != month:
			errs = append(errs, ValidationError{Field: "plan_line_id", Msg: fmt.Sprintf("This line is in the plan for %s but the money was spent on %s: choose a line of that month's plan", inMonthWords(l.Month), day.Format(dayWords))})
		case g.ID != "" && l.GoalID != g.ID:
			errs = append(errs, ValidationError{Field: "goal_id", Msg: fmt.Sprintf("The plan line %q is for another goal than %q: choose that line's goal, or another line", l.Description, g.Title)})
		default:
			spent, err := spentByLine(tx, p.ID, month)
			if err != nil {
				return err
			}
			if left := l.PlannedCents - spent[l.ID]; in.AmountCents > left {
				errs = append(errs, ValidationError{Field: "amount_cents", Msg: fmt.Sprintf("Only %s is left on the plan line %q (%s planned): change the spending plan first",
					rules.FormatCents(left, cur), l.Description, rules.FormatCents(l.PlannedCents, cur))})
			}
		}
		if len(errs) > 0 {
			return errs
		}
		e = Expense{ID: uuid.NewString(), ParticipantID: p.ID, Month: month, GoalID: g.ID, PlanLineID: l.ID, SpentOn: day.Format(dateLayout),
			AmountCents: in.AmountCents, What: in.What, RecordedBy: by.ID, CreatedAt: s.st.Now()}
		if err := tx.Create(&e).Error; err != nil {
			return err
		}
		return s.st.Participants.refreshUpstream(tx, p.ID)
	})
	return e, err
}

// DeleteExpense removes an expense recorded by mistake, with its receipts.
// Once the director approved the stipend of its month or of the month
// after (which was paid on its receipts), it stays.
func (s *stipendStore) DeleteExpense(ctx context.Context, participantID, expenseID string) error {
	var files []string
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var e Expense
		if err := tx.Limit(1).Find(&e, "id = ? AND participant_id = ?", expenseID, participantID).Error; err != nil {
			return err
		}
		if e.ID == "" {
			return &MissingError{"expense"}
		}
		m, _ := rules.ParseMonth(e.Month)
		var paid []string
		if err := tx.Model(&StipendPayment{}).Where("participant_id = ? AND month IN ?", participantID, []string{e.Month, rules.MonthOf(m.AddDate(0, 1, 0))}).
			Order("month").Pluck("month", &paid).Error; err != nil {
			return err
		}
		if len(paid) > 0 {
			return &ValidationError{Field: "expense", Msg: "The stipend for " + paid[0] + " was approved with this expense on record, so it cannot be removed"}
		}
		if err := tx.Model(&Receipt{}).Where("expense_id = ?", e.ID).Pluck("file_id", &files).Error; err != nil {
			return err
		}
		if err := tx.Delete(&Receipt{}, "expense_id = ?", e.ID).Error; err != nil {
			return err
		}
		if err := tx.Delete(&Expense{}, "id = ?", e.ID).Error; err != nil {
			return err
		}
		return s.st.Participants.refreshUpstream(tx, participantID)
	})
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(s.receiptPath(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.st.Log.Warn("receipt file not removed", "err", err)
		}
	}
	return nil
}

// ApprovePayment approves a month's stipend for payment. Only the Program
// Director approves; the stipend rule must allow it (else a
// NotPayableError gives the reasons); a month is paid at most once.
func (s *stipendStore) ApprovePayment(ctx context.Context, by User, participantID, month string) (StipendPayment, error) {
	if by.Role != RoleDirector {
		return StipendPayment{}, ErrForbidden
	}
	m, err := parseMonthField(month)
	if err != nil {
		return StipendPayment{}, err
	}
	month = rules.MonthOf(m)
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return StipendPayment{}, err
	}
	var pay StipendPayment
	err = s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		var n int64
		if err := tx.Model(&StipendPayment{}).Where("participant_id = ? AND month = ?", p.ID, month).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyPaid
		}
		md, err := loadMonthData(tx, m, p.ID)
		if err != nil {
			return err
		}
		d := md.view(p, rel.Stipend, m, s.st.Now()).Decision
		if !d.Payable {
			return &NotPayableError{Month: month, Reasons: d.Reasons}
		}
		pay = StipendPayment{ID: uuid.NewString(), ParticipantID: p.ID, Month: month, AmountCents: d.AllowanceCents, ApprovedBy: by.ID, ApprovedByName: by.Name, ApprovedAt: s.st.Now()}
		if err := tx.Create(&pay).Error; err != nil {
			if dbx.IsUniqueViolation(err) {
				return ErrAlreadyPaid
			}
			return err
		}
		return nil
	})
	return pay, err
}
