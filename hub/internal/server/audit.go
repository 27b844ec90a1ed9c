package server

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/problem"
)

// ctxAuditActor is the account a sign-in handler identified (signed in or
// refused), for the audit entry of a request that had no session.
const ctxAuditActor = "iml.audit.actor"

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
		at := s.st.Now()
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
	e.Targets = truncate(strings.Join(targets, " "), 1000)
	u, ok := c.Get(web.CtxUser)
	if !ok {
		u, ok = c.Get(ctxAuditActor)
	}
	if user, isUser := u.(store.User); ok && isUser && user.ID != "" {
		e.ActorKind, e.ActorID, e.ActorEmail, e.Roles = "staff", user.ID, user.Email, truncate(user.RoleNames(), 1000)
	} else if site := c.GetString(web.CtxSiteID); site != "" {
		e.ActorKind, e.ActorID = "site", site
	}
	// The request may have been cancelled; the entry is written anyway.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 10*time.Second)
	defer cancel()
	if err := s.st.AddAudit(ctx, e); err != nil {
		s.log.Error("audit log: entry not written", "route", route, "method", e.Method, "status", e.Status, "actor", e.ActorID, "err", err)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// auditFilter reads the search form or query: actor, action, from, to
// (dates as YYYY-MM-DD, to inclusive) and before (an entry id, to page).
func auditFilter(c *gin.Context) (staff.AuditFilter, []problem.FieldError) {
	f := staff.AuditFilter{Actor: c.Query("actor"), Action: c.Query("action")}
	var errs []problem.FieldError
	day := func(field string) time.Time {
		v := strings.TrimSpace(c.Query(field))
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			errs = append(errs, problem.FieldError{Field: field, Detail: "is not a date (YYYY-MM-DD)"})
		}
		return t
	}
	f.From = day("from")
	if to := day("to"); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs = append(errs, problem.FieldError{Field: "to", Detail: "is before from"})
	}
	if b := c.Query("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			errs = append(errs, problem.FieldError{Field: "before", Detail: "is not an entry id"})
		}
		f.Before = n
	}
	if len(f.Actor) > 200 || len(f.Action) > 300 {
		errs = append(errs, problem.FieldError{Field: "actor", Detail: "is too long"})
	}
	return f, errs
}

const auditPage = 100

func (s *Server) apiAudit(c *gin.Context) {
	f, errs := auditFilter(c)
	if errs != nil {
		problem.Write(c, problem.Validation("The search is not valid.", errs...))
		return
	}
	es, err := s.staff.Audit(c.Request.Context(), f, auditPage)
	if err != nil {
		problem.Internal(c, s.log, err)
		return
	}
	out := gin.H{"entries": es}
	if len(es) == auditPage {
		out["next_before"] = es[len(es)-1].ID
	}
	c.JSON(http.StatusOK, out)
}

var auditCSVHeader = []string{"id", "at", "actor_kind", "actor_id", "actor_email", "roles", "method", "route", "targets", "status", "remote_ip"}

// auditExport streams the matching entries as CSV, oldest first.
func (s *Server) auditExport(c *gin.Context) {
	f, errs := auditFilter(c)
	if errs != nil {
		if web.IsAPI(c) {
			problem.Write(c, problem.Validation("The search is not valid.", errs...))
			return
		}
		s.Render(c, http.StatusUnprocessableEntity, "error.html", gin.H{"Title": "Audit export", "Message": "The search is not valid: " + errs[0].Field + " " + errs[0].Detail + "."})
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="hub-audit-`+s.st.Now().Format("20060102-150405")+`.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write(auditCSVHeader)
	n := 0
	err := s.staff.EachAudit(c.Request.Context(), f, func(e store.AuditEntry) error {
		if err := w.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339), e.ActorKind, e.ActorID, csvSafe(e.ActorEmail), e.Roles,
			e.Method, e.Route, csvSafe(e.Targets), strconv.Itoa(e.Status), e.RemoteIP}); err != nil {
			return err
		}
		if n++; n%500 == 0 {
			w.Flush()
		}
		return w.Error()
	})
	w.Flush()
	if err != nil && !errors.Is(err, context.Canceled) {
		// The status is sent; the truncated file ends without its last
		// rows and the cause goes to the log.
		s.log.Error("audit export", "err", err)
	}
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Server) auditPage(c *gin.Context) {
	f, errs := auditFilter(c)
	data := gin.H{"Title": "Audit log", "Q": gin.H{"Actor": c.Query("actor"), "Action": c.Query("action"), "From": c.Query("from"), "To": c.Query("to")}}
	status := http.StatusOK
	if errs != nil {
		status = http.StatusUnprocessableEntity
		data["Error"] = "The search is not valid: " + errs[0].Field + " " + errs[0].Detail + "."
		f = staff.AuditFilter{}
	}
	es, err := s.staff.Audit(c.Request.Context(), f, auditPage)
	if err != nil {
		s.Respond(c, err)
		return
	}
	data["Entries"] = es
	q := url.Values{}
	for _, k := range []string{"actor", "action", "from", "to"} {
		if v := c.Query(k); v != "" && errs == nil {
			q.Set(k, v)
		}
	}
	data["ExportURL"] = "/admin/audit.csv?" + q.Encode()
	if len(es) == auditPage {
		q.Set("before", strconv.FormatInt(es[len(es)-1].ID, 10))
		data["OlderURL"] = "/admin/audit?" + q.Encode()
	}
	s.Render(c, status, "audit.html", data)
}
