package store

// The social stipend at the site: monthly spending plans, expenses with
// their receipts, and the payments the director approves. Months are
// calendar months (YYYY-MM); see package rules for why and for the rule
// that decides whether a month's allowance is payable. Nothing here leaves
// the site: no record of it goes to the outbox.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
		return m, &ValidationError{Field: "month", Msg: "must be a month as YYYY-MM"}
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
func (s *Store) SavePlan(ctx context.Context, participantID, month string, in []PlanLineInput) ([]PlanLine, error) {
	m, err := parseMonthField(month)
	if err != nil {
		return nil, err
	}
	month = rules.MonthOf(m)
	rel, err := s.ActiveRelease(ctx)
	if err != nil {
		return nil, err
	}
	var out []PlanLine
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
		var errs ValidationErrors
		kept := map[string]bool{}
		planned, spentOn := make([]int64, len(in)), make([]int64, len(in))
		for i := range in {
			l := &in[i]
			f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
			l.Description = strings.TrimSpace(l.Description)
			planned[i] = l.PlannedCents
			if l.Description == "" || len(l.Description) > 300 {
				errs = append(errs, ValidationError{Field: f("description"), Msg: "say what the money is for (at most 300 characters)"})
			}
			if _, ok := goals[l.GoalID]; !ok {
				errs = append(errs, ValidationError{Field: f("goal_id"), Msg: "choose one of the participant's social goals"})
			}
			if l.ID == "" {
				continue
			}
			cur, ok := existing[l.ID]
			switch {
			case !ok:
				errs = append(errs, ValidationError{Field: f("id"), Msg: "is not a line of this month's plan"})
			case kept[l.ID]:
				errs = append(errs, ValidationError{Field: f("id"), Msg: "is given twice"})
			case spent[l.ID] > 0 && cur.GoalID != l.GoalID:
				errs = append(errs, ValidationError{Field: f("goal_id"), Msg: "expenses on this line were made for its goal; it cannot move to another goal"})
			}
			kept[l.ID], spentOn[i] = true, spent[l.ID]
		}
		for _, l := range have {
			if !kept[l.ID] && spent[l.ID] > 0 {
				errs = append(errs, ValidationError{Field: "lines", Msg: fmt.Sprintf("the line %q has expenses recorded on it and cannot be removed", l.Description)})
			}
		}
		for _, pr := range rules.CheckPlan(rel.Stipend, planned, spentOn) {
			errs = append(errs, ValidationError{Field: pr.Field, Msg: pr.Detail})
		}
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
		now := s.Now()
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

// planInputs is a month's plan as it stands, as input for SavePlan.
func (s *Store) planInputs(ctx context.Context, participantID, month string) ([]PlanLineInput, error) {
	var have []PlanLine
	err := s.DB.WithContext(ctx).Where("participant_id = ? AND month = ?", participantID, month).Order("position").Find(&have).Error
	out := make([]PlanLineInput, len(have))
	for i, l := range have {
		out[i] = PlanLineInput{ID: l.ID, GoalID: l.GoalID, Description: l.Description, PlannedCents: l.PlannedCents}
	}
	return out, err
}

// AddPlanLine adds a line to a month's spending plan.
func (s *Store) AddPlanLine(ctx context.Context, participantID, month string, in PlanLineInput) ([]PlanLine, error) {
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
func (s *Store) RemovePlanLine(ctx context.Context, participantID, lineID string) error {
	var l PlanLine
	if err := s.DB.WithContext(ctx).Limit(1).Find(&l, "id = ? AND participant_id = ?", lineID, participantID).Error; err != nil {
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
func (s *Store) AddExpense(ctx context.Context, by User, participantID string, in ExpenseInput) (Expense, error) {
	rel, err := s.ActiveRelease(ctx)
	if err != nil {
		return Expense{}, err
	}
	cur := rel.Stipend.Currency
	var errs ValidationErrors
	in.What = strings.TrimSpace(in.What)
	day, ok := parseDate(in.SpentOn)
	switch {
	case !ok:
		errs = append(errs, ValidationError{Field: "spent_on", Msg: "must be the date of the expense, as YYYY-MM-DD"})
	case day.After(s.Now()):
		errs = append(errs, ValidationError{Field: "spent_on", Msg: "cannot be in the future"})
	}
	if in.AmountCents <= 0 {
		errs = append(errs, ValidationError{Field: "amount_cents", Msg: "must be above zero"})
	}
	if in.What == "" || len(in.What) > 300 {
		errs = append(errs, ValidationError{Field: "what", Msg: "say what was bought or paid for (at most 300 characters)"})
	}
	if in.GoalID == "" {
		errs = append(errs, ValidationError{Field: "goal_id", Msg: "choose the goal the money was spent on"})
	}
	if in.PlanLineID == "" {
		errs = append(errs, ValidationError{Field: "plan_line_id", Msg: "choose the line of the month's spending plan the money was spent on"})
	}
	if len(errs) > 0 {
		return Expense{}, errs
	}
	var e Expense
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := activeParticipant(tx, participantID, "expenses")
		if err != nil {
			return err
		}
		if first, last := programYear(p); !rules.InPeriod(day, first, last) {
			errs = append(errs, ValidationError{Field: "spent_on", Msg: fmt.Sprintf("is outside the participant's program year (%s to %s)", first.Format(dateLayout), last.Format(dateLayout))})
		}
		var g Goal
		if err := tx.Limit(1).Find(&g, "id = ? AND participant_id = ?", in.GoalID, p.ID).Error; err != nil {
			return err
		}
		if g.ID == "" {
			errs = append(errs, ValidationError{Field: "goal_id", Msg: "is not one of this participant's goals"})
		}
		var l PlanLine
		if err := tx.Limit(1).Find(&l, "id = ? AND participant_id = ?", in.PlanLineID, p.ID).Error; err != nil {
			return err
		}
		month := rules.MonthOf(day)
		switch {
		case l.ID == "":
			errs = append(errs, ValidationError{Field: "plan_line_id", Msg: "is not a line of this participant's spending plan"})
		case l.Month != month:
			errs = append(errs, ValidationError{Field: "plan_line_id", Msg: fmt.Sprintf("is in the plan for %s but the money was spent on %s: choose a line of that month's plan", l.Month, in.SpentOn)})
		case g.ID != "" && l.GoalID != g.ID:
			errs = append(errs, ValidationError{Field: "goal_id", Msg: fmt.Sprintf("the plan line %q is for another goal than %q", l.Description, g.Title)})
		default:
			spent, err := spentByLine(tx, p.ID, month)
			if err != nil {
				return err
			}
			if left := l.PlannedCents - spent[l.ID]; in.AmountCents > left {
				errs = append(errs, ValidationError{Field: "amount_cents", Msg: fmt.Sprintf("only %s is left on the plan line %q (%s planned): change the spending plan first",
					rules.FormatCents(left, cur), l.Description, rules.FormatCents(l.PlannedCents, cur))})
			}
		}
		if len(errs) > 0 {
			return errs
		}
		e = Expense{ID: uuid.NewString(), ParticipantID: p.ID, Month: month, GoalID: g.ID, PlanLineID: l.ID, SpentOn: day.Format(dateLayout),
			AmountCents: in.AmountCents, What: in.What, RecordedBy: by.ID, CreatedAt: s.Now()}
		if err := tx.Create(&e).Error; err != nil {
			return err
		}
		return s.refreshUpstream(tx, p.ID)
	})
	return e, err
}

// DeleteExpense removes an expense recorded by mistake, with its receipts.
// Once the director approved the stipend of its month or of the month
// after (which was paid on its receipts), it stays.
func (s *Store) DeleteExpense(ctx context.Context, participantID, expenseID string) error {
	var files []string
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
			return &ValidationError{Field: "expense", Msg: "the stipend for " + paid[0] + " was approved with this expense on record; it cannot be removed"}
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
		return s.refreshUpstream(tx, participantID)
	})
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(s.receiptPath(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.Log.Warn("receipt file not removed", "err", err)
		}
	}
	return nil
}

// ReceiptsDir is where receipt files are kept: a receipts folder beside
// the database file.
func (s *Store) ReceiptsDir() string {
	return filepath.Join(filepath.Dir(s.Path), "receipts")
}

func (s *Store) receiptPath(fileID string) string {
	return filepath.Join(s.ReceiptsDir(), fileID)
}

// AddReceipt stores a receipt file for an expense. The file's declared
// type, its real content and its size are checked against the release's
// stipend policy first; a refused file leaves nothing behind. The file is
// written, readable by its owner only, under a random name.
func (s *Store) AddReceipt(ctx context.Context, by User, participantID, expenseID, declaredType string, content []byte) (Receipt, error) {
	rel, err := s.ActiveRelease(ctx)
	if err != nil {
		return Receipt{}, err
	}
	var e Expense
	if err := s.DB.WithContext(ctx).Limit(1).Find(&e, "id = ? AND participant_id = ?", expenseID, participantID).Error; err != nil {
		return Receipt{}, err
	}
	if e.ID == "" {
		return Receipt{}, &MissingError{"expense"}
	}
	media, problems := rules.CheckReceipt(rel.Stipend, declaredType, content)
	if len(problems) > 0 {
		errs := make(ValidationErrors, len(problems))
		for i, p := range problems {
			errs[i] = ValidationError{Field: p.Field, Msg: p.Detail}
		}
		return Receipt{}, errs
	}
	if s.Path == "" {
		return Receipt{}, errors.New("receipts: the store does not know where its database is")
	}
	if err := os.MkdirAll(s.ReceiptsDir(), 0o700); err != nil {
		return Receipt{}, fmt.Errorf("receipts folder: %w", err)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Receipt{}, err
	}
	sum := sha256.Sum256(content)
	r := Receipt{ID: uuid.NewString(), ExpenseID: e.ID, ParticipantID: participantID, FileID: hex.EncodeToString(raw[:]), MIMEType: media,
		SizeBytes: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), UploadedBy: by.ID, UploadedAt: s.Now()}
	path := s.receiptPath(r.FileID)
	if err := writeNew(path, content); err != nil {
		return Receipt{}, fmt.Errorf("write receipt: %w", err)
	}
	if err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return s.refreshUpstream(tx, participantID)
	}); err != nil {
		_ = os.Remove(path)
		return Receipt{}, err
	}
	return r, nil
}

// writeNew writes a new file readable by its owner only, removing it again
// when it cannot be written in full.
func writeNew(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

// ReceiptFile returns a participant's receipt and its file's content.
func (s *Store) ReceiptFile(ctx context.Context, participantID, receiptID string) (Receipt, []byte, error) {
	var r Receipt
	if err := s.DB.WithContext(ctx).Limit(1).Find(&r, "id = ? AND participant_id = ?", receiptID, participantID).Error; err != nil {
		return r, nil, err
	}
	if r.ID == "" {
		return r, nil, &MissingError{"receipt"}
	}
	b, err := os.ReadFile(s.receiptPath(r.FileID))
	if err != nil {
		return r, nil, fmt.Errorf("receipt file: %w", err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != r.SHA256 {
		return r, nil, fmt.Errorf("receipt file %s does not match its checksum", r.FileID)
	}
	return r, b, nil
}

// ApprovePayment approves a month's stipend for payment. Only the Program
// Director approves; the stipend rule must allow it (else a
// NotPayableError gives the reasons); a month is paid at most once.
func (s *Store) ApprovePayment(ctx context.Context, by User, participantID, month string) (StipendPayment, error) {
	if by.Role != RoleDirector {
		return StipendPayment{}, ErrForbidden
	}
	m, err := parseMonthField(month)
	if err != nil {
		return StipendPayment{}, err
	}
	month = rules.MonthOf(m)
	rel, err := s.ActiveRelease(ctx)
	if err != nil {
		return StipendPayment{}, err
	}
	var pay StipendPayment
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
		d := md.view(p, rel.Stipend, m, s.Now()).Decision
		if !d.Payable {
			return &NotPayableError{Month: month, Reasons: d.Reasons}
		}
		pay = StipendPayment{ID: uuid.NewString(), ParticipantID: p.ID, Month: month, AmountCents: d.AllowanceCents, ApprovedBy: by.ID, ApprovedByName: by.Name, ApprovedAt: s.Now()}
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

// PlanLineView is a plan line with its goal and what was spent on it.
type PlanLineView struct {
	PlanLine
	GoalSlot   int
	GoalTitle  string
	SpentCents int64
}

// ExpenseView is an expense with its goal, plan line and receipts.
type ExpenseView struct {
	Expense
	GoalSlot        int
	GoalTitle       string
	LineDescription string
	Receipts        []Receipt
}

// StipendMonthView is a participant's stipend month: the plan, the
// expenses, whether the allowance is payable and whether it was paid.
type StipendMonthView struct {
	Month            string
	Policy           program.StipendPolicy
	FirstDay         string
	LastDay          string
	Goals            []Goal
	Lines            []PlanLineView
	Expenses         []ExpenseView
	PlannedCents     int64
	SpentCents       int64
	ReceiptsComplete bool
	Decision         rules.StipendDecision
	Payment          *StipendPayment
	BalanceCents     int64
}

// StipendMonth gathers a participant's stipend month.
func (s *Store) StipendMonth(ctx context.Context, participantID, month string) (StipendMonthView, error) {
	m, err := parseMonthField(month)
	if err != nil {
		return StipendMonthView{}, err
	}
	rel, err := s.ActiveRelease(ctx)
	if err != nil {
		return StipendMonthView{}, err
	}
	var v StipendMonthView
	err = s.ReadSnapshot(ctx, func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		v, err = s.stipendMonth(tx, p, rel.Stipend, m)
		return err
	})
	return v, err
}

func (s *Store) stipendMonth(tx *gorm.DB, p Participant, policy program.StipendPolicy, m time.Time) (StipendMonthView, error) {
	d, err := loadMonthData(tx, m, p.ID)
	if err != nil {
		return StipendMonthView{}, err
	}
	return d.view(p, policy, m, s.Now()), nil
}

// monthData is what the stipend views of a month read, for one
// participant or for every participant at once: a fixed number of
// set-based queries, whatever the number of participants, grouped by
// participant in memory.
type monthData struct {
	goals    map[string][]Goal
	lines    map[string][]PlanLine
	expenses map[string][]Expense         // the month's, by participant
	receipts map[string][]Receipt         // of the month's and the previous month's expenses, by expense
	prev     map[string][]rules.SpentItem // the previous month's expenses, by participant
	journals map[string]map[string]bool   // weeks with an entry in the month, by participant
	payments map[string]StipendPayment
	balance  map[string]int64
}

// loadMonthData reads a month's stipend records of one participant, or of
// all when participantID is "".
func loadMonthData(tx *gorm.DB, m time.Time, participantID string) (monthData, error) {
	month, prevMonth := rules.MonthOf(m), rules.MonthOf(m.AddDate(0, -1, 0))
	d := monthData{goals: map[string][]Goal{}, lines: map[string][]PlanLine{}, expenses: map[string][]Expense{}, receipts: map[string][]Receipt{},
		prev: map[string][]rules.SpentItem{}, journals: map[string]map[string]bool{}, payments: map[string]StipendPayment{}, balance: map[string]int64{}}
	// only narrows a query to the participant, when there is one.
	only := func(q *gorm.DB, col string) *gorm.DB {
		if participantID != "" {
			return q.Where(col+" = ?", participantID)
		}
		return q
	}
	var goals []Goal
	if err := only(tx.Model(&Goal{}), "participant_id").Order("participant_id, slot").Find(&goals).Error; err != nil {
		return d, err
	}
	for _, g := range goals {
		d.goals[g.ParticipantID] = append(d.goals[g.ParticipantID], g)
	}
	var lines []PlanLine
	if err := only(tx.Model(&PlanLine{}).Where("month = ?", month), "participant_id").Order("participant_id, position").Find(&lines).Error; err != nil {
		return d, err
	}
	for _, l := range lines {
		d.lines[l.ParticipantID] = append(d.lines[l.ParticipantID], l)
	}
	var es []Expense
	if err := only(tx.Model(&Expense{}).Where("month IN ?", []string{month, prevMonth}), "participant_id").
		Order("spent_on, created_at, id").Find(&es).Error; err != nil {
		return d, err
	}
	var rs []Receipt
	sub := only(tx.Model(&Expense{}).Select("id").Where("month IN ?", []string{month, prevMonth}), "participant_id")
	if err := tx.Where("expense_id IN (?)", sub).Order("uploaded_at, id").Find(&rs).Error; err != nil {
		return d, err
	}
	for _, r := range rs {
		d.receipts[r.ExpenseID] = append(d.receipts[r.ExpenseID], r)
	}
	for _, e := range es {
		if e.Month == month {
			d.expenses[e.ParticipantID] = append(d.expenses[e.ParticipantID], e)
			continue
		}
		day, _ := parseDate(e.SpentOn)
		d.prev[e.ParticipantID] = append(d.prev[e.ParticipantID], rules.SpentItem{SpentOn: day, What: e.What, AmountCents: e.AmountCents, Receipts: len(d.receipts[e.ID])})
	}
	var weeks []struct{ ParticipantID, WeekStart string }
	if err := only(tx.Table("journal_entries").Select("participant_id, week_start").
		Where("week_start BETWEEN ? AND ?", m.Format(dateLayout), m.AddDate(0, 1, -1).Format(dateLayout)), "participant_id").Scan(&weeks).Error; err != nil {
		return d, err
	}
	for _, w := range weeks {
		if d.journals[w.ParticipantID] == nil {
			d.journals[w.ParticipantID] = map[string]bool{}
		}
		d.journals[w.ParticipantID][w.WeekStart] = true
	}
	var pays []StipendPayment
	if err := only(tx.Model(&StipendPayment{}).Where("month = ?", month), "participant_id").Find(&pays).Error; err != nil {
		return d, err
	}
	for _, p := range pays {
		d.payments[p.ParticipantID] = p
	}
	var bal []struct {
		ParticipantID string
		Cents         int64
	}
	paid := only(tx.Table("stipend_payments").Select("participant_id, amount_cents AS cents").Where("month <= ?", month), "participant_id")
	spent := only(tx.Table("expenses").Select("participant_id, -amount_cents AS cents").Where("month <= ?", month), "participant_id")
	if err := tx.Raw("SELECT participant_id, SUM(cents) AS cents FROM (? UNION ALL ?) x GROUP BY participant_id", paid, spent).Scan(&bal).Error; err != nil {
		return d, err
	}
	for _, b := range bal {
		d.balance[b.ParticipantID] = b.Cents
	}
	return d, nil
}

// view assembles a participant's stipend month from the loaded records and
// applies the stipend rule to it.
func (d monthData) view(p Participant, policy program.StipendPolicy, m time.Time, now time.Time) StipendMonthView {
	first, last := programYear(p)
	v := StipendMonthView{Month: rules.MonthOf(m), Policy: policy, FirstDay: first.Format(dateLayout), LastDay: last.Format(dateLayout), ReceiptsComplete: true,
		Goals: append([]Goal{}, d.goals[p.ID]...), Lines: []PlanLineView{}, Expenses: []ExpenseView{}, BalanceCents: d.balance[p.ID]}
	goals := map[string]Goal{}
	for _, g := range v.Goals {
		goals[g.ID] = g
	}
	spent := map[string]int64{}
	for _, e := range d.expenses[p.ID] {
		spent[e.PlanLineID] += e.AmountCents
	}
	descr := map[string]string{}
	for _, l := range d.lines[p.ID] {
		g := goals[l.GoalID]
		v.Lines = append(v.Lines, PlanLineView{PlanLine: l, GoalSlot: g.Slot, GoalTitle: g.Title, SpentCents: spent[l.ID]})
		v.PlannedCents += l.PlannedCents
		descr[l.ID] = l.Description
	}
	for _, e := range d.expenses[p.ID] {
		g := goals[e.GoalID]
		ev := ExpenseView{Expense: e, GoalSlot: g.Slot, GoalTitle: g.Title, LineDescription: descr[e.PlanLineID], Receipts: append([]Receipt{}, d.receipts[e.ID]...)}
		v.Expenses = append(v.Expenses, ev)
		v.SpentCents += e.AmountCents
		if len(ev.Receipts) == 0 {
			v.ReceiptsComplete = false
		}
	}
	journals := d.journals[p.ID]
	if journals == nil {
		journals = map[string]bool{}
	}
	prev := d.prev[p.ID]
	if prev == nil {
		prev = []rules.SpentItem{}
	}
	v.Decision = rules.CheckStipend(rules.StipendCase{Policy: policy, Month: m, First: first, Last: last, Journals: journals, PreviousExpenses: prev, Today: now})
	if pay, ok := d.payments[p.ID]; ok {
		v.Payment = &pay
	}
	return v
}

// StipendReportRow is one participant's line in a month's stipend report.
type StipendReportRow struct {
	Participant Participant
	StipendMonthView
}

// StipendReport gathers the month's stipend figures of every participant
// whose program year includes some of the month, by name. It reads the
// month for everyone at once (loadMonthData), not participant by
// participant.
func (s *Store) StipendReport(ctx context.Context, month string) ([]StipendReportRow, error) {
	m, err := parseMonthField(month)
	if err != nil {
		return nil, err
	}
	rel, err := s.ActiveRelease(ctx)
	if err != nil {
		return nil, err
	}
	var out []StipendReportRow
	err = s.ReadSnapshot(ctx, func(tx *gorm.DB) error {
		var ps []Participant
		if err := tx.Order("last_name, first_name, id").Find(&ps).Error; err != nil {
			return err
		}
		d, err := loadMonthData(tx, m, "")
		if err != nil {
			return err
		}
		now := s.Now()
		for _, p := range ps {
			if first, last := programYear(p); !rules.EnrolledIn(m, first, last) {
				continue
			}
			out = append(out, StipendReportRow{Participant: p, StipendMonthView: d.view(p, rel.Stipend, m, now)})
		}
		return nil
	})
	return out, err
}
