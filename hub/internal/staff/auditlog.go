package staff

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

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
)

// auditFilter reads the search form or query: actor, action, from, to
// (dates as YYYY-MM-DD, to inclusive) and before (an entry id, to page).
func auditFilter(c *gin.Context) (AuditFilter, []problem.FieldError) {
	f := AuditFilter{Actor: c.Query("actor"), Action: c.Query("action")}
	var errs []problem.FieldError
	day := func(field string) time.Time {
		v := strings.TrimSpace(c.Query(field))
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			errs = append(errs, problem.FieldError{Field: field, Detail: "Enter a date such as 2026-03-04"})
		}
		return t
	}
	f.From = day("from")
	if to := day("to"); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs = append(errs, problem.FieldError{Field: "to", Detail: "Enter a day on or after the From day"})
	}
	if b := c.Query("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			errs = append(errs, problem.FieldError{Field: "before", Detail: "Open the older entries from the log's link: this is not an entry's number"})
		}
		f.Before = n
	}
	if len(f.Actor) > 200 {
		errs = append(errs, problem.FieldError{Field: "actor", Detail: "Enter at most 200 characters"})
	}
	if len(f.Action) > 300 {
		errs = append(errs, problem.FieldError{Field: "action", Detail: "Enter at most 300 characters"})
	}
	return f, errs
}

// searchError is what the page says of a search it cannot run.
func searchError(errs []problem.FieldError) string {
	label := map[string]string{"from": "From", "to": "To", "actor": "Actor", "before": "Older entries"}[errs[0].Field]
	return "Check the search (" + label + "): " + errs[0].Detail + "."
}

const auditPage = 100

func (s *Handlers) APIAudit(c *gin.Context) {
	f, errs := auditFilter(c)
	if errs != nil {
		problem.Write(c, problem.Validation("The search is not valid.", errs...))
		return
	}
	es, err := s.staff.Audit(c.Request.Context(), f, auditPage)
	var rows []AuditRow
	if err == nil {
		rows, err = s.staff.AuditRows(c.Request.Context(), es)
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	out := gin.H{"entries": web.NonNil(rows)}
	if len(es) == auditPage {
		out["next_before"] = es[len(es)-1].ID
	}
	c.JSON(http.StatusOK, out)
}

var auditCSVHeader = []string{"id", "at", "actor_kind", "actor_id", "actor_email", "roles", "method", "route", "targets", "status", "remote_ip"}

// auditExport streams the matching entries as CSV, oldest first.
func (s *Handlers) AuditExport(c *gin.Context) {
	f, errs := auditFilter(c)
	if errs != nil {
		if web.IsAPI(c) {
			problem.Write(c, problem.Validation("The search is not valid.", errs...))
			return
		}
		s.Render(c, http.StatusUnprocessableEntity, "error.html", gin.H{"Title": "Audit export", "Message": searchError(errs)})
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="hub-audit-`+s.St.Now().Format("20060102-150405")+`.csv"`)
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
		s.Log.Error("audit export", "err", err)
	}
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Handlers) AuditPage(c *gin.Context) {
	f, errs := auditFilter(c)
	data := gin.H{"Title": "Audit log", "Q": gin.H{"Actor": c.Query("actor"), "Action": c.Query("action"), "From": c.Query("from"), "To": c.Query("to")}}
	status := http.StatusOK
	if errs != nil {
		// The search is shown as typed, with its mistakes, and the
		// latest entries.
		fe := map[string]string{}
		for _, e := range errs {
			fe[e.Field] = e.Detail
		}
		status = http.StatusUnprocessableEntity
		data["Errors"] = map[string]map[string]string{"search": fe}
		f = AuditFilter{}
	}
	es, err := s.staff.Audit(c.Request.Context(), f, auditPage)
	var rows []AuditRow
	if err == nil {
		rows, err = s.staff.AuditRows(c.Request.Context(), es)
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	data["Entries"] = rows
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
