package outcomes

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
)

// pomFilter reads and checks the filter; a Program Director only ever sees
// their own organization.
func (s *Handlers) pomFilter(c *gin.Context) (POMFilter, *problem.Problem) {
	u := c.MustGet(web.CtxUser).(store.User)
	f := POMFilter{OrgID: c.Query("org"), SiteID: c.Query("site")}
	var p *problem.Problem
	f.OrgID, p = s.scopeFilter(c, u, f.OrgID, f.SiteID)
	return f, p
}

func (s *Handlers) APIPOM(c *gin.Context) {
	f, p := s.pomFilter(c)
	if p != nil {
		problem.Write(c, p)
		return
	}
	rep, err := s.outcomes.POMReport(c.Request.Context(), f, s.minCell)
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

func (s *Handlers) APISites(c *gin.Context) {
	u := c.MustGet(web.CtxUser).(store.User)
	org := c.Query("org")
	if u.Role == store.RoleDirector {
		org = u.OrgID
	}
	ss, err := s.St.Sites(c.Request.Context(), org)
	if err != nil {
		s.Respond(c, err)
		return
	}
	out := []gin.H{}
	for _, st := range ss {
		out = append(out, gin.H{"id": st.ID, "org_id": st.OrgID, "name": st.Name, "enrolled_at": st.EnrolledAt, "revoked_at": st.RevokedAt,
			"release": st.Release, "last_seen_at": st.LastSeenAt, "batch_seq": st.BatchSeq})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Handlers) HomePage(c *gin.Context) {
	u := c.MustGet(web.CtxUser).(store.User)
	ctx := c.Request.Context()
	org := ""
	if u.Role == store.RoleDirector {
		org = u.OrgID
	}
	sites, err := s.St.Sites(ctx, org)
	if err != nil {
		s.Respond(c, err)
		return
	}
	_, names, err := s.St.OrganizationNames(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.Render(c, http.StatusOK, "home.html", gin.H{"Title": "Sites", "Sites": sites, "OrgNames": names})
}

func (s *Handlers) PomPage(c *gin.Context) {
	f, p := s.pomFilter(c)
	ctx := c.Request.Context()
	data := gin.H{"Title": "Personal Outcome Measures"}
	status := http.StatusOK
	if p != nil {
		status = p.Status
		data["Error"] = p.Detail
		f = POMFilter{}
		if u := c.MustGet(web.CtxUser).(store.User); u.Role == store.RoleDirector {
			f.OrgID = u.OrgID
		}
	}
	rep, err := s.outcomes.POMReport(ctx, f, s.minCell)
	if err != nil {
		s.Respond(c, err)
		return
	}
	orgs, _ := s.St.Organizations(ctx)
	sites, _ := s.St.Sites(ctx, f.OrgID)
	u := c.MustGet(web.CtxUser).(store.User)
	if u.Role == store.RoleDirector {
		var own []store.Organization
		for _, o := range orgs {
			if o.ID == u.OrgID {
				own = append(own, o)
			}
		}
		orgs = own
	}
	pending, _ := s.St.PendingProjection(ctx)
	data["Report"], data["Orgs"], data["Sites"], data["Pending"] = rep, orgs, sites, pending
	data["Chart"] = pomChart(rep)
	s.Render(c, status, "pom.html", data)
}
