package stipends

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
)

// Handlers are the participant's three social goals, the monthly
// spending plan, expenses with their receipt files, the stipend rule's
// verdict and the director's approval of a month's payment, and the
// month's report. Whoever may see a participant works on their goals,
// plan, expenses and receipts (every access is audited); only the Program
// Director approves payments and reads the site's report. This file is
// the API; http_stipends_pages.go the pages.
type Handlers struct{ *web.App }

func goalJSON(g store.Goal) gin.H {
	return gin.H{"id": g.ID, "slot": g.Slot, "title": g.Title, "why": g.Why, "action_plan": g.ActionPlan, "updated_at": g.UpdatedAt}
}

func goalsJSON(gs []store.Goal) []gin.H {
	out := make([]gin.H, len(gs))
	for i, g := range gs {
		out[i] = goalJSON(g)
	}
	return out
}

func (s *Handlers) APIGoals(c *gin.Context) {
	if _, err := s.St.Participants.Participant(c.Request.Context(), c.Param("id")); err != nil {
		s.Respond(c, err)
		return
	}
	gs, err := s.St.Stipends.Goals(c.Request.Context(), c.Param("id"))
	s.Reply(c, http.StatusOK, gin.H{"goals": goalsJSON(gs)}, err)
}

func (s *Handlers) APISaveGoals(c *gin.Context) {
	var req struct {
		Goals []store.GoalInput `json:"goals"`
	}
	if !web.BindJSON(c, &req) {
		return
	}
	gs, err := s.St.Stipends.SaveGoals(c.Request.Context(), c.Param("id"), req.Goals)
	s.Reply(c, http.StatusOK, gin.H{"goals": goalsJSON(gs)}, err)
}

func receiptJSON(pid string, r store.Receipt) gin.H {
	return gin.H{"id": r.ID, "mime_type": r.MIMEType, "size_bytes": r.SizeBytes, "sha256": r.SHA256, "uploaded_at": r.UploadedAt,
		"href": "/api/v1/participants/" + pid + "/receipts/" + r.ID}
}

func paymentJSON(p store.StipendPayment) gin.H {
	return gin.H{"id": p.ID, "month": p.Month, "amount_cents": p.AmountCents, "approved_by": p.ApprovedBy, "approved_by_name": p.ApprovedByName, "approved_at": p.ApprovedAt}
}

func stipendJSON(pid string, v store.StipendMonthView) gin.H {
	lines := make([]gin.H, len(v.Lines))
	for i, l := range v.Lines {
		lines[i] = gin.H{"id": l.ID, "goal_id": l.GoalID, "goal_slot": l.GoalSlot, "description": l.Description, "planned_cents": l.PlannedCents, "spent_cents": l.SpentCents}
	}
	expenses := make([]gin.H, len(v.Expenses))
	for i, e := range v.Expenses {
		rs := make([]gin.H, len(e.Receipts))
		for j, r := range e.Receipts {
			rs[j] = receiptJSON(pid, r)
		}
		expenses[i] = gin.H{"id": e.ID, "goal_id": e.GoalID, "plan_line_id": e.PlanLineID, "spent_on": e.SpentOn, "amount_cents": e.AmountCents,
			"what": e.What, "receipts": rs}
	}
	out := gin.H{"month": v.Month, "allowance_cents": v.Policy.MonthlyCents, "currency": v.Policy.Currency, "program_year": gin.H{"first_day": v.FirstDay, "last_day": v.LastDay},
		"plan": lines, "planned_cents": v.PlannedCents, "expenses": expenses, "spent_cents": v.SpentCents, "receipts_complete": v.ReceiptsComplete,
		"decision": v.Decision, "balance_cents": v.BalanceCents, "payment": nil}
	if v.Payment != nil {
		out["payment"] = paymentJSON(*v.Payment)
	}
	return out
}

// monthOr is the month a request names, this month when it names none.
func (s *Handlers) monthOr(value string) string {
	if value == "" {
		return rules.MonthOf(s.St.Now())
	}
	return value
}

func (s *Handlers) APIStipendMonth(c *gin.Context) {
	v, err := s.St.Stipends.StipendMonth(c.Request.Context(), c.Param("id"), s.monthOr(c.Query("month")))
	s.Reply(c, http.StatusOK, stipendJSON(c.Param("id"), v), err)
}

func (s *Handlers) APISavePlan(c *gin.Context) {
	var req struct {
		Lines []store.PlanLineInput `json:"lines"`
	}
	if !web.BindJSON(c, &req) {
		return
	}
	if _, err := s.St.Stipends.SavePlan(c.Request.Context(), c.Param("id"), c.Param("month"), req.Lines); err != nil {
		s.Respond(c, err)
		return
	}
	s.apiStipendMonthOf(c, c.Param("month"), http.StatusOK)
}

func (s *Handlers) apiStipendMonthOf(c *gin.Context, month string, status int) {
	v, err := s.St.Stipends.StipendMonth(c.Request.Context(), c.Param("id"), month)
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.JSON(status, stipendJSON(c.Param("id"), v))
}

func expenseJSON(e store.Expense) gin.H {
	return gin.H{"id": e.ID, "month": e.Month, "goal_id": e.GoalID, "plan_line_id": e.PlanLineID, "spent_on": e.SpentOn, "amount_cents": e.AmountCents, "what": e.What}
}

func (s *Handlers) APIAddExpense(c *gin.Context) {
	var in store.ExpenseInput
	if !web.BindJSON(c, &in) {
		return
	}
	e, err := s.St.Stipends.AddExpense(c.Request.Context(), web.CurrentUser(c), c.Param("id"), in)
	s.Reply(c, http.StatusCreated, expenseJSON(e), err)
}

func (s *Handlers) APIDeleteExpense(c *gin.Context) {
	if err := s.St.Stipends.DeleteExpense(c.Request.Context(), c.Param("id"), c.Param("eid")); err != nil {
		s.Respond(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// errReceiptForm is a receipt upload that is not a usable form.
var errReceiptForm = errors.New("receipt form")

// readReceipt reads the uploaded receipt (form field "file") within the
// release's size bound. A file that is too large is refused from its
// declared size, before it is read.
func (s *Handlers) readReceipt(c *gin.Context) (string, []byte, error) {
	rel, err := s.St.ActiveRelease(c.Request.Context())
	if err != nil {
		return "", nil, err
	}
	maxBytes, _ := rules.ReceiptLimits(rel.Stipend)
	tooBig := &store.ValidationError{Field: "file", Msg: "The file is larger than " + rules.FormatBytes(maxBytes) + ", the most a receipt may be: choose a smaller photo or PDF"}
	if c.Request.MultipartForm == nil {
		// The form's other fields are small; the bound leaves them room.
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBytes+64<<10)
	}
	fh, err := c.FormFile("file")
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return "", nil, tooBig
	case errors.Is(err, http.ErrMissingFile):
		return "", nil, &store.ValidationError{Field: "file", Msg: "Choose the receipt's file (a photo or a PDF)"}
	case err != nil && problem.ClientGone(c, err):
		return "", nil, err // the client went away mid-upload: s.fail says so
	case err != nil:
		return "", nil, fmt.Errorf("%w: %w", errReceiptForm, err)
	}
	if fh.Size > maxBytes {
		return "", nil, tooBig
	}
	content, err := readPart(fh, maxBytes)
	if err != nil {
		return "", nil, err
	}
	return fh.Header.Get("Content-Type"), content, nil
}

func readPart(fh *multipart.FileHeader, maxBytes int64) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxBytes+1))
}

func (s *Handlers) APIAddReceipt(c *gin.Context) {
	if c.ContentType() != "multipart/form-data" {
		problem.Write(c, problem.New(http.StatusUnsupportedMediaType, problem.TypeUnsupportedMedia, "Send the receipt as multipart/form-data with the file in the field \"file\"."))
		return
	}
	declared, content, err := s.readReceipt(c)
	if errors.Is(err, errReceiptForm) {
		problem.Write(c, problem.New(http.StatusBadRequest, problem.TypeBadRequest, "The body is not a multipart form with the file in the field \"file\"."))
		return
	}
	if err == nil {
		var r store.Receipt
		r, err = s.St.Stipends.AddReceipt(c.Request.Context(), web.CurrentUser(c), c.Param("id"), c.Param("eid"), declared, content)
		if err == nil {
			c.JSON(http.StatusCreated, receiptJSON(c.Param("id"), r))
			return
		}
	}
	s.Respond(c, err)
}

// ReceiptDownload sends a receipt file to someone who may see its
// participant (participantAccess has let them through and audited it).
func (s *Handlers) ReceiptDownload(c *gin.Context) {
	r, b, err := s.St.Stipends.ReceiptFile(c.Request.Context(), c.Param("id"), c.Param("rid"))
	if err != nil {
		if !web.IsAPI(c) && errors.Is(err, store.ErrNotFound) {
			err = &web.Missing{Page: "There is no such receipt."}
		}
		s.Respond(c, err)
		return
	}
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[r.MIMEType]
	c.Header("Content-Disposition", fmt.Sprintf("attachment; filename=\"receipt-%s%s\"", r.ID[:8], ext))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, r.MIMEType, b)
}

func (s *Handlers) APIApprovePayment(c *gin.Context) {
	var req struct {
		Month string `json:"month"`
	}
	if !web.BindJSON(c, &req) {
		return
	}
	p, err := s.St.Stipends.ApprovePayment(c.Request.Context(), web.CurrentUser(c), c.Param("id"), req.Month)
	s.Reply(c, http.StatusCreated, paymentJSON(p), err)
}

// csvText keeps a text cell from being read as a formula by a spreadsheet.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// stipendReportHeader is the report's header row.
var stipendReportHeader = []string{"participant_id", "last_name", "first_name", "month", "planned", "spent", "receipts_complete",
	"journal_weeks_done", "journal_weeks_expected", "payable", "not_payable_because", "paid", "approved_by", "balance"}

// StipendReportCSV sends the month's stipend report as CSV: one row per
// participant whose program year includes some of the month. Amounts are
// decimals in the release's currency; receipts_complete is about the
// month's own expenses, payable applies the stipend rule (journals of the
// month, receipts of the month before); balance is what was paid minus
// what was spent up to the end of the month. The report names people, so
// it is written to the audit log.
func (s *Handlers) StipendReportCSV(c *gin.Context) {
	month := s.monthOr(c.Query("month"))
	rows, err := s.St.Stipends.StipendReport(c.Request.Context(), month)
	if err != nil {
		if web.IsAPI(c) {
			s.Respond(c, err)
		} else if fe, ok := web.FieldErrors(c, err); ok {
			s.Render(c, http.StatusUnprocessableEntity, "error.html", gin.H{"Title": "No report", "Message": web.Sentence("", fe["month"])})
		} else {
			s.Respond(c, err)
		}
		return
	}
	m, _ := rules.ParseMonth(month)
	month = rules.MonthOf(m)
	if err := s.St.Audit(c.Request.Context(), web.CurrentUser(c), "stipend_report", "site", "", "month "+month); err != nil {
		s.Respond(c, err)
		return
	}
	var buf strings.Builder
	w := csv.NewWriter(&buf)
	_ = w.Write(stipendReportHeader)
	for _, r := range rows {
		paid, by := "0.00", ""
		if r.Payment != nil {
			paid, by = rules.PlainCents(r.Payment.AmountCents), r.Payment.ApprovedByName
		}
		_ = w.Write([]string{r.Participant.ID, csvText(r.Participant.LastName), csvText(r.Participant.FirstName), month,
			rules.PlainCents(r.PlannedCents), rules.PlainCents(r.SpentCents), yesNo(r.ReceiptsComplete),
			strconv.Itoa(r.Decision.JournalsDone), strconv.Itoa(len(r.Decision.JournalWeeks)), yesNo(r.Decision.Payable),
			csvText(strings.Join(r.Decision.Reasons, " ")), paid, csvText(by), rules.PlainCents(r.BalanceCents)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		s.Respond(c, err)
		return
	}
	c.Header("Content-Disposition", "attachment; filename=\"stipends-"+month+".csv\"")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", []byte(buf.String()))
}
