package stipends

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
)

// goalSlot is one of the three goal forms on the participant page.
type goalSlot struct {
	ID         string
	Slot       int
	Set        bool
	Title      string
	Why        string
	ActionPlan string
	Updated    string
}

// stipendLine is a plan line as the page shows it.
type stipendLine struct {
	ID, Goal, Description, Planned, Spent string
	HasExpenses                           bool
}

// stipendReceipt is a receipt as the page shows it.
type stipendReceipt struct {
	ID, Type, Size, Uploaded string
}

// stipendExpense is an expense as the page shows it.
type stipendExpense struct {
	ID, SpentOn, Goal, Line, Amount, What string
	Receipts                              []stipendReceipt
}

// stipendForms holds what a refused form sent, with the messages, so the
// page shows them again beside the fields.
type stipendForms struct {
	Goals          []goalSlot
	GoalErrors     map[string]string
	PlanLine       store.PlanLineInput
	PlanAmount     string
	PlanErrors     map[string]string
	Expense        store.ExpenseInput
	ExpenseAmount  string
	ExpenseErrors  map[string]string
	LineError      string
	ExpenseError   string
	ReceiptExpense string
	ReceiptErrors  map[string]string
	PayErrors      []string
	Notice         string
}

// stipendView is the participant page's goals and stipend sections.
type stipendView struct {
	Goals                  []goalSlot
	GoalsSet               int
	Month, MonthName       string
	PrevMonth, NextMonth   string
	InProgram              bool
	FirstDay, LastDay      string
	Allowance, Planned     string
	Unplanned, Spent       string
	Balance                string
	BalanceNegative        bool
	Lines                  []stipendLine
	Expenses               []stipendExpense
	ReceiptsComplete       bool
	Decision               rules.StipendDecision
	Paid                   bool
	PaidAmount, PaidBy     string
	PaidAt                 string
	IsDirector             bool
	ReceiptTypes, MaxBytes string
	Today                  string
	Forms                  stipendForms
}

// StipendSection adds the goals and the stipend month to the participant
// page. The month is the page's ?stipend_month (this month by default).
func (s *Handlers) StipendSection(c *gin.Context, p store.Participant, data gin.H) error {
	ctx := c.Request.Context()
	month := c.Query("stipend_month")
	if f, ok := data["StipendMonth"].(string); ok {
		month = f
	}
	m, ok := rules.ParseMonth(month)
	if !ok {
		m, _ = rules.ParseMonth(rules.MonthOf(s.St.Now()))
	}
	month = rules.MonthOf(m)
	mv, err := s.St.Stipends.StipendMonth(ctx, p.ID, month)
	if err != nil {
		return err
	}
	forms, _ := data["StipendForms"].(stipendForms)
	cur := mv.Policy.Currency
	money := func(c int64) string { return rules.FormatCents(c, cur) }
	maxBytes, types := rules.ReceiptLimits(mv.Policy)
	v := stipendView{Month: month, MonthName: rules.MonthName(m), PrevMonth: rules.MonthOf(m.AddDate(0, -1, 0)), NextMonth: rules.MonthOf(m.AddDate(0, 1, 0)),
		FirstDay: mv.FirstDay, LastDay: mv.LastDay, Allowance: money(mv.Policy.MonthlyCents), Planned: money(mv.PlannedCents),
		Unplanned: money(mv.Policy.MonthlyCents - mv.PlannedCents), Spent: money(mv.SpentCents), Balance: money(mv.BalanceCents),
		BalanceNegative: mv.BalanceCents < 0, ReceiptsComplete: mv.ReceiptsComplete, Decision: mv.Decision, InProgram: mv.Decision.Enrolled,
		IsDirector: web.CurrentUser(c).Role == store.RoleDirector, ReceiptTypes: strings.Join(types, ","), MaxBytes: rules.FormatBytes(maxBytes),
		Today: s.St.Now().Format(time.DateOnly), Forms: forms}
	bySlot := map[int]store.Goal{}
	for _, g := range mv.Goals {
		bySlot[g.Slot] = g
	}
	goalName := func(slot int, title string) string { return "Goal " + strconv.Itoa(slot) + ": " + title }
	for slot := 1; slot <= store.GoalsPerParticipant; slot++ {
		g, set := bySlot[slot]
		gv := goalSlot{ID: g.ID, Slot: slot, Set: set, Title: g.Title, Why: g.Why, ActionPlan: g.ActionPlan}
		if set {
			gv.Updated = s.Clock.When(g.UpdatedAt)
			v.GoalsSet++
		}
		if len(forms.Goals) == store.GoalsPerParticipant {
			f := forms.Goals[slot-1]
			gv.Title, gv.Why, gv.ActionPlan = f.Title, f.Why, f.ActionPlan
		}
		v.Goals = append(v.Goals, gv)
	}
	for _, l := range mv.Lines {
		v.Lines = append(v.Lines, stipendLine{ID: l.ID, Goal: goalName(l.GoalSlot, l.GoalTitle), Description: l.Description, Planned: money(l.PlannedCents),
			Spent: money(l.SpentCents), HasExpenses: l.SpentCents > 0})
	}
	for _, e := range mv.Expenses {
		ev := stipendExpense{ID: e.ID, SpentOn: e.SpentOn, Goal: goalName(e.GoalSlot, e.GoalTitle), Line: e.LineDescription, Amount: money(e.AmountCents), What: e.What}
		for _, r := range e.Receipts {
			ev.Receipts = append(ev.Receipts, stipendReceipt{ID: r.ID, Type: r.MIMEType, Size: rules.FormatBytes(r.SizeBytes), Uploaded: s.Clock.When(r.UploadedAt)})
		}
		v.Expenses = append(v.Expenses, ev)
	}
	if mv.Payment != nil {
		v.Paid, v.PaidAmount, v.PaidBy, v.PaidAt = true, money(mv.Payment.AmountCents), mv.Payment.ApprovedByName, s.Clock.When(mv.Payment.ApprovedAt)
	}
	data["Stipend"] = v
	return nil
}

// stipendAgain shows the participant page again with a refused form.
func (s *Handlers) stipendAgain(c *gin.Context, month string, forms stipendForms) {
	s.ShowParticipant(c, http.StatusUnprocessableEntity, gin.H{"StipendForms": forms, "StipendMonth": month})
}

// stipendChanged answers a change to the stipend month: back to the month
// at anchor, or the page again with the forms again makes of the field
// mistakes, or respond's answer to another error.
func (s *Handlers) stipendChanged(c *gin.Context, month, anchor string, err error, again func(fe map[string]string) stipendForms) {
	if err == nil {
		s.stipendDone(c, month, anchor)
		return
	}
	fe, ok := web.FieldErrors(c, err)
	if !ok {
		s.Respond(c, err)
		return
	}
	s.stipendAgain(c, month, again(fe))
}

// backMonth is the stipend month a form was sent from (its hidden
// "month"), which the page goes back to: none, or a month (YYYY-MM). Any
// other value is refused before anything changes, with the message.
func (s *Handlers) backMonth(c *gin.Context) (string, bool) {
	month := c.PostForm("month")
	if _, err := time.Parse("2006-01", month); err != nil && month != "" {
		s.Respond(c, &store.ValidationError{Field: "month", Msg: "Go back to the participant's page and send the form from there: the month it was sent with is not a month (YYYY-MM)"})
		return "", false
	}
	return month, true
}

// stipendDone goes back to the participant page's stipend month.
func (s *Handlers) stipendDone(c *gin.Context, month, anchor string) {
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabGoals, "stipend_month="+month, anchor))
}

func (s *Handlers) GoalsSubmit(c *gin.Context) {
	in := make([]store.GoalInput, store.GoalsPerParticipant)
	forms := stipendForms{Goals: make([]goalSlot, store.GoalsPerParticipant)}
	for i := range in {
		n := strconv.Itoa(i + 1)
		in[i] = store.GoalInput{Slot: i + 1, Title: c.PostForm("title_" + n), Why: c.PostForm("why_" + n), ActionPlan: c.PostForm("action_plan_" + n)}
		forms.Goals[i] = goalSlot{Slot: i + 1, Title: in[i].Title, Why: in[i].Why, ActionPlan: in[i].ActionPlan}
	}
	if _, err := s.St.Stipends.SaveGoals(c.Request.Context(), c.Param("id"), in); err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		forms.GoalErrors = map[string]string{}
		for k, v := range fe {
			// goals[1].title is the form's title_2.
			if i := strings.Index(k, "["); i >= 0 && len(k) > i+4 {
				slot, _ := strconv.Atoi(k[i+1 : i+2])
				k = k[i+4:] + "_" + strconv.Itoa(slot+1)
			}
			forms.GoalErrors[k] = v
		}
		s.stipendAgain(c, c.Query("stipend_month"), forms)
		return
	}
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabGoals, "", "goals"))
}

func (s *Handlers) PlanLineSubmit(c *gin.Context) {
	month := c.Param("month")
	in := store.PlanLineInput{GoalID: c.PostForm("goal_id"), Description: c.PostForm("description")}
	forms := stipendForms{PlanLine: in, PlanAmount: c.PostForm("amount")}
	// An amount that cannot be read goes on as zero, which the plan
	// refuses, so that every mistake of the form is said at once.
	cents, amountOK := rules.ParseAmount(forms.PlanAmount)
	in.PlannedCents = cents
	if _, err := s.St.Stipends.AddPlanLine(c.Request.Context(), c.Param("id"), month, in); err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		forms.PlanErrors = map[string]string{}
		for k, v := range fe {
			switch {
			case strings.HasSuffix(k, ".goal_id"):
				k = "goal_id"
			case strings.HasSuffix(k, ".description"):
				k = "description"
			case strings.HasSuffix(k, ".planned_cents"):
				k = "amount"
			case k == "lines":
				continue
			}
			forms.PlanErrors[k] = v
		}
		// The plan's total, unless the line's own amount says more.
		if v, ok := fe["lines"]; ok && forms.PlanErrors["amount"] == "" {
			forms.PlanErrors["amount"] = v
		}
		if !amountOK {
			forms.PlanErrors["amount"] = rules.AmountProblem(forms.PlanAmount)
		}
		s.stipendAgain(c, month, forms)
		return
	}
	s.stipendDone(c, month, "spending-plan")
}

func (s *Handlers) PlanLineRemoveSubmit(c *gin.Context) {
	month := c.Param("month")
	err := s.St.Stipends.RemovePlanLine(c.Request.Context(), c.Param("id"), c.Param("lid"))
	s.stipendChanged(c, month, "spending-plan", err, func(fe map[string]string) stipendForms {
		return stipendForms{LineError: strings.Join(web.ListErrors(fe), "; ")}
	})
}

func (s *Handlers) ExpenseSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	in := store.ExpenseInput{PlanLineID: c.PostForm("plan_line_id"), SpentOn: c.PostForm("spent_on"), What: c.PostForm("what")}
	forms := stipendForms{Expense: in, ExpenseAmount: c.PostForm("amount")}
	back, ok := s.backMonth(c)
	if !ok {
		return
	}
	month := back
	if d, err := time.Parse(time.DateOnly, in.SpentOn); err == nil {
		month = rules.MonthOf(d)
	}
	// The form names the plan line; the expense's goal is the line's.
	if mv, err := s.St.Stipends.StipendMonth(ctx, c.Param("id"), month); err == nil {
		for _, l := range mv.Lines {
			if l.ID == in.PlanLineID {
				in.GoalID = l.GoalID
			}
		}
	}
	if in.GoalID == "" {
		in.GoalID = "-"
	}
	// An amount that cannot be read goes on as zero, which an expense
	// cannot be, so that every mistake of the form is said at once.
	cents, amountOK := rules.ParseAmount(forms.ExpenseAmount)
	in.AmountCents = cents
	if _, err := s.St.Stipends.AddExpense(ctx, web.CurrentUser(c), c.Param("id"), in); err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		forms.ExpenseErrors = map[string]string{}
		for k, v := range fe {
			switch k {
			case "amount_cents":
				k = "amount"
			case "goal_id":
				k = "plan_line_id"
				if in.GoalID == "-" {
					continue // the line's own message says it
				}
			}
			forms.ExpenseErrors[k] = v
		}
		if !amountOK {
			forms.ExpenseErrors["amount"] = rules.AmountProblem(forms.ExpenseAmount)
		}
		s.stipendAgain(c, back, forms)
		return
	}
	s.stipendDone(c, month, "expenses")
}

func (s *Handlers) ExpenseRemoveSubmit(c *gin.Context) {
	month, ok := s.backMonth(c)
	if !ok {
		return
	}
	err := s.St.Stipends.DeleteExpense(c.Request.Context(), c.Param("id"), c.Param("eid"))
	s.stipendChanged(c, month, "expenses", err, func(fe map[string]string) stipendForms {
		return stipendForms{ExpenseError: strings.Join(web.ListErrors(fe), "; ")}
	})
}

func (s *Handlers) ReceiptSubmit(c *gin.Context) {
	month, ok := s.backMonth(c)
	if !ok {
		return
	}
	declared, content, err := s.readReceipt(c)
	if errors.Is(err, errReceiptForm) {
		err = &store.ValidationError{Field: "file", Msg: "The form did not arrive whole: choose the file and send it again"}
	}
	if err == nil {
		_, err = s.St.Stipends.AddReceipt(c.Request.Context(), web.CurrentUser(c), c.Param("id"), c.Param("eid"), declared, content)
	}
	s.stipendChanged(c, month, "expenses", err, func(fe map[string]string) stipendForms {
		return stipendForms{ReceiptExpense: c.Param("eid"), ReceiptErrors: fe}
	})
}

func (s *Handlers) ApproveSubmit(c *gin.Context) {
	month := c.PostForm("month")
	_, err := s.St.Stipends.ApprovePayment(c.Request.Context(), web.CurrentUser(c), c.Param("id"), month)
	var np *store.NotPayableError
	switch {
	case err == nil:
		s.stipendDone(c, month, "stipend")
	case errors.As(err, &np):
		s.stipendAgain(c, month, stipendForms{PayErrors: np.Reasons})
	case errors.Is(err, store.ErrAlreadyPaid):
		s.stipendAgain(c, month, stipendForms{PayErrors: []string{"The stipend for this month has already been approved."}})
	default:
		if fe, ok := web.FieldErrors(c, err); ok {
			s.stipendAgain(c, month, stipendForms{PayErrors: web.ListErrors(fe)})
			return
		}
		s.Respond(c, err)
	}
}

// stipendRow is a participant's line on the director's stipend page.
type stipendRow struct {
	ID, Name, Planned, Spent, Paid, Balance string
	ReceiptsComplete, Payable, IsPaid       bool
	WeeksDone, WeeksExpected, WeeksNotDue   int
	Reasons                                 []string
}

func (s *Handlers) StipendsPage(c *gin.Context) {
	month := s.monthOr(c.Query("month"))
	m, ok := rules.ParseMonth(month)
	if !ok {
		s.Render(c, http.StatusUnprocessableEntity, "error.html", gin.H{"Title": "No such month", "Message": web.Sentence("", rules.MonthProblem(month))})
		return
	}
	month = rules.MonthOf(m)
	rows, err := s.St.Stipends.StipendReport(c.Request.Context(), month)
	if err != nil {
		s.Respond(c, err)
		return
	}
	if err := s.St.Audit(c.Request.Context(), web.CurrentUser(c), "view_stipends", "site", "", "month "+month); err != nil {
		s.Respond(c, err)
		return
	}
	out := make([]stipendRow, len(rows))
	for i, r := range rows {
		cur := r.Policy.Currency
		out[i] = stipendRow{ID: r.Participant.ID, Name: r.Participant.LastName + ", " + r.Participant.FirstName, Planned: rules.FormatCents(r.PlannedCents, cur),
			Spent: rules.FormatCents(r.SpentCents, cur), Balance: rules.FormatCents(r.BalanceCents, cur), ReceiptsComplete: r.ReceiptsComplete,
			Payable: r.Decision.Payable, WeeksDone: r.Decision.JournalsDone, WeeksExpected: len(r.Decision.JournalWeeks), WeeksNotDue: len(r.Decision.NotDueWeeks), Reasons: r.Decision.Reasons}
		if r.Payment != nil {
			out[i].IsPaid, out[i].Paid = true, rules.FormatCents(r.Payment.AmountCents, cur)
		}
	}
	s.Render(c, http.StatusOK, "stipends.html", gin.H{"Title": "Stipends, " + rules.MonthName(m), "Month": month, "MonthName": rules.MonthName(m),
		"PrevMonth": rules.MonthOf(m.AddDate(0, -1, 0)), "NextMonth": rules.MonthOf(m.AddDate(0, 1, 0)), "Rows": out})
}
