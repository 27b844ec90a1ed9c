package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
)

// notices are the messages a page shows after a form went through, by the
// code in ?done= (never text from the address).
var notices = map[string]string{
	"saved": "Saved.", "contact": "Contact added.", "removed": "Contact removed.", "stage": "Stage changed.",
	"plan": "TA specialist set.", "checkin": "Check-in scheduled.", "moved": "Check-in moved.", "checked": "Check-in marked done.",
	"logged": "Contact logged.", "assigned": "Request assigned.", "answered": "Answer saved; the site receives it at its next sync.",
	"closed": "Request closed.",
}

func (s *Server) affiliatesPage(c *gin.Context) { s.showAffiliates(c, http.StatusOK, gin.H{}) }

func (s *Server) showAffiliates(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	var f affiliates.OrgFilter
	_ = c.ShouldBindQuery(&f)
	os, err := s.affiliates.FindOrganizations(ctx, f)
	if msg, ok := web.FormError(err); ok {
		status, data["FilterError"], f = http.StatusUnprocessableEntity, msg, affiliates.OrgFilter{}
		os, err = s.affiliates.FindOrganizations(ctx, f)
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	u := web.User(c)
	var shown []store.Organization
	for _, o := range os {
		if u.Role != store.RoleDirector || o.ID == u.OrgID {
			shown = append(shown, o)
		}
	}
	sites, err := s.st.Sites(ctx, "")
	if err != nil {
		s.Respond(c, err)
		return
	}
	count := map[string]int{}
	for _, st := range sites {
		count[st.OrgID]++
	}
	if _, ok := data["Form"]; !ok {
		data["Form"] = affiliates.OrgInput{Type: "peer_run"}
	}
	data["Title"], data["Orgs"], data["Filter"], data["SiteCount"] = "Affiliates", shown, f, count
	data["Stages"], data["Types"], data["CanManage"] = affiliates.Stages, store.OrgTypes, isTAStaff(u)
	s.Render(c, status, "affiliates.html", data)
}

func (s *Server) addAffiliateSubmit(c *gin.Context) {
	var in affiliates.OrgInput
	_ = c.ShouldBind(&in)
	o, err := s.affiliates.AddOrganizationSince(c.Request.Context(), in, c.PostForm("since"))
	if err != nil {
		msg, ok := web.FormError(err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showAffiliates(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "AddError": msg})
		return
	}
	web.Back(c, "/affiliates/"+o.ID, "saved")
}

func (s *Server) affiliatePage(c *gin.Context) { s.showAffiliate(c, http.StatusOK, gin.H{}) }

func (s *Server) showAffiliate(c *gin.Context, status int, data gin.H) {
	p, err := s.loadProfile(c, orgOf(c))
	if err != nil {
		s.Respond(c, err)
		return
	}
	specs, err := s.ta.Specialists(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	names := map[string]string{}
	for _, u := range specs {
		names[u.ID] = u.Name
	}
	siteNames := map[string]string{}
	for _, st := range p.Sites {
		siteNames[st.ID] = st.Name
	}
	if _, ok := data["Errors"]; !ok {
		data["Errors"] = map[string]string{}
	}
	data["Title"], data["P"], data["Today"], data["Specialists"], data["SpecialistNames"] = p.Org.Name, p, s.st.Today(), specs, names
	data["NextStages"], data["Types"], data["Modes"], data["CanManage"] = affiliates.NextStages(p.Org.Stage), store.OrgTypes, ta.TAModes, isTAStaff(web.User(c))
	data["SiteNames"], data["Notice"] = siteNames, notices[c.Query("done")]
	s.Render(c, status, "affiliate.html", data)
}

// orgForm runs a profile form's change and goes back to the profile, or
// shows it again with the error in its section.
func (s *Server) orgForm(c *gin.Context, section, notice string, change func(o store.Organization) error) {
	o := orgOf(c)
	if err := change(o); err != nil {
		s.FormFailed(c, err, func(status int, data gin.H) { s.showAffiliate(c, status, data) }, section)
		return
	}
	web.Back(c, "/affiliates/"+o.ID, notice)
}

func (s *Server) updateAffiliateSubmit(c *gin.Context) {
	s.orgForm(c, "profile", "saved", func(o store.Organization) error {
		var in affiliates.OrgInput
		_ = c.ShouldBind(&in)
		_, err := s.affiliates.UpdateOrganization(c.Request.Context(), o.ID, in)
		return err
	})
}

func (s *Server) addContactSubmit(c *gin.Context) {
	s.orgForm(c, "contacts", "contact", func(o store.Organization) error {
		var in affiliates.ContactInput
		_ = c.ShouldBind(&in)
		_, err := s.affiliates.AddContact(c.Request.Context(), o.ID, in)
		return err
	})
}

func (s *Server) removeContactSubmit(c *gin.Context) {
	s.orgForm(c, "contacts", "removed", func(o store.Organization) error {
		return s.affiliates.RemoveContact(c.Request.Context(), o.ID, c.Param("cid"))
	})
}

func (s *Server) stageSubmit(c *gin.Context) {
	s.orgForm(c, "stage", "stage", func(o store.Organization) error {
		var in affiliates.StageInput
		_ = c.ShouldBind(&in)
		_, err := s.affiliates.ChangeStage(c.Request.Context(), o.ID, in, web.StaffName(c))
		return err
	})
}

func (s *Server) assignPlanSubmit(c *gin.Context) {
	s.orgForm(c, "plan", "plan", func(o store.Organization) error {
		return s.ta.AssignPlan(c.Request.Context(), o.ID, c.PostForm("specialist_id"))
	})
}

func (s *Server) addCheckInSubmit(c *gin.Context) {
	s.orgForm(c, "plan", "checkin", func(o store.Organization) error {
		_, err := s.ta.AddCheckIn(c.Request.Context(), o.ID, c.PostForm("due_on"))
		return err
	})
}

func (s *Server) rescheduleSubmit(c *gin.Context) {
	s.orgForm(c, "plan", "moved", func(o store.Organization) error {
		_, err := s.ta.RescheduleCheckIn(c.Request.Context(), o.ID, c.Param("ckid"), c.PostForm("due_on"))
		return err
	})
}

func (s *Server) completeCheckInSubmit(c *gin.Context) {
	s.orgForm(c, "plan", "checked", func(o store.Organization) error {
		_, err := s.ta.CompleteCheckIn(c.Request.Context(), o.ID, c.Param("ckid"), c.PostForm("done_on"), c.PostForm("note"))
		return err
	})
}

func (s *Server) logTAContactSubmit(c *gin.Context) {
	s.orgForm(c, "ta-contacts", "logged", func(o store.Organization) error {
		in := ta.TAContactInput{On: c.PostForm("on"), Mode: c.PostForm("mode"), Minutes: web.FormInt(c, "minutes"), Notes: c.PostForm("notes")}
		_, err := s.ta.LogTAContact(c.Request.Context(), o.ID, in, web.User(c))
		return err
	})
}

// names maps organization and site ids to their names for list pages.
func (s *Server) names(c *gin.Context) (orgs, sites map[string]string, err error) {
	os, err := s.st.Organizations(c.Request.Context())
	if err != nil {
		return nil, nil, err
	}
	ss, err := s.st.Sites(c.Request.Context(), "")
	if err != nil {
		return nil, nil, err
	}
	orgs, sites = map[string]string{}, map[string]string{}
	for _, o := range os {
		orgs[o.ID] = o.Name
	}
	for _, st := range ss {
		sites[st.ID] = st.Name
	}
	return orgs, sites, nil
}

func (s *Server) workPage(c *gin.Context) {
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

func (s *Server) taRequestsPage(c *gin.Context) {
	f, p := requestFilter(c)
	data := gin.H{"Title": "TA requests", "Status": f.Status}
	status := http.StatusOK
	if p != nil {
		s.Deny(c, p.Detail)
		return
	}
	rs, err := s.ta.TARequests(c.Request.Context(), f)
	if msg, ok := web.FormError(err); ok {
		status, data["Error"], data["Status"] = http.StatusUnprocessableEntity, msg, ""
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

func (s *Server) taRequestPage(c *gin.Context) { s.showRequest(c, http.StatusOK, gin.H{}) }

func (s *Server) showRequest(c *gin.Context, status int, data gin.H) {
	r := requestOf(c) // loaded by requestAccess; a refused change changed nothing
	ctx := c.Request.Context()
	specs, err := s.ta.Specialists(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	org, err := s.st.FindOrganization(ctx, r.OrgID)
	if err != nil {
		s.Respond(c, err)
		return
	}
	site, err := s.st.FindSite(ctx, r.SiteID)
	if err != nil {
		s.Respond(c, err)
		return
	}
	names := map[string]string{}
	for _, u := range specs {
		names[u.ID] = u.Name
	}
	if _, ok := data["Errors"]; !ok {
		data["Errors"] = map[string]string{}
	}
	if _, ok := data["Answer"]; !ok {
		data["Answer"] = r.Answer
	}
	data["Title"], data["R"], data["Specialists"], data["SpecialistNames"] = r.Subject, r, specs, names
	data["OrgName"], data["SiteName"], data["CanManage"], data["Notice"] = org.Name, site.Name, isTAStaff(web.User(c)), notices[c.Query("done")]
	s.Render(c, status, "ta_request.html", data)
}

// requestForm runs a request form's change and goes back to the request.
func (s *Server) requestForm(c *gin.Context, notice string, change func(r ta.TARequest) error) {
	r := requestOf(c)
	if err := change(r); err != nil {
		msg, ok := web.FormError(err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showRequest(c, http.StatusUnprocessableEntity, gin.H{"Errors": map[string]string{notice: msg}, "Answer": c.PostForm("answer")})
		return
	}
	web.Back(c, "/ta/requests/"+r.ID, notice)
}

func (s *Server) assignTARequestSubmit(c *gin.Context) {
	s.requestForm(c, "assigned", func(r ta.TARequest) error {
		_, err := s.ta.AssignTARequest(c.Request.Context(), r.ID, c.PostForm("assignee_id"))
		return err
	})
}

func (s *Server) answerTARequestSubmit(c *gin.Context) {
	s.requestForm(c, "answered", func(r ta.TARequest) error {
		_, err := s.ta.AnswerTARequest(c.Request.Context(), r.ID, c.PostForm("answer"), web.User(c))
		return err
	})
}

func (s *Server) closeTARequestSubmit(c *gin.Context) {
	s.requestForm(c, "closed", func(r ta.TARequest) error {
		_, err := s.ta.CloseTARequest(c.Request.Context(), r.ID)
		return err
	})
}
