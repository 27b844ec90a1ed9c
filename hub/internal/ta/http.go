package ta

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// receiveTARequest takes a TA request from a site (site credential). The
// agent's request id makes it idempotent.
func (s *Handlers) ReceiveTARequest(c *gin.Context) {
	site := c.MustGet(web.CtxSite).(store.Site)
	var w contract.TARequestWire
	if !s.ReadJSON(c, contract.MaxTARequestBytes, &w) {
		return
	}
	res, err := s.ta.ReceiveTARequest(c.Request.Context(), site, w)
	if errors.Is(err, contract.ErrTAConflict) {
		s.Log.Warn("TA request refused: id known with other content", "site", site.ID)
		problem.Write(c, problem.New(http.StatusConflict, problem.TypeConflict, "A TA request with this id was already received with other content. Send a changed request under a new id."))
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.Log.Info("TA request received", "site", site.ID, "request", res.ID, "fate", res.Fate)
	c.JSON(http.StatusOK, res)
}

// TAAnswers is the TA answer stream of the pull: the site's own requests
// changed after the cursor, in stream order, bounded.
func (s *Handlers) TAAnswers(c *gin.Context, siteID string, cur *contract.PullCursor) ([]contract.TAAnswerWire, error) {
	rs, err := s.ta.TAAnswersAfter(c.Request.Context(), siteID, cur.TAAnswers, contract.MaxTAAnswersPerPull)
	out := make([]contract.TAAnswerWire, 0, len(rs))
	for _, r := range rs {
		w := contract.TAAnswerWire{Seq: r.Seq, RequestID: r.ID, Status: r.Status, Answer: r.Answer, AnsweredBy: r.AnsweredBy}
		if r.AnsweredAt != nil {
			w.AnsweredAt = r.AnsweredAt.UTC()
		}
		out = append(out, w)
		cur.TAAnswers = r.Seq
	}
	return out, err
}

// requestView is a TA request as the staff API shows it.
func requestView(r TARequest) gin.H {
	return gin.H{"id": r.ID, "site_id": r.SiteID, "org_id": r.OrgID, "subject": r.Subject, "category": r.Category, "text": r.Body,
		"raised_at": r.RaisedAt, "received_at": r.ReceivedAt, "status": r.Status, "assignee_id": r.AssigneeID, "answer": r.Answer,
		"answered_by": r.AnsweredBy, "answered_at": r.AnsweredAt, "closed_at": r.ClosedAt}
}

// requestFilter reads the list filter; a Program Director only ever sees
// their own organization's requests.
func requestFilter(c *gin.Context) (TAFilter, *problem.Problem) {
	u := web.User(c)
	f := TAFilter{OrgID: c.Query("org"), Status: c.Query("status")}
	if u.Role == store.RoleDirector {
		if f.OrgID != "" && f.OrgID != u.OrgID {
			return f, problem.New(http.StatusForbidden, problem.TypeForbidden, "You can only see your own organization's requests.")
		}
		f.OrgID = u.OrgID
	}
	return f, nil
}

func (s *Handlers) APITARequests(c *gin.Context) {
	f, p := requestFilter(c)
	if p != nil {
		problem.Write(c, p)
		return
	}
	rs, err := s.ta.TARequests(c.Request.Context(), f)
	out := []gin.H{}
	for _, r := range rs {
		out = append(out, requestView(r))
	}
	s.Answer(c, http.StatusOK, out, err)
}

func (s *Handlers) APITARequest(c *gin.Context) {
	c.JSON(http.StatusOK, requestView(requestOf(c)))
}

func (s *Handlers) APIAssignTARequest(c *gin.Context) {
	var in struct {
		AssigneeID string `json:"assignee_id"`
	}
	if !s.ReadJSON(c, 16<<10, &in) {
		return
	}
	r, err := s.ta.AssignTARequest(c.Request.Context(), requestOf(c).ID, in.AssigneeID)
	s.Answer(c, http.StatusOK, requestView(r), err)
}

func (s *Handlers) APIAnswerTARequest(c *gin.Context) {
	var in struct {
		Answer string `json:"answer"`
	}
	if !s.ReadJSON(c, contract.MaxTARequestBytes, &in) {
		return
	}
	r, err := s.ta.AnswerTARequest(c.Request.Context(), requestOf(c).ID, in.Answer, web.User(c))
	s.Answer(c, http.StatusOK, requestView(r), err)
}

func (s *Handlers) APICloseTARequest(c *gin.Context) {
	r, err := s.ta.CloseTARequest(c.Request.Context(), requestOf(c).ID)
	s.Answer(c, http.StatusOK, requestView(r), err)
}

// work is the signed-in TA specialist's list; ?all=1 shows everyone's.
func (s *Handlers) work(c *gin.Context) (TAWork, error) {
	u := web.User(c)
	return s.ta.Work(c.Request.Context(), u.ID, c.Query("all") == "1", s.flags)
}

func (s *Handlers) APIWork(c *gin.Context) {
	w, err := s.work(c)
	if w.Requests == nil {
		w.Requests = []TARequest{}
	}
	s.Answer(c, http.StatusOK, w, err)
}

// ctxRequest holds the TA request a route names.
const ctxRequest = "iml.ta_request"

// RequestAccess loads the TA request named by :rid; a Program Director may
// only reach their organization's.
func (s *Handlers) RequestAccess(c *gin.Context) {
	r, err := s.ta.TARequestByID(c.Request.Context(), c.Param("rid"))
	if !s.Admit(c, err, "TA request", r.OrgID, "You can only see your own organization's requests.") {
		return
	}
	c.Set(ctxRequest, r)
	c.Next()
}

func requestOf(c *gin.Context) TARequest { return c.MustGet(ctxRequest).(TARequest) }

// names maps organization and site ids to their names for list pages.
func (s *Handlers) names(c *gin.Context) (orgs, sites map[string]string, err error) {
	_, orgs, err = s.St.OrganizationNames(c.Request.Context())
	if err != nil {
		return nil, nil, err
	}
	ss, err := s.St.Sites(c.Request.Context(), "")
	if err != nil {
		return nil, nil, err
	}
	sites = map[string]string{}
	for _, st := range ss {
		sites[st.ID] = st.Name
	}
	return orgs, sites, nil
}

func (s *Handlers) WorkPage(c *gin.Context) {
	w, err := s.work(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	orgs, sites, err := s.names(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.Render(c, http.StatusOK, "ta_work.html", gin.H{"Title": "My TA work", "W": w, "All": c.Query("all") == "1",
		"OrgNames": orgs, "SiteNames": sites})
}

func (s *Handlers) TaRequestsPage(c *gin.Context) {
	f, p := requestFilter(c)
	data := gin.H{"Title": "TA requests", "Status": f.Status}
	status := http.StatusOK
	if p != nil {
		s.Deny(c, p.Detail)
		return
	}
	rs, err := s.ta.TARequests(c.Request.Context(), f)
	if fe, ok := web.FieldErrors(c, err); ok && err != nil {
		// The filter is shown as asked, with its mistakes, and the
		// requests unfiltered.
		status, data["Errors"] = http.StatusUnprocessableEntity, map[string]map[string]string{"filter": fe}
		f.Status = ""
		rs, err = s.ta.TARequests(c.Request.Context(), f)
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	orgs, sites, err := s.names(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	data["Requests"], data["OrgNames"], data["SiteNames"] = rs, orgs, sites
	data["Statuses"] = []string{contract.TAOpen, contract.TAAssigned, contract.TAAnswered, contract.TAClosed}
	s.Render(c, status, "ta_requests.html", data)
}

func (s *Handlers) TaRequestPage(c *gin.Context) { s.showRequest(c, http.StatusOK, gin.H{}) }

func (s *Handlers) showRequest(c *gin.Context, status int, data gin.H) {
	r := requestOf(c) // loaded by requestAccess; a refused change changed nothing
	ctx := c.Request.Context()
	specs, err := s.ta.Specialists(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	org, err := s.St.FindOrganization(ctx, r.OrgID)
	if err != nil {
		s.Respond(c, err)
		return
	}
	site, err := s.St.FindSite(ctx, r.SiteID)
	if err != nil {
		s.Respond(c, err)
		return
	}
	names := map[string]string{}
	for _, u := range specs {
		names[u.ID] = u.Name
	}
	data["Title"], data["R"], data["Specialists"], data["SpecialistNames"] = r.Subject, r, specs, names
	data["OrgName"], data["SiteName"], data["CanManage"], data["Notice"] = org.Name, site.Name, IsStaff(web.User(c)), web.Notices[c.Query("done")]
	s.Render(c, status, "ta_request.html", data)
}

// requestForm runs a request form's change and goes back to the request.
func (s *Handlers) requestForm(c *gin.Context, notice string, change func(r TARequest) error) {
	r := requestOf(c)
	if err := change(r); err != nil {
		s.FormFailed(c, err, notice, "There is no such TA request.", func(status int, data gin.H) { s.showRequest(c, status, data) })
		return
	}
	web.Back(c, "/ta/requests/"+r.ID, notice)
}

func (s *Handlers) AssignTARequestSubmit(c *gin.Context) {
	s.requestForm(c, "assigned", func(r TARequest) error {
		_, err := s.ta.AssignTARequest(c.Request.Context(), r.ID, c.PostForm("assignee_id"))
		return err
	})
}

func (s *Handlers) AnswerTARequestSubmit(c *gin.Context) {
	s.requestForm(c, "answered", func(r TARequest) error {
		_, err := s.ta.AnswerTARequest(c.Request.Context(), r.ID, c.PostForm("answer"), web.User(c))
		return err
	})
}

func (s *Handlers) CloseTARequestSubmit(c *gin.Context) {
	s.requestForm(c, "closed", func(r TARequest) error {
		_, err := s.ta.CloseTARequest(c.Request.Context(), r.ID)
		return err
	})
}

// IsStaff reports whether a staff member, as they act, changes affiliates
// and their TA (an admin or a TA specialist).
func IsStaff(u store.User) bool { return u.Role == store.RoleAdmin || u.Role == store.RoleTA }
