package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/rules"
)

func stpAddJournal(t *testing.T, st *Store, participantID string, weeks ...string) {
	t.Helper()
	for _, w := range weeks {
		if err := st.DB.Exec(`INSERT INTO journal_entries (id, participant_id, week_start, answers, entered_by, entered_at, reviewed_by)
VALUES (?, ?, ?, '{}', 'coach', ?, '')`, participantID+w, participantID, w, st.Now()).Error; err != nil {
			t.Fatal(err)
		}
	}
}

var (
	stpDirector = User{ID: "u-dir", Name: "Dana", Role: RoleDirector}
	stpCoach    = User{ID: "u-coach", Name: "Casey", Role: RoleCoach}
	stpPNG      = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 200)...)
	stpEXE      = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), bytes.Repeat([]byte{0}, 200)...)
)

// stpSetup enrolls two participants on 2026-01-12 with three goals each.
func stpSetup(t *testing.T) (*Store, []Participant, [][]Goal) {
	t.Helper()
	st := openTestAt(t, time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC))
	var ps []Participant
	var goals [][]Goal
	for _, name := range []string{"Avery", "Jordan"} {
		p, err := st.Participants.AddParticipant(context.Background(), eligible(ParticipantInput{FirstName: name, LastName: "Example", BirthDate: "1980-05-05", EnrolledOn: "2026-01-12"}))
		if err != nil {
			t.Fatal(err)
		}
		gs, err := st.Stipends.SaveGoals(context.Background(), p.ID, stpGoals(3))
		if err != nil {
			t.Fatal(err)
		}
		ps, goals = append(ps, p), append(goals, gs)
	}
	return st, ps, goals
}

func stpFields(err error) string {
	var ves ValidationErrors
	var ve *ValidationError
	switch {
	case errors.As(err, &ves):
		var f []string
		for _, e := range ves {
			f = append(f, e.Field)
		}
		return strings.Join(f, ",")
	case errors.As(err, &ve):
		return ve.Field
	}
	return "not a validation error: " + stpErr(err)
}

func stpErr(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func TestSpendingPlan(t *testing.T) {
	ctx := context.Background()
	st, ps, goals := stpSetup(t)
	p, g := ps[0], goals[0]

	// Over the $60 allowance: refused with the figures, nothing stored.
	_, err := st.Stipends.SavePlan(ctx, p.ID, "2026-06", []PlanLineInput{{GoalID: g[0].ID, Description: "bowling", PlannedCents: 4000}, {GoalID: g[1].ID, Description: "bus", PlannedCents: 2500}})
	if stpFields(err) != "lines" || !strings.Contains(err.Error(), "totals $65.00") {
		t.Fatalf("plan over the allowance: %v", err)
	}
	if v, _ := st.Stipends.StipendMonth(ctx, p.ID, "2026-06"); len(v.Lines) != 0 {
		t.Fatalf("a refused plan stored %d lines", len(v.Lines))
	}
	// A line naming another participant's goal.
	_, err = st.Stipends.SavePlan(ctx, p.ID, "2026-06", []PlanLineInput{{GoalID: goals[1][0].ID, Description: "bowling", PlannedCents: 1000}})
	if stpFields(err) != "lines[0].goal_id" {
		t.Fatalf("another participant's goal in the plan: %v", err)
	}
	// A month outside the program year; a month that is not a month.
	if _, err := st.Stipends.SavePlan(ctx, p.ID, "2027-02", []PlanLineInput{{GoalID: g[0].ID, Description: "x", PlannedCents: 100}}); stpFields(err) != "month" {
		t.Fatalf("month after the program year: %v", err)
	}
	if _, err := st.Stipends.SavePlan(ctx, p.ID, "June", nil); stpFields(err) != "month" {
		t.Fatalf("bad month: %v", err)
	}
	// Exactly the allowance is fine.
	lines, err := st.Stipends.SavePlan(ctx, p.ID, "2026-06", []PlanLineInput{{GoalID: g[0].ID, Description: "bowling", PlannedCents: 3500}, {GoalID: g[1].ID, Description: "bus fare", PlannedCents: 2500}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stipends.AddPlanLine(ctx, p.ID, "2026-06", PlanLineInput{GoalID: g[2].ID, Description: "coffee", PlannedCents: 1}); stpFields(err) != "lines" {
		t.Fatalf("a line past the allowance: %v", err)
	}
	// A line with an expense cannot be removed, moved or cut below it.
	if _, err := st.Stipends.AddExpense(ctx, stpCoach, p.ID, ExpenseInput{GoalID: g[0].ID, PlanLineID: lines[0].ID, SpentOn: "2026-06-06", AmountCents: 2000, What: "lane and shoes"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Stipends.RemovePlanLine(ctx, p.ID, lines[0].ID); stpFields(err) != "lines" {
		t.Fatalf("removed a line with an expense: %v", err)
	}
	_, err = st.Stipends.SavePlan(ctx, p.ID, "2026-06", []PlanLineInput{{ID: lines[0].ID, GoalID: g[2].ID, Description: "bowling", PlannedCents: 1500}, {ID: lines[1].ID, GoalID: g[1].ID, Description: "bus fare", PlannedCents: 2500}})
	if f := stpFields(err); f != "lines[0].goal_id,lines[0].planned_cents" {
		t.Fatalf("moved and cut a line with an expense: %s", f)
	}
	if err := st.Stipends.RemovePlanLine(ctx, p.ID, lines[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Stipends.RemovePlanLine(ctx, ps[1].ID, lines[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed through another participant: %v", err)
	}
	v, err := st.Stipends.StipendMonth(ctx, p.ID, "2026-06")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Lines) != 1 || v.PlannedCents != 3500 || v.SpentCents != 2000 || v.Lines[0].SpentCents != 2000 || v.Lines[0].GoalSlot != 1 {
		t.Fatalf("month view: %+v", v)
	}
}

func TestExpensesMatchGoalAndPlan(t *testing.T) {
	ctx := context.Background()
	st, ps, goals := stpSetup(t)
	p, g := ps[0], goals[0]
	may, err := st.Stipends.SavePlan(ctx, p.ID, "2026-05", []PlanLineInput{{GoalID: g[0].ID, Description: "art class", PlannedCents: 3000}})
	if err != nil {
		t.Fatal(err)
	}
	june, err := st.Stipends.SavePlan(ctx, p.ID, "2026-06", []PlanLineInput{{GoalID: g[0].ID, Description: "art class", PlannedCents: 3000}, {GoalID: g[1].ID, Description: "bus", PlannedCents: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.Stipends.SavePlan(ctx, ps[1].ID, "2026-06", []PlanLineInput{{GoalID: goals[1][0].ID, Description: "gym", PlannedCents: 3000}})
	if err != nil {
		t.Fatal(err)
	}
	ok := ExpenseInput{GoalID: g[0].ID, PlanLineID: june[0].ID, SpentOn: "2026-06-10", AmountCents: 1200, What: "paints"}
	for name, c := range map[string]struct {
		change func(*ExpenseInput)
		field  string
	}{
		"another participant's goal":      {func(e *ExpenseInput) { e.GoalID = goals[1][0].ID }, "goal_id"},
		"another participant's plan line": {func(e *ExpenseInput) { e.GoalID, e.PlanLineID = g[0].ID, other[0].ID }, "plan_line_id"},
		"a line of another month":         {func(e *ExpenseInput) { e.PlanLineID = may[0].ID }, "plan_line_id"},
		"a line for another goal":         {func(e *ExpenseInput) { e.PlanLineID = june[1].ID }, "goal_id"},
		"more than is left on the line":   {func(e *ExpenseInput) { e.AmountCents = 3001 }, "amount_cents"},
		"zero":                            {func(e *ExpenseInput) { e.AmountCents = 0 }, "amount_cents"},
		"in the future":                   {func(e *ExpenseInput) { e.SpentOn = "2026-07-03" }, "spent_on"},
		"before enrollment":               {func(e *ExpenseInput) { e.SpentOn = "2026-01-02" }, "spent_on,plan_line_id"},
		"nothing said about it":           {func(e *ExpenseInput) { e.What = " " }, "what"},
	} {
		in := ok
		c.change(&in)
		if _, err := st.Stipends.AddExpense(ctx, stpCoach, p.ID, in); stpFields(err) != c.field {
			t.Errorf("%s: %v (fields %s)", name, err, stpFields(err))
		}
	}
	foreign := ok
	foreign.GoalID = goals[1][0].ID
	if _, err := st.Stipends.AddExpense(ctx, stpCoach, p.ID, foreign); err == nil || !strings.Contains(err.Error(), "goal_id: Choose one of this participant's goals") {
		t.Errorf("another participant's goal: %v", err)
	}
	if v, _ := st.Stipends.StipendMonth(ctx, p.ID, "2026-06"); len(v.Expenses) != 0 {
		t.Fatalf("refused expenses were stored: %+v", v.Expenses)
	}
	e, err := st.Stipends.AddExpense(ctx, stpCoach, p.ID, ok)
	if err != nil {
		t.Fatal(err)
	}
	if e.Month != "2026-06" || e.RecordedBy != stpCoach.ID {
		t.Fatalf("expense %+v", e)
	}
	in := ok
	in.AmountCents = 1801
	if _, err := st.Stipends.AddExpense(ctx, stpCoach, p.ID, in); stpFields(err) != "amount_cents" || !strings.Contains(err.Error(), "Only $18.00 is left") {
		t.Fatalf("second expense past the line: %v", err)
	}
}

func TestReceipts(t *testing.T) {
	ctx := context.Background()
	st, ps, goals := stpSetup(t)
	p, g := ps[0], goals[0]
	lines, err := st.Stipends.SavePlan(ctx, p.ID, "2026-06", []PlanLineInput{{GoalID: g[0].ID, Description: "art class", PlannedCents: 3000}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.Stipends.AddExpense(ctx, stpCoach, p.ID, ExpenseInput{GoalID: g[0].ID, PlanLineID: lines[0].ID, SpentOn: "2026-06-10", AmountCents: 1200, What: "paints"})
	if err != nil {
		t.Fatal(err)
	}
	noFiles := func(when string) {
		t.Helper()
		entries, err := os.ReadDir(st.Stipends.ReceiptsDir())
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Fatalf("%s: %d files left in the receipts folder", when, len(entries))
		}
	}
	// A program declared as an image; a type the policy refuses; too big.
	if _, err := st.Stipends.AddReceipt(ctx, stpCoach, p.ID, e.ID, "image/png", stpEXE); stpFields(err) != "file" || !strings.Contains(err.Error(), "not image/png as declared") {
		t.Fatalf("an exe as image/png: %v", err)
	}
	noFiles("after a spoofed type")
	if _, err := st.Stipends.AddReceipt(ctx, stpCoach, p.ID, e.ID, "application/x-msdownload", stpEXE); stpFields(err) != "file" {
		t.Fatalf("an exe as itself: %v", err)
	}
	big := append(append([]byte{}, stpPNG...), make([]byte, rules.DefaultMaxReceiptBytes)...)
	if _, err := st.Stipends.AddReceipt(ctx, stpCoach, p.ID, e.ID, "image/png", big); stpFields(err) != "file" || !strings.Contains(err.Error(), "larger than 5 MB") {
		t.Fatalf("oversize: %v", err)
	}
	noFiles("after an oversize file")
	if _, err := st.Stipends.AddReceipt(ctx, stpCoach, ps[1].ID, e.ID, "image/png", stpPNG); !errors.Is(err, ErrNotFound) {
		t.Fatalf("receipt through another participant: %v", err)
	}
	noFiles("after a receipt for another participant's expense")
	// A receipt the database cannot record leaves no file either.
	if err := st.DB.Exec("CREATE TRIGGER stp_fail BEFORE INSERT ON receipts BEGIN SELECT RAISE(ABORT, 'disk full'); END").Error; err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stipends.AddReceipt(ctx, stpCoach, p.ID, e.ID, "image/png", stpPNG); err == nil {
		t.Fatal("a receipt was recorded despite the failing insert")
	}
	noFiles("after a failed insert")
	if err := st.DB.Exec("DROP TRIGGER stp_fail").Error; err != nil {
		t.Fatal(err)
	}
	v, _ := st.Stipends.StipendMonth(ctx, p.ID, "2026-06")
	if v.ReceiptsComplete || len(v.Expenses[0].Receipts) != 0 {
		t.Fatalf("refused receipts were recorded: %+v", v.Expenses)
	}

	r, err := st.Stipends.AddReceipt(ctx, stpCoach, p.ID, e.ID, "image/png", stpPNG)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(r.FileID) || r.MIMEType != "image/png" || r.SizeBytes != int64(len(stpPNG)) {
		t.Fatalf("receipt %+v", r)
	}
	fi, err := os.Stat(st.Stipends.receiptPath(r.FileID))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("receipt file mode %v", fi.Mode())
	}
	if di, _ := os.Stat(st.Stipends.ReceiptsDir()); di.Mode().Perm() != 0o700 {
		t.Fatalf("receipts folder mode %v", di.Mode())
	}
	got, b, err := st.Stipends.ReceiptFile(ctx, p.ID, r.ID)
	if err != nil || !bytes.Equal(b, stpPNG) || got.ExpenseID != e.ID {
		t.Fatalf("read back: %v", err)
	}
	if _, _, err := st.Stipends.ReceiptFile(ctx, ps[1].ID, r.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read through another participant: %v", err)
	}
	if v, _ := st.Stipends.StipendMonth(ctx, p.ID, "2026-06"); !v.ReceiptsComplete || len(v.Expenses[0].Receipts) != 1 {
		t.Fatalf("after the receipt: %+v", v)
	}
	// Removing the expense removes its receipt files too.
	if err := st.Stipends.DeleteExpense(ctx, p.ID, e.ID); err != nil {
		t.Fatal(err)
	}
	noFiles("after removing the expense")
}

func TestPayableApprovalAndBalance(t *testing.T) {
	ctx := context.Background()
	st, ps, goals := stpSetup(t)
	p, g := ps[0], goals[0]
	may, err := st.Stipends.SavePlan(ctx, p.ID, "2026-05", []PlanLineInput{{GoalID: g[0].ID, Description: "art class", PlannedCents: 3000}})
	if err != nil {
		t.Fatal(err)
	}
	june, err := st.Stipends.SavePlan(ctx, p.ID, "2026-06", []PlanLineInput{{GoalID: g[1].ID, Description: "bus", PlannedCents: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	e1, err := st.Stipends.AddExpense(ctx, stpCoach, p.ID, ExpenseInput{GoalID: g[0].ID, PlanLineID: may[0].ID, SpentOn: "2026-05-20", AmountCents: 2500, What: "class fee"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stipends.AddExpense(ctx, stpCoach, p.ID, ExpenseInput{GoalID: g[1].ID, PlanLineID: june[0].ID, SpentOn: "2026-06-03", AmountCents: 700, What: "bus pass"}); err != nil {
		t.Fatal(err)
	}
	// June's journal weeks end on its Sundays: they start 1, 8, 15 and 22
	// June (the week of 29 June ends in July, that of 25 May in May);
	// three journals so far.
	stpAddJournal(t, st, p.ID, "2026-06-01", "2026-06-08", "2026-06-22", "2026-06-29", "2026-05-25")
	v, err := st.Stipends.StipendMonth(ctx, p.ID, "2026-06")
	if err != nil {
		t.Fatal(err)
	}
	d := v.Decision
	if d.Payable || d.JournalsDone != 3 || len(d.JournalWeeks) != 4 || d.MissingReceipts != 1 || len(d.Reasons) != 2 ||
		!strings.Contains(d.Reasons[0], "15 June 2026") || !strings.Contains(d.Reasons[1], "class fee") {
		t.Fatalf("decision with a journal and a receipt missing: %+v", d)
	}
	// On Thursday 2 July, July's first week (of 29 June, with an entry) is
	// done and the three others have not ended: not yet due, not missing.
	jul, err := st.Stipends.StipendMonth(ctx, p.ID, "2026-07")
	if err != nil {
		t.Fatal(err)
	}
	if d := jul.Decision; d.Payable || d.JournalsDone != 1 || len(d.MissingWeeks) != 0 || strings.Join(d.NotDueWeeks, " ") != "2026-07-06 2026-07-13 2026-07-20" ||
		len(d.Reasons) != 2 || !strings.HasPrefix(d.Reasons[0], "Not yet due") {
		t.Fatalf("the current month: %+v", d)
	}
	// Only the stpDirector approves; a refusal gives the reasons.
	if _, err := st.Stipends.ApprovePayment(ctx, stpCoach, p.ID, "2026-06"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a stpCoach approved: %v", err)
	}
	var np *NotPayableError
	if _, err := st.Stipends.ApprovePayment(ctx, stpDirector, p.ID, "2026-06"); !errors.As(err, &np) || len(np.Reasons) != 2 {
		t.Fatalf("approved while not payable: %v", err)
	}
	stpAddJournal(t, st, p.ID, "2026-06-15")
	if _, err := st.Stipends.ApprovePayment(ctx, stpDirector, p.ID, "2026-06"); !errors.As(err, &np) || len(np.Reasons) != 1 || !strings.Contains(np.Reasons[0], "receipt") {
		t.Fatalf("approved with May's receipt missing: %v", err)
	}
	if _, err := st.Stipends.AddReceipt(ctx, stpCoach, p.ID, e1.ID, "image/png", stpPNG); err != nil {
		t.Fatal(err)
	}
	pay, err := st.Stipends.ApprovePayment(ctx, stpDirector, p.ID, "2026-06")
	if err != nil {
		t.Fatal(err)
	}
	if pay.AmountCents != 6000 || pay.ApprovedBy != stpDirector.ID || pay.ApprovedByName != "Dana" || pay.Month != "2026-06" {
		t.Fatalf("payment %+v", pay)
	}
	if _, err := st.Stipends.ApprovePayment(ctx, stpDirector, p.ID, "2026-06"); !errors.Is(err, ErrAlreadyPaid) {
		t.Fatalf("paid twice: %v", err)
	}
	var n int64
	st.DB.Model(&StipendPayment{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d payments", n)
	}
	// A month not begun, or outside the program year, is not payable.
	if _, err := st.Stipends.ApprovePayment(ctx, stpDirector, p.ID, "2026-08"); !errors.As(err, &np) || !strings.Contains(np.Reasons[0], "has not begun") {
		t.Fatalf("a future month: %v", err)
	}
	if _, err := st.Stipends.ApprovePayment(ctx, stpDirector, p.ID, "2025-12"); !errors.As(err, &np) || !strings.Contains(np.Reasons[0], "not in the program") {
		t.Fatalf("a month before enrollment: %v", err)
	}
	// Balance: $60 paid minus $25 and $7 spent.
	v, _ = st.Stipends.StipendMonth(ctx, p.ID, "2026-06")
	if v.BalanceCents != 2800 || v.Payment == nil || !v.Decision.Payable {
		t.Fatalf("after payment: balance %d, payment %v", v.BalanceCents, v.Payment)
	}
	if v, _ := st.Stipends.StipendMonth(ctx, p.ID, "2026-05"); v.BalanceCents != -2500 {
		t.Fatalf("balance through May: %d", v.BalanceCents)
	}
	// Records behind a payment stay.
	if err := st.Stipends.DeleteExpense(ctx, p.ID, e1.ID); stpFields(err) != "expense" {
		t.Fatalf("removed an expense June's payment relied on: %v", err)
	}
	// The report has a row for each participant in the month.
	rows, err := st.Stipends.StipendReport(ctx, "2026-06")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Participant.FirstName != "Avery" || rows[0].Payment == nil || rows[0].SpentCents != 700 || rows[0].PlannedCents != 2000 ||
		rows[1].Decision.Payable || rows[1].Decision.JournalsDone != 0 {
		t.Fatalf("report rows %+v", rows)
	}
	if rows, _ := st.Stipends.StipendReport(ctx, "2027-02"); len(rows) != 0 {
		t.Fatalf("report after everyone's program year: %d rows", len(rows))
	}
}
