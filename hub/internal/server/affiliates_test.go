package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	taplan "github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/problem"
)

const staffPassword = "correct horse battery staple"

// staff adds an account and signs it in, returning its bearer headers.
func (h *hub) staff(t *testing.T, email, role, orgID string) map[string]string {
	t.Helper()
	if _, err := staff.New(h.st).AddUser(context.Background(), email, strings.Split(email, "@")[0], role, orgID, staffPassword); err != nil {
		t.Fatal(err)
	}
	resp, b := h.do(t, request{method: http.MethodPost, path: "/api/v1/auth/login", header: map[string]string{"Content-Type": "application/json"},
		body: mustJSON(t, map[string]string{"email": email, "password": staffPassword})})
	var out struct {
		Token string `json:"token"`
	}
	wantJSON(t, resp, b, &out)
	return map[string]string{"Authorization": "Bearer " + out.Token, "Content-Type": "application/json"}
}

// taState is what a refused request must leave as it was.
type taState struct {
	Requests, Seq, History int64
	Answers, Stages        string
}

func (h *hub) taState(t *testing.T) taState {
	t.Helper()
	var s taState
	h.st.DB.Table("ta_requests").Count(&s.Requests)
	h.st.DB.Raw("SELECT value FROM hub_counters WHERE name = 'ta_answers'").Scan(&s.Seq)
	var answers, stages []string
	h.st.DB.Raw("SELECT status || ':' || answer FROM ta_requests ORDER BY id").Scan(&answers)
	h.st.DB.Raw("SELECT id || ':' || stage || ':' || stage_on FROM organizations ORDER BY id").Scan(&stages)
	h.st.DB.Table("stage_changes").Count(&s.History)
	s.Answers, s.Stages = strings.Join(answers, "|"), strings.Join(stages, "|")
	return s
}

func (h *hub) wantTAUnchanged(t *testing.T, before taState) {
	t.Helper()
	if after := h.taState(t); after != before {
		t.Fatalf("a refused request changed something:\nbefore %+v\nafter  %+v", before, after)
	}
}

func taJSON(t *testing.T, w contract.TARequestWire) []byte { return mustJSON(t, w) }

func TestTARequestFromSiteToAnswerInPull(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		ctx := context.Background()
		orgA, _ := affiliates.New(h.st).AddOrganization(ctx, "Org A", "peer_run", "VA")
		orgB, _ := affiliates.New(h.st).AddOrganization(ctx, "Org B", "nami", "MD")
		siteA, credA := h.site("Site A", &orgA)
		_, credB := h.site("Site B", &orgB)
		send := func(t *testing.T, cred string, body []byte, extra ...string) (*answer, []byte) {
			hdr := with(syncHeaders(cred), append([]string{"Content-Type", "application/json"}, extra...)...)
			return h.do(t, request{method: http.MethodPost, path: contract.PathTARequests, header: hdr, body: body})
		}
		w := contract.TARequestWire{ID: uuid.NewString(), Subject: "Coach supervision", Category: "coaching", Text: "How often should supervision meet?", RaisedAt: time.Now().UTC()}

		resp, b := send(t, credA, taJSON(t, w))
		var res contract.TARequestResult
		wantJSON(t, resp, b, &res)
		if res.Fate != contract.FateStored || res.ID != w.ID || res.Status != contract.TAOpen {
			t.Fatalf("first send %+v", res)
		}
		resp, b = send(t, credA, gz(t, taJSON(t, w)), "Content-Encoding", "gzip")
		wantJSON(t, resp, b, &res)
		if res.Fate != contract.FateDuplicate {
			t.Fatalf("second send %+v", res)
		}

		t.Run("refusals change nothing", func(t *testing.T) {
			before := h.taState(t)
			changed := w
			changed.Text = "other"
			resp, b := send(t, credA, taJSON(t, changed))
			wantProblem(t, resp, b, http.StatusConflict, problem.TypeConflict)
			resp, b = send(t, credB, taJSON(t, w))
			wantProblem(t, resp, b, http.StatusConflict, problem.TypeConflict)
			noSubject := w
			noSubject.ID, noSubject.Subject = uuid.NewString(), " "
			resp, b = send(t, credA, taJSON(t, noSubject))
			if p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation); fieldNames(p) != "subject" {
				t.Fatalf("fields %q", fieldNames(p))
			}
			badCat := w
			badCat.ID, badCat.Category = uuid.NewString(), "gossip"
			resp, b = send(t, credA, taJSON(t, badCat))
			if p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation); fieldNames(p) != "category" {
				t.Fatalf("fields %q", fieldNames(p))
			}
			resp, b = send(t, credA, []byte(`{"id":`))
			wantProblem(t, resp, b, http.StatusBadRequest, problem.TypeBadRequest)
			resp, b = send(t, credA, []byte(`{"id":"`+uuid.NewString()+`","unknown":1}`))
			wantProblem(t, resp, b, http.StatusBadRequest, problem.TypeBadRequest)
			big := w
			big.ID, big.Text = uuid.NewString(), strings.Repeat("x", contract.MaxTARequestBytes)
			resp, b = send(t, credA, taJSON(t, big))
			wantProblem(t, resp, b, http.StatusRequestEntityTooLarge, problem.TypeTooLarge)
			resp, b = send(t, "", taJSON(t, w))
			wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeUnauthorized)
			resp, b = send(t, credA, taJSON(t, w), contract.HeaderProtocol, "9")
			wantProblem(t, resp, b, http.StatusBadRequest, problem.TypeProtocol)
			h.wantTAUnchanged(t, before)
		})

		ta := h.staff(t, "ta@example.org", store.RoleTA, "")
		analyst := h.staff(t, "analyst@example.org", store.RoleAnalyst, "")
		dirA := h.staff(t, "dira@example.org", store.RoleDirector, orgA.ID)
		dirB := h.staff(t, "dirb@example.org", store.RoleDirector, orgB.ID)
		answerPath := "/api/v1/ta/requests/" + w.ID + "/answer"
		answerBody := mustJSON(t, map[string]string{"answer": "Every two weeks, with a TA specialist once a month."})

		t.Run("only TA specialists and admins answer", func(t *testing.T) {
			before := h.taState(t)
			for _, who := range []map[string]string{analyst, dirA, dirB} {
				resp, b := h.do(t, request{method: http.MethodPost, path: answerPath, header: who, body: answerBody})
				wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
			}
			resp, b := h.do(t, request{method: http.MethodPost, path: answerPath, header: ta, body: mustJSON(t, map[string]string{"answer": "  "})})
			if p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation); fieldNames(p) != "answer" {
				t.Fatalf("fields %q", fieldNames(p))
			}
			resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/ta/requests/" + uuid.NewString() + "/answer", header: ta, body: answerBody})
			wantProblem(t, resp, b, http.StatusNotFound, problem.TypeNotFound)
			resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/ta/requests/" + w.ID + "/assign", header: ta, body: mustJSON(t, map[string]string{"assignee_id": uuid.NewString()})})
			wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
			h.wantTAUnchanged(t, before)
		})

		pull := func(t *testing.T, cred, cursor string) contract.PullResponse {
			t.Helper()
			resp, b := h.do(t, request{method: http.MethodGet, path: contract.PathPull + "?cursor=" + url.QueryEscape(cursor), header: syncHeaders(cred)})
			var pr contract.PullResponse
			wantJSON(t, resp, b, &pr)
			return pr
		}
		first := pull(t, credA, "")
		if len(first.TAAnswers) != 0 {
			t.Fatalf("offered before an answer: %+v", first.TAAnswers)
		}

		resp, b = h.do(t, request{method: http.MethodPost, path: answerPath, header: ta, body: answerBody})
		var view map[string]any
		wantJSON(t, resp, b, &view)
		if view["status"] != contract.TAAnswered {
			t.Fatalf("answered view %v", view)
		}

		t.Run("answer offered once after the cursor", func(t *testing.T) {
			pr := pull(t, credA, first.Cursor)
			if len(pr.TAAnswers) != 1 {
				t.Fatalf("pull offers %d answers", len(pr.TAAnswers))
			}
			a := pr.TAAnswers[0]
			if a.RequestID != w.ID || a.Status != contract.TAAnswered || !strings.HasPrefix(a.Answer, "Every two weeks") || a.AnsweredBy != "ta" || a.AnsweredAt.IsZero() || a.Seq < 1 {
				t.Fatalf("answer %+v", a)
			}
			cur, err := contract.ParsePullCursor(pr.Cursor)
			if err != nil || cur.TAAnswers != a.Seq {
				t.Fatalf("cursor %q (%v), answer seq %d", pr.Cursor, err, a.Seq)
			}
			if again := pull(t, credA, pr.Cursor); len(again.TAAnswers) != 0 || again.Cursor != pr.Cursor {
				t.Fatalf("offered again: %+v cursor %q", again.TAAnswers, again.Cursor)
			}
			if other := pull(t, credB, ""); len(other.TAAnswers) != 0 {
				t.Fatalf("another site is offered %+v", other.TAAnswers)
			}
			if !bytes.Contains(mustJSON(t, pull(t, credB, "")), []byte(`"ta_answers":[]`)) {
				t.Fatal("no answers must be an empty list")
			}
		})

		t.Run("a director sees only their organization", func(t *testing.T) {
			var list []map[string]any
			resp, b := h.do(t, request{method: http.MethodGet, path: "/api/v1/ta/requests", header: dirA})
			wantJSON(t, resp, b, &list)
			if len(list) != 1 || list[0]["id"] != w.ID || list[0]["site_id"] != siteA.ID {
				t.Fatalf("director A sees %v", list)
			}
			resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/ta/requests", header: dirB})
			wantJSON(t, resp, b, &list)
			if len(list) != 0 {
				t.Fatalf("director B sees %v", list)
			}
			for _, path := range []string{"/api/v1/ta/requests/" + w.ID, "/api/v1/organizations/" + orgA.ID, "/api/v1/organizations/" + orgA.ID + "/ta-plan", "/api/v1/ta/requests?org=" + orgA.ID} {
				resp, b = h.do(t, request{method: http.MethodGet, path: path, header: dirB})
				wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
			}
			var orgs []map[string]any
			resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/organizations", header: dirB})
			wantJSON(t, resp, b, &orgs)
			if len(orgs) != 1 || orgs[0]["id"] != orgB.ID {
				t.Fatalf("director B lists %v", orgs)
			}
			resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/ta/work", header: dirA})
			wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
		})

		t.Run("stage changes: only TA staff, bad input changes nothing", func(t *testing.T) {
			path := "/api/v1/organizations/" + orgA.ID + "/stage"
			before := h.taState(t)
			for _, c := range []struct {
				who    map[string]string
				body   string
				status int
				typ    string
			}{
				{analyst, `{"to":"agreement"}`, http.StatusForbidden, problem.TypeForbidden},
				{dirA, `{"to":"agreement"}`, http.StatusForbidden, problem.TypeForbidden},
				{ta, `{"to":"launched"}`, http.StatusUnprocessableEntity, problem.TypeValidation},
				{ta, `{"to":"agreement","on":"2999-01-01"}`, http.StatusUnprocessableEntity, problem.TypeValidation},
				{ta, `{"to":"inactive"}`, http.StatusUnprocessableEntity, problem.TypeValidation},
				{ta, `{"to":"agreement","extra":true}`, http.StatusBadRequest, problem.TypeBadRequest},
			} {
				resp, b := h.do(t, request{method: http.MethodPost, path: path, header: c.who, body: []byte(c.body)})
				wantProblem(t, resp, b, c.status, c.typ)
			}
			resp, b := h.do(t, request{method: http.MethodPost, path: "/api/v1/organizations/" + uuid.NewString() + "/stage", header: ta, body: []byte(`{"to":"agreement"}`)})
			wantProblem(t, resp, b, http.StatusNotFound, problem.TypeNotFound)
			resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/organizations?stage=bogus", header: ta})
			wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
			h.wantTAUnchanged(t, before)
			for _, to := range []string{"agreement", "training", "launched"} {
				resp, b := h.do(t, request{method: http.MethodPost, path: path, header: ta, body: []byte(`{"to":"` + to + `"}`)})
				var o map[string]any
				wantJSON(t, resp, b, &o)
				if o["stage"] != to {
					t.Fatalf("stage %v", o["stage"])
				}
			}
			var plan struct {
				OpenedOn string `json:"opened_on"`
				CheckIns []struct {
					ID      string `json:"id"`
					DueOn   string `json:"due_on"`
					Overdue bool   `json:"overdue"`
				} `json:"check_ins"`
			}
			resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/organizations/" + orgA.ID + "/ta-plan", header: dirA})
			wantJSON(t, resp, b, &plan)
			if plan.OpenedOn != h.st.Today() || len(plan.CheckIns) != taplan.DefaultCheckIns {
				t.Fatalf("plan %+v", plan)
			}
			resp, b = h.do(t, request{method: http.MethodPut, path: "/api/v1/organizations/" + orgA.ID + "/ta-plan/check-ins/" + plan.CheckIns[0].ID, header: ta, body: []byte(`{"due_on":"1999-01-01"}`)})
			wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
			resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/organizations/" + orgA.ID + "/ta-contacts", header: ta, body: []byte(`{"mode":"video","minutes":30,"notes":"Kick-off call"}`)})
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("log contact: %d %s", resp.StatusCode, b)
			}
			resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/organizations/" + orgA.ID + "/ta-contacts", header: dirA})
			wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
		})

		t.Run("my TA work", func(t *testing.T) {
			var work struct {
				Requests []map[string]any `json:"open_requests"`
				Overdue  []map[string]any `json:"overdue_check_ins"`
				Flagged  []map[string]any `json:"flagged_sites"`
			}
			w2 := contract.TARequestWire{ID: uuid.NewString(), Subject: "Stipend cards", Category: "stipends", Text: "Which cards work?", RaisedAt: time.Now().UTC()}
			if resp, b := send(t, credA, taJSON(t, w2)); resp.StatusCode != http.StatusOK {
				t.Fatalf("send: %d %s", resp.StatusCode, b)
			}
			resp, b := h.do(t, request{method: http.MethodGet, path: "/api/v1/ta/work", header: ta})
			wantJSON(t, resp, b, &work)
			if len(work.Requests) != 1 || work.Requests[0]["id"] != w2.ID || work.Overdue == nil || work.Flagged == nil {
				t.Fatalf("work %s", b)
			}
		})
	})
}

// TestTAPagesAndFidelitySeam: the pages answer a TA specialist's forms, show
// a readable error for a bad one and change nothing; the fidelity flags the
// hub is given appear on My TA work.
func TestTAPagesAndFidelitySeam(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		flagged := []outcomes.SiteFlag{}
		h := newHubWith(t, dsn, func(string) server.Config {
			return server.Config{FidelityFlags: func(context.Context) ([]outcomes.SiteFlag, error) { return flagged, nil }}
		})
		ctx := context.Background()
		org, _ := affiliates.New(h.st).AddOrganization(ctx, "Page org", "church", "NC")
		site, cred := h.site("Page site", &org)
		flagged = append(flagged, outcomes.SiteFlag{SiteID: site.ID, OrgID: org.ID, Reasons: []string{"few closing interviews"}})
		w := contract.TARequestWire{ID: uuid.NewString(), Subject: "Meeting space", Category: "curriculum", Text: "Can meetings be held online?", RaisedAt: time.Now().UTC()}
		resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathTARequests, header: with(syncHeaders(cred), "Content-Type", "application/json"), body: taJSON(t, w)})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("send: %d %s", resp.StatusCode, b)
		}
		cookie, csrf := h.pageLogin(t, "ta@example.org", store.RoleTA, "")
		page := func(t *testing.T, method, path string, form url.Values) (*answer, string) {
			t.Helper()
			hdr := map[string]string{"Cookie": cookie}
			var body []byte
			if form != nil {
				form.Set("csrf", csrf)
				body = []byte(form.Encode())
				hdr["Content-Type"] = "application/x-www-form-urlencoded"
			}
			resp, b := h.do(t, request{method: method, path: path, header: hdr, body: body})
			return resp, string(b)
		}
		_, html := page(t, http.MethodGet, "/ta", nil)
		for _, want := range []string{"Meeting space", "few closing interviews", "Page site"} {
			if !strings.Contains(html, want) {
				t.Fatalf("My TA work lacks %q", want)
			}
		}
		before := h.taState(t)
		resp, html = page(t, http.MethodPost, "/ta/requests/"+w.ID+"/answer", url.Values{"answer": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !fieldMarked(html, "answer", "answer", "Enter the answer") {
			t.Fatalf("empty answer: %d", resp.StatusCode)
		}
		resp, html = page(t, http.MethodPost, "/ta/requests/"+w.ID+"/answer", url.Values{"answer": {strings.Repeat("é", 8001)}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !fieldMarked(html, "answer", "answer", "at most 8000 characters") || !strings.Contains(html, strings.Repeat("é", 8001)+"</textarea>") {
			t.Fatalf("answer too long: %d", resp.StatusCode)
		}
		resp, html = page(t, http.MethodPost, "/affiliates/"+org.ID+"/stage", url.Values{"to": {"launched"}, "reason": {"Ready early"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html, "nothing was saved") || !fieldMarked(html, "s-to", "to", "Choose a stage") || !strings.Contains(html, `value="Ready early"`) {
			t.Fatalf("skipping stages: %d", resp.StatusCode)
		}
		resp, _ = page(t, http.MethodGet, "/affiliates?stage=bogus", nil)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad filter: %d", resp.StatusCode)
		}
		h.wantTAUnchanged(t, before)
		resp, _ = page(t, http.MethodPost, "/ta/requests/"+w.ID+"/answer", url.Values{"answer": {"Yes, by video."}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ta/requests/"+w.ID+"?done=answered" {
			t.Fatalf("answer: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, html = page(t, http.MethodGet, "/ta/requests/"+w.ID+"?done=answered", nil)
		if !strings.Contains(html, "Yes, by video.") || !strings.Contains(html, "Answer saved") {
			t.Fatal("the request page does not show the answer")
		}
		_, html = page(t, http.MethodGet, "/affiliates?type=church&state=nc", nil)
		if !strings.Contains(html, "Page org") {
			t.Fatal("filtered list lacks the organization")
		}

		// Program Directors at the hub: their own organization only, and
		// no forms that change it.
		other, _ := affiliates.New(h.st).AddOrganization(ctx, "Other page org", "nami", "NC")
		own, _ := h.pageLogin(t, "dir@example.org", store.RoleDirector, org.ID)
		foreign, _ := h.pageLogin(t, "dir2@example.org", store.RoleDirector, other.ID)
		as := func(cookie, path string) (*answer, string) {
			resp, b := h.do(t, request{method: http.MethodGet, path: path, header: map[string]string{"Cookie": cookie}})
			return resp, string(b)
		}
		resp, html = as(own, "/affiliates")
		if resp.StatusCode != http.StatusOK || !strings.Contains(html, "Page org") || strings.Contains(html, "Other page org") || strings.Contains(html, "Add an organization") {
			t.Fatalf("a director's affiliates list: %d", resp.StatusCode)
		}
		resp, html = as(own, "/ta/requests/"+w.ID)
		if resp.StatusCode != http.StatusOK || !strings.Contains(html, "Yes, by video.") || strings.Contains(html, `id="answer-form"`) {
			t.Fatalf("a director's view of their request: %d", resp.StatusCode)
		}
		for _, path := range []string{"/ta/requests/" + w.ID, "/affiliates/" + org.ID, "/ta"} {
			if resp, _ := as(foreign, path); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("another organization's director got %s: %d", path, resp.StatusCode)
			}
		}
		if _, html := as(foreign, "/ta/requests"); strings.Contains(html, "Meeting space") {
			t.Fatal("another organization's director sees the request in the list")
		}
	})
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInForm opens the sign-in page, as a browser would, and sends its
// form filled in with form, the page's token and the cookie that holds it.
func (h *hub) signInForm(t *testing.T, form url.Values) *answer {
	t.Helper()
	page, b := h.do(t, request{method: http.MethodGet, path: "/login"})
	m := csrfRE.FindSubmatch(b)
	if page.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("sign-in page: %d, no form token", page.StatusCode)
	}
	form.Set("csrf", string(m[1]))
	cookies := (&http.Response{Header: page.Header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("the sign-in page set %d cookies, want 1", len(cookies))
	}
	resp, b := h.do(t, request{method: http.MethodPost, path: "/login", body: []byte(form.Encode()), header: map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies[0].Name + "=" + cookies[0].Value}})
	resp.Body = b
	return resp
}

// pageLogin adds an account, signs it in through the sign-in form and
// returns the session cookie and the CSRF token of its forms.
func (h *hub) pageLogin(t *testing.T, email, role, orgID string) (cookie, csrf string) {
	t.Helper()
	if _, err := staff.New(h.st).AddUser(context.Background(), email, strings.Split(email, "@")[0], role, orgID, staffPassword); err != nil {
		t.Fatal(err)
	}
	resp := h.signInForm(t, url.Values{"email": {email}, "password": {staffPassword}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in answered %d", resp.StatusCode)
	}
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		if c.Value != "" {
			cookie = c.Name + "=" + c.Value
		}
	}
	_, b := h.do(t, request{method: http.MethodGet, path: "/ta", header: map[string]string{"Cookie": cookie}})
	m := csrfRE.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token on the page: %s", b)
	}
	return cookie, string(m[1])
}
