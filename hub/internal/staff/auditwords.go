package staff

import (
	"context"
	"slices"
	"strings"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/webui"
)

// auditWords are the audited actions in words, by method and route (the
// API's "/api/v1" taken off: a page and its API say the same).
var auditWords = map[string]string{
	"POST /sync/enroll": "Enrolled a site", "POST /sync/push": "Sent records (a site's sync)", "POST /sync/ta-requests": "Sent TA requests (a site's sync)",
	"POST /auth/login": "Signed in", "POST /login": "Signed in", "POST /logout": "Signed out", "GET /auth/oidc/callback": "Signed in through the provider",
	"POST /users/:id/roles": "Gave a role", "POST /admin/users/:id/roles": "Gave a role",
	"DELETE /users/:id/roles/:assignment": "Took a role away", "POST /admin/users/:id/roles/:assignment/delete": "Took a role away",
	"POST /organizations": "Added an affiliate", "POST /affiliates": "Added an affiliate",
	"PUT /organizations/:id": "Changed an affiliate's details", "POST /affiliates/:id": "Changed an affiliate's details",
	"POST /organizations/:id/contacts": "Added a contact", "POST /affiliates/:id/contacts": "Added a contact",
	"DELETE /organizations/:id/contacts/:cid": "Removed a contact", "POST /affiliates/:id/contacts/:cid/remove": "Removed a contact",
	"POST /organizations/:id/stage": "Moved an affiliate to a new stage", "POST /affiliates/:id/stage": "Moved an affiliate to a new stage",
	"PUT /organizations/:id/ta-plan": "Set the TA specialist", "POST /affiliates/:id/plan": "Set the TA specialist",
	"POST /organizations/:id/ta-plan/check-ins": "Scheduled a check-in", "POST /affiliates/:id/check-ins": "Scheduled a check-in",
	"PUT /organizations/:id/ta-plan/check-ins/:ckid": "Moved a check-in", "POST /affiliates/:id/check-ins/:ckid": "Moved a check-in",
	"POST /organizations/:id/ta-plan/check-ins/:ckid/done": "Marked a check-in done", "POST /affiliates/:id/check-ins/:ckid/done": "Marked a check-in done",
	"POST /organizations/:id/ta-contacts": "Logged a TA contact", "POST /affiliates/:id/ta-contacts": "Logged a TA contact",
	"POST /ta/requests/:rid/assign": "Assigned a TA request", "POST /ta/requests/:rid/answer": "Answered a TA request", "POST /ta/requests/:rid/close": "Closed a TA request",
	"POST /release-drafts": "Started a release draft", "POST /kits/drafts": "Started a release draft",
	"PUT /release-drafts/:id/content": "Changed a draft's content", "POST /kits/drafts/:id/content": "Changed a draft's content",
	"POST /release-drafts/:id/files": "Attached a file to a draft", "POST /kits/drafts/:id/files": "Attached a file to a draft",
	"DELETE /release-drafts/:id/files/:sha": "Removed a file from a draft", "POST /kits/drafts/:id/files/remove": "Removed a file from a draft",
	"POST /release-drafts/:id/publish": "Published a release", "POST /kits/drafts/:id/publish": "Published a release",
	"DELETE /release-drafts/:id": "Deleted a release draft", "POST /kits/drafts/:id/delete": "Deleted a release draft",
	"POST /releases/:version/retire": "Retired a release", "POST /kits/releases/:version/retire": "Retired a release",
	"POST /trainees": "Added a trainee", "POST /training/people": "Added a trainee",
	"POST /trainees/:id/modules": "Recorded a completed module", "POST /training/people/:id/modules": "Recorded a completed module",
	"POST /trainees/:id/certification": "Certified a trainee", "POST /training/people/:id/certify": "Certified a trainee",
	"POST /trainees/:id/director-sessions": "Recorded a director session", "POST /training/people/:id/sessions": "Recorded a director session",
	"POST /training-events": "Added a training event", "POST /training/events": "Added a training event",
	"POST /training-events/:id/registrations": "Registered a trainee", "POST /training/events/:id/register": "Registered a trainee",
	"POST /training-events/:id/attendance": "Marked attendance", "POST /training/events/:id/attendance": "Marked attendance",
	"POST /certifications/:code/renew": "Renewed a certification", "POST /training/people/:id/renew": "Renewed a certification",
	"POST /certifications/:code/revoke": "Revoked a certification", "POST /training/people/:id/revoke": "Revoked a certification",
	"GET /": "Opened the home page (the sites' sync status)", "GET /sites": "Read the sites' sync status",
	"GET /affiliates/:id": "Opened an affiliate's page", "GET /organizations/:id": "Read an affiliate's profile",
	"GET /kits/sites": "Read which release each site runs", "GET /release-sites": "Read which release each site runs",
}

// AuditAction is an audited request's action in words: the table's, or
// for the reads of an area, what was read.
func AuditAction(method, route string) string {
	r := strings.TrimPrefix(route, "/api/v1")
	if r == "" {
		r = "/"
	}
	if w, ok := auditWords[method+" "+r]; ok {
		return w
	}
	switch {
	case strings.HasPrefix(r, "/outcomes"):
		return "Read the outcomes reports"
	case strings.HasPrefix(r, "/ta"):
		return "Read technical assistance"
	}
	return method + " " + route
}

// auditSubjects are the kinds of record a route's :id names, by the
// route's start (the API's "/api/v1" taken off), with the query that
// names them.
var auditSubjects = []struct{ prefix, kind, query string }{
	{"/affiliates/:id", "organization", "SELECT id, name FROM organizations WHERE id IN ?"},
	{"/organizations/:id", "organization", "SELECT id, name FROM organizations WHERE id IN ?"},
	{"/admin/users/:id", "user", "SELECT id, email AS name FROM users WHERE id IN ?"},
	{"/users/:id", "user", "SELECT id, email AS name FROM users WHERE id IN ?"},
	{"/training/people/:id", "trainee", "SELECT id, name FROM trainees WHERE id IN ?"},
	{"/trainees/:id", "trainee", "SELECT id, name FROM trainees WHERE id IN ?"},
	{"/training/events/:id", "event", "SELECT id, title AS name FROM training_events WHERE id IN ?"},
	{"/training-events/:id", "event", "SELECT id, title AS name FROM training_events WHERE id IN ?"},
}

// AuditRow is an audit entry with its action and subject in words, and
// the site that acted by name.
type AuditRow struct {
	store.AuditEntry
	ActionLabel string `json:"action_label"`
	SubjectName string `json:"subject_name,omitempty"`
	ActorName   string `json:"actor_name,omitempty"`
	// Outcome is the answer in words: done, refused or failed.
	Outcome string `json:"-"`
}

// auditID is the :id an entry's targets name ("id=<uuid>"), or "".
func auditID(e store.AuditEntry) string {
	for _, t := range strings.Fields(e.Targets) {
		if v, ok := strings.CutPrefix(t, "id="); ok {
			return v
		}
	}
	return ""
}

// auditSubject is the kind and query of what an entry's route names.
func auditSubject(route string) (kind, query string) {
	r := strings.TrimPrefix(route, "/api/v1")
	for _, s := range auditSubjects {
		// The record itself, under it, or the collection it was made in
		// (the audit line's id is then what was made).
		if r == s.prefix || strings.HasPrefix(r, s.prefix+"/") || r+"/:id" == s.prefix {
			return s.kind, s.query
		}
	}
	return "", ""
}

// AuditRows gives entries their words: the action, the record the route
// names (an affiliate, an account by email, a trainee, an event) and the
// site that acted, where they are still there.
func (s *Store) AuditRows(ctx context.Context, es []store.AuditEntry) ([]AuditRow, error) {
	ids, queries := map[string][]string{}, map[string]string{"site": "SELECT id, name FROM sites WHERE id IN ?"}
	for _, e := range es {
		if kind, q := auditSubject(e.Route); kind != "" && auditID(e) != "" {
			ids[kind], queries[kind] = append(ids[kind], auditID(e)), q
		}
		if e.ActorKind == "site" {
			ids["site"] = append(ids["site"], e.ActorID)
		}
	}
	names := map[string]string{}
	for kind, list := range ids {
		var rows []struct{ ID, Name string }
		if err := s.DB.WithContext(ctx).Raw(queries[kind], list).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			names[kind+"|"+r.ID] = r.Name
		}
	}
	out := make([]AuditRow, len(es))
	for i, e := range es {
		kind, _ := auditSubject(e.Route)
		out[i] = AuditRow{AuditEntry: e, ActionLabel: AuditAction(e.Method, e.Route), SubjectName: names[kind+"|"+auditID(e)], Outcome: webui.Outcome(e.Status)}
		if slices.Contains(strings.Fields(e.Targets), store.AuditRepeat) {
			out[i].Outcome = webui.RepeatedOutcome
		}
		if e.ActorKind == "site" {
			out[i].ActorName = names["site|"+e.ActorID]
		}
	}
	return out, nil
}
