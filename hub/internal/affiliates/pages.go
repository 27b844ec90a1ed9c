package affiliates

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/hub/internal/web"
)

func (s *Handlers) AffiliatesPage(c *gin.Context) { s.showAffiliates(c, http.StatusOK, gin.H{}) }

func (s *Handlers) showAffiliates(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	var f OrgFilter
	_ = c.ShouldBindQuery(&f)
	os, err := s.affiliates.FindOrganizations(ctx, f)
	if fe, ok := web.FieldErrors(c, err); ok && err != nil {
		// The filter is shown as typed, with its mistakes, and the
		// organizations unfiltered.
		status, data["Errors"] = http.StatusUnprocessableEntity, map[string]map[string]string{"filter": fe}
		data["Filter"], f = f, OrgFilter{}
		os, err = s.affiliates.FindOrganizations(ctx, f)
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	u := web.User(c)
	shown := visible(u, os)
	// The pipeline counts every stage of the organizations the type and
	// state filter keep.
	all := shown
	if f.Stage != "" {
		if all, err = s.affiliates.FindOrganizations(ctx, OrgFilter{Type: f.Type, State: f.State}); err != nil {
			s.Respond(c, err)
			return
		}
		all = visible(u, all)
	}
	sites, err := s.St.Sites(ctx, "")
	if err != nil {
		s.Respond(c, err)
		return
	}
	count := map[string]int{}
	for _, st := range sites {
		count[st.OrgID]++
	}
	if _, ok := data["Filter"]; !ok {
		data["Filter"] = f
	}
	data["Title"], data["Orgs"], data["SiteCount"] = "Affiliates", shown, count
	data["Stages"], data["Types"], data["CanManage"] = Stages, store.OrgTypes, ta.IsStaff(u)
	data["PipelineChart"] = pipelineChart(all)
	s.Render(c, status, "affiliates.html", data)
}

// visible are the organizations a user may see: a Program Director only
// their own.
func visible(u store.User, os []store.Organization) []store.Organization {
	var out []store.Organization
	for _, o := range os {
		if u.Role != store.RoleDirector || o.ID == u.OrgID {
			out = append(out, o)
		}
	}
	return out
}

func (s *Handlers) AddAffiliateSubmit(c *gin.Context) {
	var in OrgInput
	_ = c.ShouldBind(&in)
	o, err := s.affiliates.AddOrganizationSince(c.Request.Context(), in, c.PostForm("since"))
	if err != nil {
		s.FormFailed(c, err, "add", web.NoSuchResource, func(status int, data gin.H) { s.showAffiliates(c, status, data) })
		return
	}
	web.Back(c, "/affiliates/"+o.ID, "saved")
}

func (s *Handlers) AffiliatePage(c *gin.Context) { s.showAffiliate(c, http.StatusOK, gin.H{}) }

func (s *Handlers) showAffiliate(c *gin.Context, status int, data gin.H) {
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
	data["Title"], data["P"], data["Today"], data["Specialists"], data["SpecialistNames"] = p.Org.Name, p, s.St.Today(), specs, names
	data["NextStages"], data["Types"], data["Modes"], data["CanManage"] = NextStages(p.Org.Stage), store.OrgTypes, ta.TAModes, ta.IsStaff(web.User(c))
	data["SiteNames"], data["Notice"] = siteNames, web.Notices[c.Query("done")]
	s.Render(c, status, "affiliate.html", data)
}

// orgForm runs a profile form's change and goes back to the profile, or
// shows it again with its mistakes (section names the form).
func (s *Handlers) orgForm(c *gin.Context, section, notice string, change func(o store.Organization) error) {
	o := orgOf(c)
	if err := change(o); err != nil {
		s.FormFailed(c, err, section, "That item no longer exists. Nothing was changed.", func(status int, data gin.H) { s.showAffiliate(c, status, data) })
		return
	}
	web.Back(c, "/affiliates/"+o.ID, notice)
}

func (s *Handlers) UpdateAffiliateSubmit(c *gin.Context) {
	s.orgForm(c, "profile", "saved", func(o store.Organization) error {
		var in OrgInput
		_ = c.ShouldBind(&in)
		_, err := s.affiliates.UpdateOrganization(c.Request.Context(), o.ID, in)
		return err
	})
}

func (s *Handlers) AddContactSubmit(c *gin.Context) {
	s.orgForm(c, "contacts", "contact", func(o store.Organization) error {
		var in ContactInput
		_ = c.ShouldBind(&in)
		_, err := s.affiliates.AddContact(c.Request.Context(), o.ID, in)
		return err
	})
}

func (s *Handlers) RemoveContactSubmit(c *gin.Context) {
	s.orgForm(c, "remove", "removed", func(o store.Organization) error {
		return s.affiliates.RemoveContact(c.Request.Context(), o.ID, c.Param("cid"))
	})
}

func (s *Handlers) StageSubmit(c *gin.Context) {
	s.orgForm(c, "stage", "stage", func(o store.Organization) error {
		var in StageInput
		_ = c.ShouldBind(&in)
		_, err := s.affiliates.ChangeStage(c.Request.Context(), o.ID, in, web.StaffName(c))
		return err
	})
}

func (s *Handlers) AssignPlanSubmit(c *gin.Context) {
	s.orgForm(c, "plan", "plan", func(o store.Organization) error {
		return s.ta.AssignPlan(c.Request.Context(), o.ID, c.PostForm("specialist_id"))
	})
}

func (s *Handlers) AddCheckInSubmit(c *gin.Context) {
	s.orgForm(c, "checkin", "checkin", func(o store.Organization) error {
		_, err := s.ta.AddCheckIn(c.Request.Context(), o.ID, c.PostForm("due_on"))
		return err
	})
}

func (s *Handlers) RescheduleSubmit(c *gin.Context) {
	s.orgForm(c, "move-"+c.Param("ckid"), "moved", func(o store.Organization) error {
		_, err := s.ta.RescheduleCheckIn(c.Request.Context(), o.ID, c.Param("ckid"), c.PostForm("due_on"))
		return err
	})
}

func (s *Handlers) CompleteCheckInSubmit(c *gin.Context) {
	s.orgForm(c, "done-"+c.Param("ckid"), "checked", func(o store.Organization) error {
		_, err := s.ta.CompleteCheckIn(c.Request.Context(), o.ID, c.Param("ckid"), c.PostForm("done_on"), c.PostForm("note"))
		return err
	})
}

func (s *Handlers) LogTAContactSubmit(c *gin.Context) {
	s.orgForm(c, "ta-contacts", "logged", func(o store.Organization) error {
		in := ta.TAContactInput{On: c.PostForm("on"), Mode: c.PostForm("mode"), Minutes: web.FormInt(c, "minutes"), Notes: c.PostForm("notes")}
		_, err := s.ta.LogTAContact(c.Request.Context(), o.ID, in, web.User(c))
		return err
	})
}
