package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/store"
)

// stipendDay is the stipend tests' clock: Thursday 2026-07-02, 09:00 UTC,
// early in July with June just over.
var stipendDay = time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC)

// upload posts a receipt file as multipart/form-data, declaring its type.
func (s *site) upload(tok, path, declared string, content []byte) (int, []byte) {
	s.t.Helper()
	body, ctype := receiptForm(nil, "receipt.png", declared, content)
	st, _, b := s.do(tok, http.MethodPost, path, ctype, body)
	return st, b
}

// receiptForm builds a multipart form with fields and a file "file".
func receiptForm(fields map[string]string, name, declared string, content []byte) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	h.Set("Content-Type", declared)
	part, _ := w.CreatePart(h)
	_, _ = part.Write(content)
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

// receiptFiles lists the files in the store's receipts folder.
func (s *site) receiptFiles() []string {
	s.t.Helper()
	entries, err := os.ReadDir(s.st.Stipends.ReceiptsDir())
	if !errors.Is(err, os.ErrNotExist) {
		s.must(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// journals writes an empty journal entry for each week straight into the
// database.
func (s *site) journals(participantID string, weeks ...string) {
	s.t.Helper()
	for _, w := range weeks {
		s.must(s.st.DB.Exec(`INSERT INTO journal_entries (id, participant_id, week_start, answers, entered_by, entered_at, reviewed_by)
VALUES (?, ?, ?, '{}', 'coach', ?, '')`, participantID+w, participantID, w, s.st.Now()).Error)
	}
}

var (
	stpPNG = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 300)...)
	stpPDF = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n")
	stpEXE = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), bytes.Repeat([]byte{0}, 300)...)
)

// TestStipendThroughTheAPI takes a participant through goals, plans,
// expenses, receipts, the stipend rule, approval and the report, with the
// role rules.
func TestStipendThroughTheAPI(t *testing.T) {
	s := newSiteAt(t, stipendDay)
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)
	u1, c1 := s.user("casey@example.org", "Casey", store.RoleCoach)
	_, c2 := s.user("robin@example.org", "Robin", store.RoleCoach)
	var coach struct{ ID string }
	if st := s.call(dir, "POST", "/api/v1/coaches", map[string]string{"name": "Casey", "user_id": u1.ID}, &coach); st != 201 {
		t.Fatalf("add coach: %d", st)
	}
	var p, other struct{ ID string }
	if st := s.call(c1, "POST", "/api/v1/participants", intake("Avery"), &p); st != 201 {
		t.Fatalf("intake: %d", st)
	}
	s.call(dir, "POST", "/api/v1/participants", intake("Jordan"), &other)
	base := "/api/v1/participants/" + p.ID

	// Goals: three at most; another coach cannot see or change them.
	goals := []map[string]any{
		{"slot": 1, "title": "Join a choir", "why": "I used to sing", "action_plan": "Visit two choirs in June"},
		{"slot": 2, "title": "Walk with a friend", "action_plan": "Ask my neighbour on Sunday"},
		{"slot": 3, "title": "Take an art class", "action_plan": "Enrol at the community centre"},
	}
	var prob problem
	if st := s.call(c1, "PUT", base+"/goals", map[string]any{"goals": append(goals, map[string]any{"title": "a fourth", "action_plan": "x"})}, &prob); st != 422 || !strings.Contains(prob.all(), "3 social goals") {
		t.Fatalf("four goals: %d %s", st, prob.all())
	}
	if st := s.call(c2, "PUT", base+"/goals", map[string]any{"goals": goals}, nil); st != 403 {
		t.Fatalf("another coach set goals: %d", st)
	}
	var gs struct {
		Goals []struct{ ID, Title string }
	}
	if st := s.call(c1, "PUT", base+"/goals", map[string]any{"goals": goals}, &gs); st != 200 || len(gs.Goals) != 3 {
		t.Fatalf("goals: %d %+v", st, gs)
	}
	var otherGoals struct{ Goals []struct{ ID string } }
	s.call(dir, "PUT", "/api/v1/participants/"+other.ID+"/goals", map[string]any{"goals": goals[:1]}, &otherGoals)

	// Spending plans: over the allowance refused; another's goal refused.
	var month struct {
		Plan []struct {
			ID     string
			GoalID string `json:"goal_id"`
		}
		PlannedCents int64 `json:"planned_cents"`
	}
	over := map[string]any{"lines": []map[string]any{{"goal_id": gs.Goals[0].ID, "description": "choir fee", "planned_cents": 6001}}}
	if st := s.call(c1, "PUT", base+"/plans/2026-05", over, &prob); st != 422 || !strings.Contains(prob.all(), "$60.00") {
		t.Fatalf("plan over the allowance: %d %s", st, prob.all())
	}
	foreign := map[string]any{"lines": []map[string]any{{"goal_id": otherGoals.Goals[0].ID, "description": "choir fee", "planned_cents": 100}}}
	if st := s.call(c1, "PUT", base+"/plans/2026-05", foreign, &prob); st != 422 || prob.Errors[0].Field != "lines[0].goal_id" {
		t.Fatalf("plan with another's goal: %d %s", st, prob.all())
	}
	may := map[string]any{"lines": []map[string]any{{"goal_id": gs.Goals[0].ID, "description": "choir fee", "planned_cents": 3000}, {"goal_id": gs.Goals[1].ID, "description": "bus fares", "planned_cents": 1000}}}
	if st := s.call(c1, "PUT", base+"/plans/2026-05", may, &month); st != 200 || len(month.Plan) != 2 || month.PlannedCents != 4000 {
		t.Fatalf("May plan: %d %+v", st, month)
	}
	mayLine := month.Plan[0].ID
	june := map[string]any{"lines": []map[string]any{{"goal_id": gs.Goals[2].ID, "description": "art class", "planned_cents": 2000}}}
	if st := s.call(c1, "PUT", base+"/plans/2026-06", june, &month); st != 200 {
		t.Fatalf("June plan: %d", st)
	}
	juneLine := month.Plan[0].ID

	// Expenses.
	var e1, e2 struct{ ID string }
	bad := map[string]any{"goal_id": otherGoals.Goals[0].ID, "plan_line_id": mayLine, "spent_on": "2026-05-09", "amount_cents": 2500, "what": "choir term"}
	if st := s.call(c1, "POST", base+"/expenses", bad, &prob); st != 422 || prob.Errors[0].Field != "goal_id" {
		t.Fatalf("expense on another's goal: %d %s", st, prob.all())
	}
	if st := s.call(c1, "POST", base+"/expenses", map[string]any{"goal_id": gs.Goals[0].ID, "plan_line_id": mayLine, "spent_on": "2026-05-09", "amount_cents": 2500, "what": "choir term"}, &e1); st != 201 {
		t.Fatalf("May expense: %d", st)
	}
	if st := s.call(c1, "POST", base+"/expenses", map[string]any{"goal_id": gs.Goals[2].ID, "plan_line_id": juneLine, "spent_on": "2026-06-13", "amount_cents": 1500, "what": "sketchbook"}, &e2); st != 201 {
		t.Fatalf("June expense: %d", st)
	}

	// Receipts: a program declared as an image, an oversize file, a JSON
	// body: refused, and no file left behind.
	receipts := base + "/expenses/" + e1.ID + "/receipts"
	st, b := s.upload(c1, receipts, "image/png", stpEXE)
	if st != 422 || !strings.Contains(string(b), "not image/png as declared") {
		t.Fatalf("an exe as image/png: %d %s", st, b)
	}
	st, b = s.upload(c1, receipts, "image/png", append(append([]byte{}, stpPNG...), make([]byte, 5<<20)...))
	if st != 422 || !strings.Contains(string(b), "larger than 5 MB") {
		t.Fatalf("oversize: %d %s", st, b)
	}
	if st := s.call(c1, "POST", receipts, map[string]string{"file": "x"}, nil); st != 415 {
		t.Fatalf("JSON receipt: %d", st)
	}
	if st, _ := s.upload(c2, receipts, "image/png", stpPNG); st != 403 {
		t.Fatalf("another coach uploaded: %d", st)
	}
	if st, _ := s.upload(dir, "/api/v1/participants/"+other.ID+"/expenses/"+e1.ID+"/receipts", "image/png", stpPNG); st != 404 {
		t.Fatalf("receipt through another participant: %d", st)
	}
	if files := s.receiptFiles(); len(files) != 0 {
		t.Fatalf("refused receipts left files: %v", files)
	}
	var rc struct {
		ID   string
		Href string
	}
	st, b = s.upload(c1, receipts, "image/png", stpPNG)
	if st != 201 || json.Unmarshal(b, &rc) != nil || rc.ID == "" {
		t.Fatalf("receipt: %d %s", st, b)
	}
	if files := s.receiptFiles(); len(files) != 1 || strings.Contains(files[0], "receipt") {
		t.Fatalf("receipt files %v", files)
	}

	// Download: whoever may see the participant; not another coach.
	for _, tok := range []string{c1, dir} {
		st, ctype, body := s.do(tok, "GET", rc.Href, "", nil)
		if st != 200 || ctype != "image/png" || !bytes.Equal(body, stpPNG) {
			t.Fatalf("download: %d %s", st, ctype)
		}
	}
	if st, _, _ := s.do(c2, "GET", rc.Href, "", nil); st != 403 {
		t.Fatalf("another coach downloaded: %d", st)
	}
	if st, _, _ := s.do(dir, "GET", "/api/v1/participants/"+other.ID+"/receipts/"+rc.ID, "", nil); st != 404 {
		t.Fatalf("receipt through another participant: %d", st)
	}

	// Approval: the director only, when payable, once.
	approve := map[string]string{"month": "2026-06"}
	if st := s.call(c1, "POST", base+"/payments", approve, nil); st != 403 {
		t.Fatalf("a coach approved: %d", st)
	}
	// June's journal weeks are those ending on its Sundays: 1 to 22 June.
	s.journals(p.ID, "2026-06-01", "2026-06-08", "2026-06-15", "2026-06-29")
	if st := s.call(dir, "POST", base+"/payments", approve, &prob); st != 422 || len(prob.Errors) != 1 || !strings.Contains(prob.Errors[0].Detail, "22 June 2026") {
		t.Fatalf("approved with a journal missing: %d %s", st, prob.all())
	}
	s.journals(p.ID, "2026-06-22")
	var pay struct {
		AmountCents int64 `json:"amount_cents"`
		Name        string
	}
	if st := s.call(dir, "POST", base+"/payments", approve, &pay); st != 201 || pay.AmountCents != 6000 {
		t.Fatalf("approve: %d %+v", st, pay)
	}
	if st := s.call(dir, "POST", base+"/payments", approve, nil); st != 409 {
		t.Fatalf("paid twice: %d", st)
	}
	var view struct {
		BalanceCents int64 `json:"balance_cents"`
		Decision     struct {
			Payable bool
		}
		Payment *struct {
			ApprovedByName string `json:"approved_by_name"`
		}
	}
	if st := s.call(c1, "GET", base+"/stipend?month=2026-06", nil, &view); st != 200 || view.BalanceCents != 6000-2500-1500 || view.Payment == nil || view.Payment.ApprovedByName != "Dana" {
		t.Fatalf("June: %d %+v", st, view)
	}
	if st := s.call(c2, "GET", base+"/stipend?month=2026-06", nil, nil); st != 403 {
		t.Fatalf("another coach viewed the stipend: %d", st)
	}

	// The month's report: the director's, well-formed CSV with the figures.
	if st, _, _ := s.do(c1, "GET", "/api/v1/stipends/report?month=2026-06", "", nil); st != 403 {
		t.Fatalf("a coach read the report: %d", st)
	}
	if st, _, _ := s.do(dir, "GET", "/api/v1/stipends/report?month=June", "", nil); st != 422 {
		t.Fatalf("report for a bad month: %d", st)
	}
	st, ctype, body := s.do(dir, "GET", "/api/v1/stipends/report?month=2026-06", "", nil)
	if st != 200 || !strings.HasPrefix(ctype, "text/csv") {
		t.Fatalf("report: %d %s", st, ctype)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("report is not CSV: %v\n%s", err, body)
	}
	want := map[string]map[string]string{
		"Avery": {"month": "2026-06", "planned": "20.00", "spent": "15.00", "receipts_complete": "no", "journal_weeks_done": "4", "journal_weeks_expected": "4",
			"payable": "yes", "paid": "60.00", "approved_by": "Dana", "balance": "20.00"},
		"Jordan": {"planned": "0.00", "spent": "0.00", "receipts_complete": "yes", "journal_weeks_done": "0", "journal_weeks_expected": "4", "payable": "no", "paid": "0.00", "balance": "0.00"},
	}
	if len(rows) != 3 || rows[0][0] != "participant_id" {
		t.Fatalf("report rows: %q", rows)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, r := range rows[1:] {
		w, ok := want[r[col["first_name"]]]
		if !ok || len(r) != len(rows[0]) {
			t.Fatalf("unexpected row %q", r)
		}
		for k, v := range w {
			if r[col[k]] != v {
				t.Errorf("%s %s = %q, want %q", r[col["first_name"]], k, r[col[k]], v)
			}
		}
	}
	if !strings.Contains(rows[2][col["not_payable_because"]], "No guided journal for the week of Monday 1 June 2026.") {
		t.Errorf("Jordan's reasons: %q", rows[2][col["not_payable_because"]])
	}
	// Reading the report and the receipts was audited.
	var log []struct{ Action string }
	s.call(dir, "GET", "/api/v1/audit?participant="+p.ID, nil, &log)
	seen := map[string]bool{}
	for _, l := range log {
		seen[l.Action] = true
	}
	for _, a := range []string{"download_receipt", "upload_receipt", "approve_stipend", "update_goals"} {
		if !seen[a] {
			t.Errorf("no %s in the audit log: %+v", a, log)
		}
	}
}

// TestStipendPages works the goals and stipend sections of the participant
// page through its forms, as a director signed in with a cookie.
func TestStipendPages(t *testing.T) {
	s := newSiteAt(t, stipendDay)
	ctx := context.Background()
	if _, err := s.st.AddUser(ctx, "dir@example.org", "Dana", store.RoleDirector, password); err != nil {
		t.Fatal(err)
	}
	_, c2 := s.user("robin@example.org", "Robin", store.RoleCoach)
	b := s.browser("dir@example.org")
	p := s.participant("Avery")
	page := "/participants/" + p.ID
	st, body := b.get(page + "?tab=goals")
	if st != 200 || !strings.Contains(body, `id="goals-form"`) || !strings.Contains(body, "0 of 3 goals set") || !strings.Contains(body, "Social stipend: July 2026") {
		t.Fatalf("participant page: %d", st)
	}
	csrf := csrfRE.FindStringSubmatch(body)[1]

	// Goals: a goal without an action plan is refused and nothing saved.
	st, body = b.post(page+"/goals", url.Values{"csrf": {csrf}, "title_1": {"Join a choir"}, "title_2": {"Walk with a friend"}, "action_plan_2": {"Sundays"}})
	if st != 422 || !strings.Contains(body, "Write the action plan") || !strings.Contains(body, `id="err-action_plan_1"`) || !strings.Contains(body, `value="Walk with a friend"`) {
		t.Fatalf("goal without an action plan: %d", st)
	}
	if gs, _ := s.st.Stipends.Goals(ctx, p.ID); len(gs) != 0 {
		t.Fatalf("a refused form saved %d goals", len(gs))
	}
	st, body = b.post(page+"/goals", url.Values{"csrf": {csrf}, "title_1": {"Join a choir"}, "action_plan_1": {"Visit two choirs"}, "title_2": {"Walk with a friend"}, "action_plan_2": {"Sundays"}})
	if st != 200 || !strings.Contains(body, "2 of 3 goals set") {
		t.Fatalf("goals: %d", st)
	}
	gs, _ := s.st.Stipends.Goals(ctx, p.ID)

	// The June plan, through the form: over the allowance, then fine.
	june := page + "/plans/2026-06/lines"
	st, body = b.post(june, url.Values{"csrf": {csrf}, "goal_id": {gs[0].ID}, "description": {"choir fee"}, "amount": {"60.01"}})
	if st != 422 || !strings.Contains(body, "more than the month&#39;s stipend of $60.00") {
		t.Fatalf("line over the allowance: %d", st)
	}
	st, body = b.post(june, url.Values{"csrf": {csrf}, "goal_id": {gs[0].ID}, "description": {"choir fee"}, "amount": {"twelve"}})
	if st != 422 || !strings.Contains(body, "such as 12.50") {
		t.Fatalf("line with a bad amount: %d", st)
	}
	st, body = b.post(june, url.Values{"csrf": {csrf}, "goal_id": {gs[0].ID}, "description": {"choir fee"}, "amount": {"25"}})
	if st != 200 || !strings.Contains(body, "Social stipend: June 2026") || !strings.Contains(body, "choir fee") {
		t.Fatalf("add line: %d", st)
	}
	mv, _ := s.st.Stipends.StipendMonth(ctx, p.ID, "2026-06")
	if len(mv.Lines) != 1 || mv.PlannedCents != 2500 {
		t.Fatalf("June plan %+v", mv.Lines)
	}

	// An expense through the form; one in the wrong month is refused.
	expense := url.Values{"csrf": {csrf}, "month": {"2026-06"}, "plan_line_id": {mv.Lines[0].ID}, "spent_on": {"2026-05-30"}, "amount": {"12.50"}, "what": {"choir term"}}
	st, body = b.post(page+"/expenses", expense)
	if st != 422 || !strings.Contains(body, "This line is in the plan for June 2026 but the money was spent on ") {
		t.Fatalf("expense in another month: %d", st)
	}
	expense.Set("spent_on", "2026-06-06")
	if st, body = b.post(page+"/expenses", expense); st != 200 || !strings.Contains(body, "choir term") || !strings.Contains(body, "no receipt") {
		t.Fatalf("expense: %d", st)
	}
	mv, _ = s.st.Stipends.StipendMonth(ctx, p.ID, "2026-06")
	if len(mv.Expenses) != 1 || mv.Expenses[0].AmountCents != 1250 || mv.Expenses[0].GoalID != gs[0].ID {
		t.Fatalf("June expenses %+v", mv.Expenses)
	}
	eid := mv.Expenses[0].ID

	// Receipt upload through the page's multipart form.
	uploadPage := func(declared string, content []byte, withCSRF bool) (int, string) {
		fields := map[string]string{"month": "2026-06"}
		if withCSRF {
			fields["csrf"] = csrf
		}
		buf, ctype := receiptForm(fields, "setup.exe", declared, content)
		st, _, body := b.send(http.MethodPost, page+"/expenses/"+eid+"/receipts", ctype, buf)
		return st, body
	}
	if st, _ := uploadPage("application/pdf", stpPDF, false); st != 403 {
		t.Fatalf("upload without the CSRF field: %d", st)
	}
	if st, body := uploadPage("image/png", stpEXE, true); st != 422 || !strings.Contains(body, "not image/png as declared") || !strings.Contains(body, `id="err-file"`) {
		t.Fatalf("exe as png through the page: %d", st)
	}
	if files := s.receiptFiles(); len(files) != 0 {
		t.Fatalf("a refused upload left %v", files)
	}
	st, body = uploadPage("application/pdf", stpPDF, true)
	if st != 200 || strings.Contains(body, "no receipt") {
		t.Fatalf("upload: %d", st)
	}
	link := regexp.MustCompile(`href="(/participants/[^"]+/receipts/[^"]+)"`).FindStringSubmatch(body)
	if link == nil {
		t.Fatal("no receipt link on the page")
	}
	if files := s.receiptFiles(); len(files) != 1 || strings.Contains(files[0], "setup") {
		t.Fatalf("receipt stored as %v", files)
	}
	st, h, got := b.send(http.MethodGet, link[1], "", nil)
	if st != 200 || h.Get("Content-Type") != "application/pdf" || got != string(stpPDF) ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %s", st, h.Get("Content-Type"))
	}
	// Robin coaches no one here: the page and the file are refused.
	for _, path := range []string{link[1], page} {
		if st, _, _ := s.send(c2, http.MethodGet, path, "", nil); st != 403 {
			t.Fatalf("another coach GET %s: %d", path, st)
		}
	}

	// June is not payable until its journals are in; the button says so.
	st, body = b.get(page + "?stipend_month=2026-06")
	if st != 200 || !strings.Contains(body, "not payable yet") || !strings.Contains(body, "Approve the $60.00 stipend for June 2026") {
		t.Fatalf("June state: %d", st)
	}
	st, body = b.post(page+"/payments", url.Values{"csrf": {csrf}, "month": {"2026-06"}})
	if st != 422 || !strings.Contains(body, "the stipend was not approved") || !strings.Contains(body, "No guided journal for the week of Monday 1 June 2026.") {
		t.Fatalf("approve not payable: %d", st)
	}
	s.journals(p.ID, "2026-06-01", "2026-06-08", "2026-06-15", "2026-06-22")
	st, body = b.post(page+"/payments", url.Values{"csrf": {csrf}, "month": {"2026-06"}})
	if st != 200 || !strings.Contains(body, "was approved: $60.00, by Dana") || !strings.Contains(body, "$47.50") {
		t.Fatalf("approve: %d", st)
	}

	// What a payment relied on stays; a plan line with expenses stays.
	st, body = b.post(page+"/expenses/"+eid+"/remove", url.Values{"csrf": {csrf}, "month": {"2026-06"}})
	if st != 422 || !strings.Contains(body, `id="error-summary"`) || !strings.Contains(body, "was approved with this expense on record") {
		t.Fatalf("removed a paid month's expense: %d", st)
	}
	st, body = b.post(page+"/plans/2026-06/lines/"+mv.Lines[0].ID+"/remove", url.Values{"csrf": {csrf}})
	if st != 422 || !strings.Contains(body, `id="error-summary"`) || !strings.Contains(body, "has expenses recorded on it") {
		t.Fatalf("removed a line with an expense: %d", st)
	}
	if st, _ = b.post(june, url.Values{"csrf": {csrf}, "goal_id": {gs[1].ID}, "description": {"bus"}, "amount": {"5"}}); st != 200 {
		t.Fatalf("second line: %d", st)
	}
	mv, _ = s.st.Stipends.StipendMonth(ctx, p.ID, "2026-06")
	if st, _ = b.post(page+"/plans/2026-06/lines/"+mv.Lines[1].ID+"/remove", url.Values{"csrf": {csrf}}); st != 200 {
		t.Fatalf("remove a line: %d", st)
	}
	if mv, _ = s.st.Stipends.StipendMonth(ctx, p.ID, "2026-06"); len(mv.Lines) != 1 {
		t.Fatalf("%d lines after removing one", len(mv.Lines))
	}

	// The director's month page and CSV download.
	if st, body := b.get("/stipends?month=2026-06"); st != 200 || !strings.Contains(body, "Example, Avery") || !strings.Contains(body, "$47.50") {
		t.Fatalf("stipends page: %d", st)
	}
	st, body = b.get("/stipends/report.csv?month=2026-06")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if st != 200 || err != nil || len(rows) != 2 || rows[1][len(rows[1])-1] != "47.50" {
		t.Fatalf("CSV from the page: %d %v %q", st, err, rows)
	}
}

// TestStipendWeeksNotEndedAreNotMissing: on Monday 7 December 2026, the
// Stipends page and the participant's stipend list as missing only the
// journal weeks that have ended (December's weeks are those ending on its
// Sundays: from Monday 30 November); those not ended read "not yet due",
// and a month not begun lists none as missing.
func TestStipendWeeksNotEndedAreNotMissing(t *testing.T) {
	s := newSiteAt(t, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	s.user("dir@example.org", "Dana", store.RoleDirector)
	p := s.participant("Avery")
	b := s.browser("dir@example.org")
	for _, page := range []string{"/stipends", "/participants/" + p.ID + "?tab=goals"} {
		st, body := b.get(page)
		if st != 200 {
			t.Fatalf("%s: %d", page, st)
		}
		mustContain(t, page, body, "No guided journal for the week of Monday 30 November 2026.",
			"Not yet due: the guided journals for the weeks of Monday 7 December 2026, 14 December 2026 and 21 December 2026, which have not ended.")
		for _, not := range []string{"week of Monday 7 December 2026.", "Monday 14 December 2026.", "Monday 28 December 2026"} {
			if strings.Contains(body, not) {
				t.Errorf("%s lists %q as missing", page, not)
			}
		}
	}
	st, body := b.get("/stipends")
	if st != 200 || !strings.Contains(body, "0 of 4 (3 not yet due)") || !strings.Contains(body, "that end on one of its Sundays") {
		t.Fatalf("/stipends: %d, no count of weeks not yet due", st)
	}
	st, body = b.get("/stipends?month=2027-01")
	if st != 200 || !strings.Contains(body, "January 2027 has not begun.") || strings.Contains(body, "No guided journal") || strings.Contains(body, "Not yet due") {
		t.Fatalf("/stipends?month=2027-01: %d, lists weeks of a month not begun", st)
	}
}
