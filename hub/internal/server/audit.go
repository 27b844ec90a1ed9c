package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/webui"
)

// Reads of data derived from what the sites sent are audited like changes.
// siteDataPrefixes are whole areas of such reads (any route, present or
// future, under them): the outcomes reports with fidelity, and technical
// assistance (the TA requests the sites wrote, the answers, and the TA
// work list with the sites fidelity flags). siteDataReads are the other
// routes that show them: the sites' sync status (when each last synced,
// the release it runs, its batch watermark), on the home page, the sites
// API, an organization's profile and the kits' list of sites by release.
// The sync API is the site reading its own status and the hub's content
// back, not a read of site data by staff, and is not audited as a read.
var (
	siteDataPrefixes = []string{"/outcomes", "/api/v1/outcomes", "/ta", "/api/v1/ta"}
	siteDataReads    = map[string]bool{
		"/": true, "/api/v1/sites": true,
		"/affiliates/:id": true, "/api/v1/organizations/:id": true,
		"/kits/sites": true, "/api/v1/release-sites": true,
	}
)

// readsSiteData reports whether a route shows data derived from sites.
func readsSiteData(route string) bool {
	if siteDataReads[route] {
		return true
	}
	for _, p := range siteDataPrefixes {
		if route == p || strings.HasPrefix(route, p+"/") {
			return true
		}
	}
	return false
}

// audited reports whether a request to a route is written to the audit log:
// every change (any method but GET, HEAD and OPTIONS), every read of data
// derived from sites, and the provider's sign-in callback.
func audited(method, route string) bool {
	if route == "" {
		return false
	}
	if !auth.Safe(method) || route == "/auth/oidc/callback" {
		return true
	}
	return readsSiteData(route)
}

// audit writes an entry for each audited request once it is answered: who
// (staff account and the roles it held, or the site, or nobody), the route
// pattern and method, the ids in the path, the status, the time. It never
// keeps a body or a query value. It sits on the engine, so routes added
// later are covered without doing anything.
func (s *Server) audit() gin.HandlerFunc {
	return func(c *gin.Context) {
		route := c.FullPath()
		if !audited(c.Request.Method, route) {
			c.Next()
			return
		}
		at := s.St.Now()
		defer func() {
			// A handler that panicked is answered 500 by the recovery
			// further out; its entry says so.
			if r := recover(); r != nil {
				s.writeAudit(c, at, route, http.StatusInternalServerError)
				panic(r)
			}
		}()
		c.Next()
		s.writeAudit(c, at, route, c.Writer.Status())
	}
}

func (s *Server) writeAudit(c *gin.Context, at time.Time, route string, status int) {
	e := store.AuditEntry{At: at, ActorKind: "anonymous", Method: c.Request.Method, Route: route,
		Status: status, RemoteIP: c.ClientIP()}
	var targets []string
	for _, p := range c.Params {
		targets = append(targets, p.Key+"="+store.AuditTarget(p.Key, p.Value))
	}
	if id := createdID(c, route); id != "" && c.Param("id") == "" {
		targets = append(targets, "id="+store.AuditTarget("id", id))
	}
	if webui.Repeated(c) {
		targets = append(targets, store.AuditRepeat)
	}
	e.Targets = truncate(strings.Join(targets, " "), 1000)
	u, ok := c.Get(web.CtxUser)
	if !ok {
		u, ok = c.Get(web.CtxAuditActor)
	}
	if user, isUser := u.(store.User); ok && isUser && user.ID != "" {
		e.ActorKind, e.ActorID, e.ActorEmail, e.Roles = "staff", user.ID, user.Email, truncate(user.RoleNames(), 1000)
	} else if site := c.GetString(web.CtxSiteID); site != "" {
		e.ActorKind, e.ActorID = "site", site
	}
	// The request may have been cancelled; the entry is written anyway.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 10*time.Second)
	defer cancel()
	if err := s.St.AddAudit(ctx, e); err != nil {
		s.Log.Error("audit log: entry not written", "route", route, "method", e.Method, "status", e.Status, "actor", e.ActorID, "err", err)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// createdID is the id of what a request made, when its answer sends the
// client to it (a form's 303, an API's 201 with a Location) at the
// route's own address and one segment more (POST /affiliates making
// /affiliates/<id>): so the line of a creation names what it created.
func createdID(c *gin.Context, route string) string {
	loc := c.Writer.Header().Get("Location")
	if loc == "" || c.Request.Method != http.MethodPost {
		return ""
	}
	if u, err := url.Parse(loc); err == nil {
		loc = u.Path
	}
	rest, ok := strings.CutPrefix(loc, strings.TrimPrefix(route, "/api/v1")+"/")
	if !ok {
		rest, ok = strings.CutPrefix(loc, route+"/")
	}
	if !ok || rest == "" {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}
