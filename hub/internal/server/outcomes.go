package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
)

// pomFilter reads and checks the filter; a Program Director only ever sees
// their own organization.
func (s *Server) pomFilter(c *gin.Context) (outcomes.POMFilter, *problem.Problem) {
	u := c.MustGet(web.CtxUser).(store.User)
	f := outcomes.POMFilter{OrgID: c.Query("org"), SiteID: c.Query("site")}
	var p *problem.Problem
	f.OrgID, p = s.scopeFilter(c, u, f.OrgID, f.SiteID)
	return f, p
}

// internal logs a failure and makes the problem the client sees; a client
// that went away is logged as such, and its problem is never read.
func (s *Server) internal(c *gin.Context, err error) *problem.Problem {
	if problem.ClientGone(c, err) {
		problem.LogGone(c, s.log, err)
		return problem.New(problem.StatusClientClosed, problem.TypeBadRequest, "The client went away.")
	}
	s.log.Error("request failed", "method", c.Request.Method, "route", c.FullPath(), "err", err)
	return problem.New(http.StatusInternalServerError, problem.TypeInternal, "The server could not complete the request. The failure has been logged.")
}

func (s *Server) apiPOM(c *gin.Context) {
	f, p := s.pomFilter(c)
	if p != nil {
		problem.Write(c, p)
		return
	}
	rep, err := s.outcomes.POMReport(c.Request.Context(), f, s.cfg.MinCell)
	if err != nil {
		problem.Internal(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

func (s *Server) apiSites(c *gin.Context) {
	u := c.MustGet(web.CtxUser).(store.User)
	org := c.Query("org")
	if u.Role == store.RoleDirector {
		org = u.OrgID
	}
	ss, err := s.st.Sites(c.Request.Context(), org)
	if err != nil {
		problem.Internal(c, s.log, err)
		return
	}
	out := []gin.H{}
	for _, st := range ss {
		out = append(out, gin.H{"id": st.ID, "org_id": st.OrgID, "name": st.Name, "enrolled_at": st.EnrolledAt, "revoked_at": st.RevokedAt,
			"release": st.Release, "last_seen_at": st.LastSeenAt, "batch_seq": st.BatchSeq})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) homePage(c *gin.Context) {
	u := c.MustGet(web.CtxUser).(store.User)
	ctx := c.Request.Context()
	org := ""
	if u.Role == store.RoleDirector {
		org = u.OrgID
	}
	sites, err := s.st.Sites(ctx, org)
	if err != nil {
		s.Respond(c, err)
		return
	}
	orgs, err := s.st.Organizations(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	names := map[string]string{}
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	s.Render(c, http.StatusOK, "home.html", gin.H{"Title": "Sites", "Sites": sites, "OrgNames": names})
}

func (s *Server) pomPage(c *gin.Context) {
	f, p := s.pomFilter(c)
	ctx := c.Request.Context()
	data := gin.H{"Title": "Personal Outcome Measures"}
	status := http.StatusOK
	if p != nil {
		status = p.Status
		data["Error"] = p.Detail
		f = outcomes.POMFilter{}
		if u := c.MustGet(web.CtxUser).(store.User); u.Role == store.RoleDirector {
			f.OrgID = u.OrgID
		}
	}
	rep, err := s.outcomes.POMReport(ctx, f, s.cfg.MinCell)
	if err != nil {
		s.Respond(c, err)
		return
	}
	orgs, _ := s.st.Organizations(ctx)
	sites, _ := s.st.Sites(ctx, f.OrgID)
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
	pending, _ := s.intake.PendingProjection(ctx)
	data["Report"], data["Orgs"], data["Sites"], data["Pending"] = rep, orgs, sites, pending
	data["Chart"] = pomChart(rep)
	s.Render(c, status, "pom.html", data)
}
