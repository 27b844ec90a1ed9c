package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/pkg/problem"
)

// Who may do what with affiliates and technical assistance.
var (
	// taStaff manage affiliates and do TA work.
	taStaff = []string{store.RoleAdmin, store.RoleTA}
	// orgReaders see affiliates; a Program Director only their own.
	orgReaders = []string{store.RoleAdmin, store.RoleTA, store.RoleTrainer, store.RoleAnalyst, store.RoleDirector}
)

// affiliateRoutes registers the affiliates and first-year TA routes: the
// staff API on api (under /api/v1, signed in) and the pages on pages.
func (s *Server) affiliateRoutes(api, pages *gin.RouterGroup) {
	read, manage := s.requireRole(orgReaders...), s.requireRole(taStaff...)
	api.GET("/organizations", read, s.apiOrganizations)
	api.POST("/organizations", manage, s.apiAddOrganization)
	api.GET("/organizations/:id", read, s.orgAccess, s.apiOrganization)
	api.PUT("/organizations/:id", manage, s.orgAccess, s.apiUpdateOrganization)
	api.POST("/organizations/:id/contacts", manage, s.orgAccess, s.apiAddContact)
	api.DELETE("/organizations/:id/contacts/:cid", manage, s.orgAccess, s.apiRemoveContact)
	api.POST("/organizations/:id/stage", manage, s.orgAccess, s.apiChangeStage)
	api.GET("/organizations/:id/ta-plan", read, s.orgAccess, s.apiPlan)
	api.PUT("/organizations/:id/ta-plan", manage, s.orgAccess, s.apiAssignPlan)
	api.POST("/organizations/:id/ta-plan/check-ins", manage, s.orgAccess, s.apiAddCheckIn)
	api.PUT("/organizations/:id/ta-plan/check-ins/:ckid", manage, s.orgAccess, s.apiRescheduleCheckIn)
	api.POST("/organizations/:id/ta-plan/check-ins/:ckid/done", manage, s.orgAccess, s.apiCompleteCheckIn)
	api.GET("/organizations/:id/ta-contacts", manage, s.orgAccess, s.apiTAContacts)
	api.POST("/organizations/:id/ta-contacts", manage, s.orgAccess, s.apiLogTAContact)
	api.GET("/ta/work", manage, s.apiWork)
	api.GET("/ta/requests", read, s.apiTARequests)
	api.GET("/ta/requests/:rid", read, s.requestAccess, s.apiTARequest)
	api.POST("/ta/requests/:rid/assign", manage, s.requestAccess, s.apiAssignTARequest)
	api.POST("/ta/requests/:rid/answer", manage, s.requestAccess, s.apiAnswerTARequest)
	api.POST("/ta/requests/:rid/close", manage, s.requestAccess, s.apiCloseTARequest)

	pages.GET("/affiliates", read, s.affiliatesPage)
	pages.POST("/affiliates", manage, s.addAffiliateSubmit)
	pages.GET("/affiliates/:id", read, s.orgAccess, s.affiliatePage)
	pages.POST("/affiliates/:id", manage, s.orgAccess, s.updateAffiliateSubmit)
	pages.POST("/affiliates/:id/contacts", manage, s.orgAccess, s.addContactSubmit)
	pages.POST("/affiliates/:id/contacts/:cid/remove", manage, s.orgAccess, s.removeContactSubmit)
	pages.POST("/affiliates/:id/stage", manage, s.orgAccess, s.stageSubmit)
	pages.POST("/affiliates/:id/plan", manage, s.orgAccess, s.assignPlanSubmit)
	pages.POST("/affiliates/:id/check-ins", manage, s.orgAccess, s.addCheckInSubmit)
	pages.POST("/affiliates/:id/check-ins/:ckid", manage, s.orgAccess, s.rescheduleSubmit)
	pages.POST("/affiliates/:id/check-ins/:ckid/done", manage, s.orgAccess, s.completeCheckInSubmit)
	pages.POST("/affiliates/:id/ta-contacts", manage, s.orgAccess, s.logTAContactSubmit)
	pages.GET("/ta", manage, s.workPage)
	pages.GET("/ta/requests", read, s.taRequestsPage)
	pages.GET("/ta/requests/:rid", read, s.requestAccess, s.taRequestPage)
	pages.POST("/ta/requests/:rid/assign", manage, s.requestAccess, s.assignTARequestSubmit)
	pages.POST("/ta/requests/:rid/answer", manage, s.requestAccess, s.answerTARequestSubmit)
	pages.POST("/ta/requests/:rid/close", manage, s.requestAccess, s.closeTARequestSubmit)
}

const (
	ctxOrg     = "iml.org"
	ctxRequest = "iml.ta_request"
)

func currentUser(c *gin.Context) store.User { return c.MustGet(ctxUser).(store.User) }

// deny answers 403 (API) or the "not allowed" page.
func (s *Server) deny(c *gin.Context, msg string) {
	if isAPI(c) {
		problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, msg))
		return
	}
	s.render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Not allowed", "Message": msg})
	c.Abort()
}

// missing answers 404 (API) or the "not found" page.
func (s *Server) missing(c *gin.Context, what string) {
	if isAPI(c) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "No such "+what+"."))
		return
	}
	s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no such " + what + "."})
	c.Abort()
}

// orgAccess loads the organization named by :id; a Program Director may
// only reach their own.
func (s *Server) orgAccess(c *gin.Context) {
	o, err := s.st.FindOrganization(c.Request.Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && o.ID != c.Param("id")) {
		s.missing(c, "organization")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if u := currentUser(c); u.Role == store.RoleDirector && u.OrgID != o.ID {
		s.deny(c, "You can only see your own organization.")
		return
	}
	c.Set(ctxOrg, o)
	c.Next()
}

// requestAccess loads the TA request named by :rid; a Program Director may
// only reach their organization's.
func (s *Server) requestAccess(c *gin.Context) {
	r, err := s.ta.TARequestByID(c.Request.Context(), c.Param("rid"))
	if errors.Is(err, store.ErrNotFound) {
		s.missing(c, "TA request")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if u := currentUser(c); u.Role == store.RoleDirector && u.OrgID != r.OrgID {
		s.deny(c, "You can only see your own organization's requests.")
		return
	}
	c.Set(ctxRequest, r)
	c.Next()
}

func orgOf(c *gin.Context) store.Organization { return c.MustGet(ctxOrg).(store.Organization) }

func requestOf(c *gin.Context) ta.TARequest { return c.MustGet(ctxRequest).(ta.TARequest) }

// fail answers an unexpected error: logged in full, shown without detail.
func (s *Server) fail(c *gin.Context, err error) {
	if isAPI(c) {
		problem.Internal(c, s.log, err)
		return
	}
	s.pageError(c, err)
	c.Abort()
}

// apiFail answers an error: the client's problem, or a logged 500.
func (s *Server) apiFail(c *gin.Context, err error) { s.apiFailAs(c, err, "No such resource.") }

// answerAPI writes v, or the problem of err.
func (s *Server) answerAPI(c *gin.Context, status int, v any, err error) {
	if err != nil {
		s.apiFail(c, err)
		return
	}
	c.JSON(status, v)
}

// orgView is an organization as the API shows it.
func orgView(o store.Organization) gin.H {
	return gin.H{"id": o.ID, "name": o.Name, "type": o.Type, "state": o.State, "stage": o.Stage, "stage_on": o.StageOn, "created_at": o.CreatedAt}
}

func (s *Server) apiOrganizations(c *gin.Context) {
	var f affiliates.OrgFilter
	_ = c.ShouldBindQuery(&f)
	os, err := s.affiliates.FindOrganizations(c.Request.Context(), f)
	if err != nil {
		s.apiFail(c, err)
		return
	}
	u := currentUser(c)
	out := []gin.H{}
	for _, o := range os {
		if u.Role == store.RoleDirector && o.ID != u.OrgID {
			continue
		}
		out = append(out, orgView(o))
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) apiAddOrganization(c *gin.Context) {
	var in struct {
		affiliates.OrgInput
		Since string `json:"since"`
	}
	if !s.readJSON(c, 16<<10, &in) {
		return
	}
	o, err := s.affiliates.AddOrganizationSince(c.Request.Context(), in.OrgInput, in.Since)
	s.answerAPI(c, http.StatusCreated, orgView(o), err)
}

// profile is everything the profile page and API show of an organization.
type profile struct {
	Org        store.Organization
	Contacts   []affiliates.OrgContact
	Sites      []store.Site
	History    []affiliates.StageChange
	Plan       *ta.TAPlan
	CheckIns   []ta.TACheckIn
	TAContacts []ta.TAContact
	Requests   []ta.TARequest
}

// loadProfile reads a profile; TA contact notes only for those who do TA work.
func (s *Server) loadProfile(c *gin.Context, o store.Organization) (profile, error) {
	ctx := c.Request.Context()
	p := profile{Org: o}
	var err error
	if p.Contacts, err = s.affiliates.Contacts(ctx, o.ID); err != nil {
		return p, err
	}
	if p.Sites, err = s.st.Sites(ctx, o.ID); err != nil {
		return p, err
	}
	if p.History, err = s.affiliates.StageHistory(ctx, o.ID); err != nil {
		return p, err
	}
	plan, cis, err := s.ta.Plan(ctx, o.ID)
	switch {
	case err == nil:
		p.Plan, p.CheckIns = &plan, cis
	case !errors.Is(err, store.ErrNotFound):
		return p, err
	}
	if isTAStaff(currentUser(c)) {
		if p.TAContacts, err = s.ta.TAContacts(ctx, o.ID); err != nil {
			return p, err
		}
	}
	p.Requests, err = s.ta.TARequests(ctx, ta.TAFilter{OrgID: o.ID})
	return p, err
}

func isTAStaff(u store.User) bool { return u.Role == store.RoleAdmin || u.Role == store.RoleTA }

func (s *Server) apiOrganization(c *gin.Context) {
	p, err := s.loadProfile(c, orgOf(c))
	if err != nil {
		problem.Internal(c, s.log, err)
		return
	}
	sites := []gin.H{}
	for _, st := range p.Sites {
		sites = append(sites, gin.H{"id": st.ID, "name": st.Name, "enrolled_at": st.EnrolledAt, "revoked_at": st.RevokedAt, "last_seen_at": st.LastSeenAt})
	}
	out := orgView(p.Org)
	out["contacts"], out["sites"], out["stage_history"] = nonNil(p.Contacts), sites, nonNil(p.History)
	out["next_stages"] = affiliates.NextStages(p.Org.Stage)
	out["ta_plan"] = planView(p.Plan, p.CheckIns, s.st.Today())
	c.JSON(http.StatusOK, out)
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func planView(p *ta.TAPlan, cis []ta.TACheckIn, today string) any {
	if p == nil {
		return nil
	}
	rows := []gin.H{}
	for _, ci := range cis {
		rows = append(rows, gin.H{"id": ci.ID, "due_on": ci.DueOn, "done_on": ci.DoneOn, "note": ci.Note, "overdue": ci.Overdue(today)})
	}
	return gin.H{"id": p.ID, "opened_on": p.OpenedOn, "ends_on": p.EndsOn, "specialist_id": p.SpecialistID, "check_ins": rows}
}

func (s *Server) apiUpdateOrganization(c *gin.Context) {
	var in affiliates.OrgInput
	if !s.readJSON(c, 16<<10, &in) {
		return
	}
	o, err := s.affiliates.UpdateOrganization(c.Request.Context(), orgOf(c).ID, in)
	s.answerAPI(c, http.StatusOK, orgView(o), err)
}

func (s *Server) apiAddContact(c *gin.Context) {
	var in affiliates.ContactInput
	if !s.readJSON(c, 16<<10, &in) {
		return
	}
	ct, err := s.affiliates.AddContact(c.Request.Context(), orgOf(c).ID, in)
	s.answerAPI(c, http.StatusCreated, ct, err)
}

func (s *Server) apiRemoveContact(c *gin.Context) {
	err := s.affiliates.RemoveContact(c.Request.Context(), orgOf(c).ID, c.Param("cid"))
	s.answerAPI(c, http.StatusOK, gin.H{"removed": c.Param("cid")}, err)
}

func (s *Server) apiChangeStage(c *gin.Context) {
	var in affiliates.StageInput
	if !s.readJSON(c, 16<<10, &in) {
		return
	}
	o, err := s.affiliates.ChangeStage(c.Request.Context(), orgOf(c).ID, in, staffName(c))
	s.answerAPI(c, http.StatusOK, orgView(o), err)
}

func (s *Server) apiPlan(c *gin.Context) {
	p, cis, err := s.ta.Plan(c.Request.Context(), orgOf(c).ID)
	if errors.Is(err, store.ErrNotFound) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "The organization has no TA plan yet: it opens when the organization goes live (stage launched)."))
		return
	}
	s.answerAPI(c, http.StatusOK, planView(&p, cis, s.st.Today()), err)
}

func (s *Server) apiAssignPlan(c *gin.Context) {
	var in struct {
		SpecialistID string `json:"specialist_id"`
	}
	if !s.readJSON(c, 16<<10, &in) {
		return
	}
	err := s.ta.AssignPlan(c.Request.Context(), orgOf(c).ID, in.SpecialistID)
	if err == nil {
		s.apiPlan(c)
		return
	}
	s.answerAPI(c, http.StatusOK, nil, err)
}

type dueInput struct {
	DueOn string `json:"due_on"`
}

type doneInput struct {
	DoneOn string `json:"done_on"`
	Note   string `json:"note"`
}

func (s *Server) apiAddCheckIn(c *gin.Context) {
	var in dueInput
	if !s.readJSON(c, 16<<10, &in) {
		return
	}
	ci, err := s.ta.AddCheckIn(c.Request.Context(), orgOf(c).ID, in.DueOn)
	s.answerAPI(c, http.StatusCreated, ci, err)
}

func (s *Server) apiRescheduleCheckIn(c *gin.Context) {
	var in dueInput
	if !s.readJSON(c, 16<<10, &in) {
		return
	}
	ci, err := s.ta.RescheduleCheckIn(c.Request.Context(), orgOf(c).ID, c.Param("ckid"), in.DueOn)
	s.answerAPI(c, http.StatusOK, ci, err)
}

func (s *Server) apiCompleteCheckIn(c *gin.Context) {
	var in doneInput
	if !s.readJSON(c, 16<<10, &in) {
		return
	}
	ci, err := s.ta.CompleteCheckIn(c.Request.Context(), orgOf(c).ID, c.Param("ckid"), in.DoneOn, in.Note)
	s.answerAPI(c, http.StatusOK, ci, err)
}

func (s *Server) apiTAContacts(c *gin.Context) {
	cs, err := s.ta.TAContacts(c.Request.Context(), orgOf(c).ID)
	s.answerAPI(c, http.StatusOK, nonNil(cs), err)
}

func (s *Server) apiLogTAContact(c *gin.Context) {
	var in ta.TAContactInput
	if !s.readJSON(c, 32<<10, &in) {
		return
	}
	ct, err := s.ta.LogTAContact(c.Request.Context(), orgOf(c).ID, in, currentUser(c))
	s.answerAPI(c, http.StatusCreated, ct, err)
}

// formInt reads an integer form field; -1 when it is not one.
func formInt(c *gin.Context, name string) int {
	n, err := strconv.Atoi(c.PostForm(name))
	if err != nil {
		return -1
	}
	return n
}

// back sends the browser to a page after a form, with the code of a notice.
func back(c *gin.Context, path, notice string) {
	c.Redirect(http.StatusSeeOther, path+"?done="+notice)
}
