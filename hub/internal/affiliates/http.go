package affiliates

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
)

const (
	ctxOrg = "iml.org"
)

// OrgAccess loads the organization named by :id; a Program Director may
// only reach their own.
func (s *Handlers) OrgAccess(c *gin.Context) {
	o, err := s.St.FindOrganization(c.Request.Context(), c.Param("id"))
	if err == nil && o.ID != c.Param("id") {
		err = store.ErrNotFound // found by name: the path names organizations by id
	}
	if !s.Admit(c, err, "organization", o.ID, "You can only see your own organization.") {
		return
	}
	c.Set(ctxOrg, o)
	c.Next()
}

func orgOf(c *gin.Context) store.Organization { return c.MustGet(ctxOrg).(store.Organization) }

// orgView is an organization as the API shows it.
func orgView(o store.Organization) gin.H {
	return gin.H{"id": o.ID, "name": o.Name, "type": o.Type, "state": o.State, "stage": o.Stage, "stage_on": o.StageOn, "created_at": o.CreatedAt}
}

func (s *Handlers) APIOrganizations(c *gin.Context) {
	var f OrgFilter
	_ = c.ShouldBindQuery(&f)
	os, err := s.affiliates.FindOrganizations(c.Request.Context(), f)
	if err != nil {
		s.Respond(c, err)
		return
	}
	u := web.User(c)
	out := []gin.H{}
	for _, o := range os {
		if u.Role == store.RoleDirector && o.ID != u.OrgID {
			continue
		}
		out = append(out, orgView(o))
	}
	c.JSON(http.StatusOK, out)
}

func (s *Handlers) APIAddOrganization(c *gin.Context) {
	var in struct {
		OrgInput
		Since string `json:"since"`
	}
	if !s.ReadJSON(c, 16<<10, &in) {
		return
	}
	o, err := s.affiliates.AddOrganizationSince(c.Request.Context(), in.OrgInput, in.Since)
	s.Answer(c, http.StatusCreated, orgView(o), err)
}

// profile is everything the profile page and API show of an organization.
type profile struct {
	Org        store.Organization
	Contacts   []OrgContact
	Sites      []store.Site
	History    []StageChange
	Plan       *ta.TAPlan
	CheckIns   []ta.TACheckIn
	TAContacts []ta.TAContact
	Requests   []ta.TARequest
}

// loadProfile reads a profile; TA contact notes only for those who do TA work.
func (s *Handlers) loadProfile(c *gin.Context, o store.Organization) (profile, error) {
	ctx := c.Request.Context()
	p := profile{Org: o}
	var err error
	if p.Contacts, err = s.affiliates.Contacts(ctx, o.ID); err != nil {
		return p, err
	}
	if p.Sites, err = s.St.Sites(ctx, o.ID); err != nil {
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
	if ta.IsStaff(web.User(c)) {
		if p.TAContacts, err = s.ta.TAContacts(ctx, o.ID); err != nil {
			return p, err
		}
	}
	p.Requests, err = s.ta.TARequests(ctx, ta.TAFilter{OrgID: o.ID})
	return p, err
}

func (s *Handlers) APIOrganization(c *gin.Context) {
	p, err := s.loadProfile(c, orgOf(c))
	if err != nil {
		s.Respond(c, err)
		return
	}
	sites := []gin.H{}
	for _, st := range p.Sites {
		sites = append(sites, gin.H{"id": st.ID, "name": st.Name, "enrolled_at": st.EnrolledAt, "revoked_at": st.RevokedAt, "last_seen_at": st.LastSeenAt})
	}
	out := orgView(p.Org)
	out["contacts"], out["sites"], out["stage_history"] = web.NonNil(p.Contacts), sites, web.NonNil(p.History)
	out["next_stages"] = NextStages(p.Org.Stage)
	out["ta_plan"] = planView(p.Plan, p.CheckIns, s.St.Today())
	c.JSON(http.StatusOK, out)
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

func (s *Handlers) APIUpdateOrganization(c *gin.Context) {
	var in OrgInput
	if !s.ReadJSON(c, 16<<10, &in) {
		return
	}
	o, err := s.affiliates.UpdateOrganization(c.Request.Context(), orgOf(c).ID, in)
	s.Answer(c, http.StatusOK, orgView(o), err)
}

func (s *Handlers) APIAddContact(c *gin.Context) {
	var in ContactInput
	if !s.ReadJSON(c, 16<<10, &in) {
		return
	}
	ct, err := s.affiliates.AddContact(c.Request.Context(), orgOf(c).ID, in)
	s.Answer(c, http.StatusCreated, ct, err)
}

func (s *Handlers) APIRemoveContact(c *gin.Context) {
	err := s.affiliates.RemoveContact(c.Request.Context(), orgOf(c).ID, c.Param("cid"))
	s.Answer(c, http.StatusOK, gin.H{"removed": c.Param("cid")}, err)
}

func (s *Handlers) APIChangeStage(c *gin.Context) {
	var in StageInput
	if !s.ReadJSON(c, 16<<10, &in) {
		return
	}
	o, err := s.affiliates.ChangeStage(c.Request.Context(), orgOf(c).ID, in, web.StaffName(c))
	s.Answer(c, http.StatusOK, orgView(o), err)
}

func (s *Handlers) APIPlan(c *gin.Context) {
	p, cis, err := s.ta.Plan(c.Request.Context(), orgOf(c).ID)
	if errors.Is(err, store.ErrNotFound) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "The organization has no TA plan yet: it opens when the organization goes live (stage launched)."))
		return
	}
	s.Answer(c, http.StatusOK, planView(&p, cis, s.St.Today()), err)
}

func (s *Handlers) APIAssignPlan(c *gin.Context) {
	var in struct {
		SpecialistID string `json:"specialist_id"`
	}
	if !s.ReadJSON(c, 16<<10, &in) {
		return
	}
	err := s.ta.AssignPlan(c.Request.Context(), orgOf(c).ID, in.SpecialistID)
	if err == nil {
		s.APIPlan(c)
		return
	}
	s.Answer(c, http.StatusOK, nil, err)
}

type dueInput struct {
	DueOn string `json:"due_on"`
}

type doneInput struct {
	DoneOn string `json:"done_on"`
	Note   string `json:"note"`
}

func (s *Handlers) APIAddCheckIn(c *gin.Context) {
	var in dueInput
	if !s.ReadJSON(c, 16<<10, &in) {
		return
	}
	ci, err := s.ta.AddCheckIn(c.Request.Context(), orgOf(c).ID, in.DueOn)
	s.Answer(c, http.StatusCreated, ci, err)
}

func (s *Handlers) APIRescheduleCheckIn(c *gin.Context) {
	var in dueInput
	if !s.ReadJSON(c, 16<<10, &in) {
		return
	}
	ci, err := s.ta.RescheduleCheckIn(c.Request.Context(), orgOf(c).ID, c.Param("ckid"), in.DueOn)
	s.Answer(c, http.StatusOK, ci, err)
}

func (s *Handlers) APICompleteCheckIn(c *gin.Context) {
	var in doneInput
	if !s.ReadJSON(c, 16<<10, &in) {
		return
	}
	ci, err := s.ta.CompleteCheckIn(c.Request.Context(), orgOf(c).ID, c.Param("ckid"), in.DoneOn, in.Note)
	s.Answer(c, http.StatusOK, ci, err)
}

func (s *Handlers) APITAContacts(c *gin.Context) {
	cs, err := s.ta.TAContacts(c.Request.Context(), orgOf(c).ID)
	s.Answer(c, http.StatusOK, web.NonNil(cs), err)
}

func (s *Handlers) APILogTAContact(c *gin.Context) {
	var in ta.TAContactInput
	if !s.ReadJSON(c, 32<<10, &in) {
		return
	}
	ct, err := s.ta.LogTAContact(c.Request.Context(), orgOf(c).ID, in, web.User(c))
	s.Answer(c, http.StatusCreated, ct, err)
}
