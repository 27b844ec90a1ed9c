package server_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/kits"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/hub/internal/training"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/routetest"
)

// Who may call a route.
type access int

const (
	// public: anyone; the answer does not depend on who asks.
	public access = iota
	// siteOnly: the sync API, for an agent's credential; no staff session
	// and nobody anonymous gets in.
	siteOnly
	// staffAPI and staffPage: signed-in staff holding one of the route's
	// roles; the API answers 401 without a session, the pages send to the
	// sign-in page.
	staffAPI
	staffPage
)

var (
	everyRole = store.Roles
	adminOnly = []string{store.RoleAdmin}
	// The affiliates feature: TA staff change, every role reads (a
	// director their own organization).
	taStaff    = []string{store.RoleAdmin, store.RoleTA}
	orgReaders = everyRole
	// Kits and training: trainers and admins; an organization's registry
	// also for TA and that organization's director.
	kitStaff      = []string{store.RoleAdmin, store.RoleTrainer}
	registryRoles = []string{store.RoleAdmin, store.RoleTrainer, store.RoleTA, store.RoleDirector}
)

var eventBody = map[string]any{"title": "Spring training", "mode": "in_person", "starts_on": "2026-04-01", "ends_on": "2026-04-03",
	"location": "Richmond", "trainer": "Tess", "capacity": 10}

// route is one row of the authorization matrix.
type route struct {
	access access
	roles  []string
	// path is the request path (with query) for a fixture; the row's key
	// is the pattern.
	path func(f *fixture) string
	// body is sent as JSON to the API and as a form to the pages.
	body map[string]any
	// otherOrg, for a route that names an organization or site: the path
	// naming organization A's. A Program Director of organization B must
	// be refused or answered without a trace of A.
	otherOrg func(f *fixture) string
	// freshSession: the request ends the session (sign out).
	freshSession bool
	// raw, when set, is the JSON body as is (a whole document).
	raw func(f *fixture) []byte
	// upload sends a kit file as multipart form data.
	upload bool
}

func fixed(p string) func(*fixture) string { return func(*fixture) string { return p } }

// fx fills a path's {name}s from the fixture's values.
func fx(p string) func(*fixture) string { return func(f *fixture) string { return f.fill(p) } }

// matrix classifies every route on the hub. A route registered on the
// engine and missing here fails TestAuthorizationMatrix: whoever adds a
// route says who may call it.
var matrix = map[string]route{
	"GET /static/*filepath":  {access: public, path: fixed("/static/style.css")},
	"HEAD /static/*filepath": {access: public, path: fixed("/static/style.css")},
	"GET /healthz":           {access: public, path: fixed("/healthz")},
	"GET /readyz":            {access: public, path: fixed("/readyz")},
	"GET /login":             {access: public, path: fixed("/login")},
	"POST /login":            {access: public, path: fixed("/login"), body: map[string]any{"email": "nobody@example.org", "password": "not a password!"}},
	"POST /api/v1/auth/login": {access: public, path: fixed("/api/v1/auth/login"),
		body: map[string]any{"email": "nobody@example.org", "password": "not a password!"}},
	"GET /auth/oidc/start":    {access: public, path: fixed("/auth/oidc/start")},
	"GET /auth/oidc/callback": {access: public, path: fixed("/auth/oidc/callback?state=x&code=y")},

	"POST /api/v1/sync/enroll":      {access: public, path: fixed(contract.PathEnroll), body: map[string]any{"token": "imlenr_unknown"}},
	"GET /api/v1/sync/status":       {access: siteOnly, path: fixed(contract.PathStatus)},
	"POST /api/v1/sync/push":        {access: siteOnly, path: fixed(contract.PathPush), body: map[string]any{}},
	"GET /api/v1/sync/pull":         {access: siteOnly, path: fixed(contract.PathPull)},
	"POST /api/v1/sync/ta-requests": {access: siteOnly, path: fixed("/api/v1/sync/ta-requests"), body: map[string]any{}},
	"GET /api/v1/sync/files/:sha":   {access: siteOnly, path: fx(contract.PathFiles + "{sha}")},

	"GET /api/v1/me": {access: staffAPI, roles: everyRole, path: fixed("/api/v1/me")},
	"GET /api/v1/sites": {access: staffAPI, roles: everyRole, path: fixed("/api/v1/sites"),
		otherOrg: func(f *fixture) string { return "/api/v1/sites?org=" + f.orgA.ID }},
	"GET /api/v1/outcomes/pom": {access: staffAPI, roles: everyRole, path: fixed("/api/v1/outcomes/pom"),
		otherOrg: func(f *fixture) string { return "/api/v1/outcomes/pom?org=" + f.orgA.ID }},
	"GET /api/v1/users":     {access: staffAPI, roles: adminOnly, path: fixed("/api/v1/users")},
	"GET /api/v1/users/:id": {access: staffAPI, roles: adminOnly, path: func(f *fixture) string { return "/api/v1/users/" + f.target.ID }},
	"POST /api/v1/users/:id/roles": {access: staffAPI, roles: adminOnly, path: func(f *fixture) string { return "/api/v1/users/" + f.target.ID + "/roles" },
		body: map[string]any{"role": store.RoleAnalyst}},
	"DELETE /api/v1/users/:id/roles/:assignment": {access: staffAPI, roles: adminOnly,
		path: func(f *fixture) string { return "/api/v1/users/" + f.target.ID + "/roles/" + f.targetRole.ID }},
	"GET /api/v1/audit":        {access: staffAPI, roles: adminOnly, path: fixed("/api/v1/audit?actor=x")},
	"GET /api/v1/audit/export": {access: staffAPI, roles: adminOnly, path: fixed("/api/v1/audit/export")},

	"GET /":             {access: staffPage, roles: everyRole, path: fixed("/"), otherOrg: fixed("/")},
	"POST /logout":      {access: staffPage, roles: everyRole, path: fixed("/logout"), freshSession: true},
	"GET /outcomes/pom": {access: staffPage, roles: everyRole, path: fixed("/outcomes/pom"), otherOrg: func(f *fixture) string { return "/outcomes/pom?org=" + f.orgA.ID }},

	// The outcomes report: every role, a director held to their own
	// organization (asking for another's is refused or shows nothing of it).
	"GET /api/v1/outcomes/report": {access: staffAPI, roles: everyRole, path: fixed("/api/v1/outcomes/report"),
		otherOrg: func(f *fixture) string { return "/api/v1/outcomes/report?org=" + f.orgA.ID }},
	"GET /api/v1/outcomes/fidelity": {access: staffAPI, roles: everyRole, path: fixed("/api/v1/outcomes/fidelity"),
		otherOrg: func(f *fixture) string { return "/api/v1/outcomes/fidelity?org=" + f.orgA.ID }},
	"GET /outcomes": {access: staffPage, roles: everyRole, path: fixed("/outcomes"),
		otherOrg: func(f *fixture) string { return "/outcomes?org=" + f.orgA.ID }},
	"GET /outcomes/print": {access: staffPage, roles: everyRole, path: fixed("/outcomes/print"),
		otherOrg: func(f *fixture) string { return "/outcomes/print?org=" + f.orgA.ID }},
	"GET /outcomes/fidelity": {access: staffPage, roles: everyRole, path: fixed("/outcomes/fidelity"),
		otherOrg: func(f *fixture) string { return "/outcomes/fidelity?site=" + f.siteA.ID }},
	"GET /outcomes/export/:table": {access: staffPage, roles: everyRole, path: fixed("/outcomes/export/sites.csv"),
		otherOrg: func(f *fixture) string { return "/outcomes/export/sites.csv?org=" + f.orgA.ID }},
	"GET /admin/users": {access: staffPage, roles: adminOnly, path: fixed("/admin/users")},
	"POST /admin/users/:id/roles": {access: staffPage, roles: adminOnly, path: func(f *fixture) string { return "/admin/users/" + f.target.ID + "/roles" },
		body: map[string]any{"role": store.RoleTA}},
	"POST /admin/users/:id/roles/:assignment/delete": {access: staffPage, roles: adminOnly,
		path: func(f *fixture) string {
			return "/admin/users/" + f.target2.ID + "/roles/" + f.targetRole2.ID + "/delete"
		}},
	"GET /admin/audit":     {access: staffPage, roles: adminOnly, path: fixed("/admin/audit")},
	"GET /admin/audit.csv": {access: staffPage, roles: adminOnly, path: fixed("/admin/audit.csv")},

	// Affiliates and first-year TA: admins and TA specialists change;
	// every role reads; a director only their own organization. A row a
	// director may call names organization B's (the director's own) and
	// otherOrg A's; a row only TA staff may call names A's.
	"GET /api/v1/organizations":     {access: staffAPI, roles: orgReaders, path: fixed("/api/v1/organizations"), otherOrg: fixed("/api/v1/organizations")},
	"POST /api/v1/organizations":    {access: staffAPI, roles: taStaff, path: fixed("/api/v1/organizations"), body: map[string]any{"name": "Gamma House", "type": "peer_run", "state": "NC"}},
	"GET /api/v1/organizations/:id": {access: staffAPI, roles: orgReaders, path: fx("/api/v1/organizations/{orgB}"), otherOrg: fx("/api/v1/organizations/{orgA}")},
	"PUT /api/v1/organizations/:id": {access: staffAPI, roles: taStaff, path: fx("/api/v1/organizations/{orgA}"), otherOrg: fx("/api/v1/organizations/{orgA}"),
		body: map[string]any{"name": "Alpha Peer Center", "type": "peer_run", "state": "VA"}},
	"POST /api/v1/organizations/:id/contacts": {access: staffAPI, roles: taStaff, path: fx("/api/v1/organizations/{orgA}/contacts"), otherOrg: fx("/api/v1/organizations/{orgA}/contacts"),
		body: map[string]any{"name": "Pat Lead", "role": "director", "email": "pat@example.org"}},
	"DELETE /api/v1/organizations/:id/contacts/:cid": {access: staffAPI, roles: taStaff, path: fx("/api/v1/organizations/{orgA}/contacts/{contactA}"), otherOrg: fx("/api/v1/organizations/{orgA}/contacts/{contactA}")},
	"POST /api/v1/organizations/:id/stage": {access: staffAPI, roles: taStaff, path: fx("/api/v1/organizations/{orgA}/stage"), otherOrg: fx("/api/v1/organizations/{orgA}/stage"),
		body: map[string]any{"to": affiliates.StageFirstYearTA, "on": "{today}"}},
	"GET /api/v1/organizations/:id/ta-plan": {access: staffAPI, roles: orgReaders, path: fx("/api/v1/organizations/{orgB}/ta-plan"), otherOrg: fx("/api/v1/organizations/{orgA}/ta-plan")},
	"PUT /api/v1/organizations/:id/ta-plan": {access: staffAPI, roles: taStaff, path: fx("/api/v1/organizations/{orgA}/ta-plan"), otherOrg: fx("/api/v1/organizations/{orgA}/ta-plan"),
		body: map[string]any{"specialist_id": "{specialist}"}},
	"POST /api/v1/organizations/:id/ta-plan/check-ins": {access: staffAPI, roles: taStaff, path: fx("/api/v1/organizations/{orgA}/ta-plan/check-ins"), otherOrg: fx("/api/v1/organizations/{orgA}/ta-plan/check-ins"),
		body: map[string]any{"due_on": "{due}"}},
	"PUT /api/v1/organizations/:id/ta-plan/check-ins/:ckid": {access: staffAPI, roles: taStaff, path: fx("/api/v1/organizations/{orgA}/ta-plan/check-ins/{checkInMove}"), otherOrg: fx("/api/v1/organizations/{orgA}/ta-plan/check-ins/{checkInMove}"),
		body: map[string]any{"due_on": "{due}"}},
	"POST /api/v1/organizations/:id/ta-plan/check-ins/:ckid/done": {access: staffAPI, roles: taStaff, path: fx("/api/v1/organizations/{orgA}/ta-plan/check-ins/{checkIn}/done"), otherOrg: fx("/api/v1/organizations/{orgA}/ta-plan/check-ins/{checkIn}/done"),
		body: map[string]any{"done_on": "{today}", "note": "met"}},
	"GET /api/v1/organizations/:id/ta-contacts": {access: staffAPI, roles: taStaff, path: fx("/api/v1/organizations/{orgA}/ta-contacts"), otherOrg: fx("/api/v1/organizations/{orgA}/ta-contacts")},
	"POST /api/v1/organizations/:id/ta-contacts": {access: staffAPI, roles: taStaff, path: fx("/api/v1/organizations/{orgA}/ta-contacts"), otherOrg: fx("/api/v1/organizations/{orgA}/ta-contacts"),
		body: map[string]any{"on": "{today}", "mode": "phone", "minutes": 20, "notes": "call"}},
	"GET /api/v1/ta/work":          {access: staffAPI, roles: taStaff, path: fixed("/api/v1/ta/work")},
	"GET /api/v1/ta/requests":      {access: staffAPI, roles: orgReaders, path: fixed("/api/v1/ta/requests"), otherOrg: fx("/api/v1/ta/requests?org={orgA}")},
	"GET /api/v1/ta/requests/:rid": {access: staffAPI, roles: orgReaders, path: fx("/api/v1/ta/requests/{taB}"), otherOrg: fx("/api/v1/ta/requests/{taA}")},
	"POST /api/v1/ta/requests/:rid/assign": {access: staffAPI, roles: taStaff, path: fx("/api/v1/ta/requests/{taA}/assign"), otherOrg: fx("/api/v1/ta/requests/{taA}/assign"),
		body: map[string]any{"assignee_id": "{specialist}"}},
	"POST /api/v1/ta/requests/:rid/answer": {access: staffAPI, roles: taStaff, path: fx("/api/v1/ta/requests/{taA}/answer"), otherOrg: fx("/api/v1/ta/requests/{taA}/answer"),
		body: map[string]any{"answer": "Weekly, for an hour."}},
	"POST /api/v1/ta/requests/:rid/close": {access: staffAPI, roles: taStaff, path: fx("/api/v1/ta/requests/{taA}/close"), otherOrg: fx("/api/v1/ta/requests/{taA}/close")},

	"GET /affiliates":     {access: staffPage, roles: orgReaders, path: fixed("/affiliates"), otherOrg: fixed("/affiliates")},
	"POST /affiliates":    {access: staffPage, roles: taStaff, path: fixed("/affiliates"), body: map[string]any{"name": "Delta Commons", "type": "peer_run", "state": "NC"}},
	"GET /affiliates/:id": {access: staffPage, roles: orgReaders, path: fx("/affiliates/{orgB}"), otherOrg: fx("/affiliates/{orgA}")},
	"POST /affiliates/:id": {access: staffPage, roles: taStaff, path: fx("/affiliates/{orgA}"), otherOrg: fx("/affiliates/{orgA}"),
		body: map[string]any{"name": "Alpha Peer Center", "type": "peer_run", "state": "VA"}},
	"POST /affiliates/:id/contacts": {access: staffPage, roles: taStaff, path: fx("/affiliates/{orgA}/contacts"), otherOrg: fx("/affiliates/{orgA}/contacts"),
		body: map[string]any{"name": "Sam Lead", "role": "director", "email": "sam@example.org"}},
	"POST /affiliates/:id/contacts/:cid/remove": {access: staffPage, roles: taStaff, path: fx("/affiliates/{orgA}/contacts/{contactA2}/remove"), otherOrg: fx("/affiliates/{orgA}/contacts/{contactA2}/remove")},
	// On the director's own organization: a director still may not change it.
	"POST /affiliates/:id/stage": {access: staffPage, roles: taStaff, path: fx("/affiliates/{orgB}/stage"), otherOrg: fx("/affiliates/{orgA}/stage"),
		body: map[string]any{"to": affiliates.StageFirstYearTA, "on": "{today}"}},
	"POST /affiliates/:id/plan": {access: staffPage, roles: taStaff, path: fx("/affiliates/{orgA}/plan"), otherOrg: fx("/affiliates/{orgA}/plan"),
		body: map[string]any{"specialist_id": "{specialist}"}},
	"POST /affiliates/:id/check-ins": {access: staffPage, roles: taStaff, path: fx("/affiliates/{orgA}/check-ins"), otherOrg: fx("/affiliates/{orgA}/check-ins"),
		body: map[string]any{"due_on": "{due}"}},
	"POST /affiliates/:id/check-ins/:ckid": {access: staffPage, roles: taStaff, path: fx("/affiliates/{orgA}/check-ins/{checkInMove2}"), otherOrg: fx("/affiliates/{orgA}/check-ins/{checkInMove2}"),
		body: map[string]any{"due_on": "{due}"}},
	"POST /affiliates/:id/check-ins/:ckid/done": {access: staffPage, roles: taStaff, path: fx("/affiliates/{orgA}/check-ins/{checkIn2}/done"), otherOrg: fx("/affiliates/{orgA}/check-ins/{checkIn2}/done"),
		body: map[string]any{"done_on": "{today}", "note": "met"}},
	"POST /affiliates/:id/ta-contacts": {access: staffPage, roles: taStaff, path: fx("/affiliates/{orgA}/ta-contacts"), otherOrg: fx("/affiliates/{orgA}/ta-contacts"),
		body: map[string]any{"on": "{today}", "mode": "video", "minutes": 30, "notes": "call"}},
	"GET /ta":               {access: staffPage, roles: taStaff, path: fixed("/ta")},
	"GET /ta/requests":      {access: staffPage, roles: orgReaders, path: fixed("/ta/requests"), otherOrg: fx("/ta/requests?org={orgA}")},
	"GET /ta/requests/:rid": {access: staffPage, roles: orgReaders, path: fx("/ta/requests/{taB}"), otherOrg: fx("/ta/requests/{taA}")},
	"POST /ta/requests/:rid/assign": {access: staffPage, roles: taStaff, path: fx("/ta/requests/{taA2}/assign"), otherOrg: fx("/ta/requests/{taA2}/assign"),
		body: map[string]any{"assignee_id": "{specialist}"}},
	"POST /ta/requests/:rid/answer": {access: staffPage, roles: taStaff, path: fx("/ta/requests/{taA2}/answer"), otherOrg: fx("/ta/requests/{taA2}/answer"),
		body: map[string]any{"answer": "Monthly is enough."}},
	"POST /ta/requests/:rid/close": {access: staffPage, roles: taStaff, path: fx("/ta/requests/{taA2}/close"), otherOrg: fx("/ta/requests/{taA2}/close")},

	// Training kits: trainers and admins.
	"GET /api/v1/releases":                         {access: staffAPI, roles: kitStaff, path: fixed("/api/v1/releases")},
	"GET /api/v1/releases/:version":                {access: staffAPI, roles: kitStaff, path: fixed("/api/v1/releases/2026.1")},
	"POST /api/v1/releases/:version/retire":        {access: staffAPI, roles: kitStaff, path: fx("/api/v1/releases/{published}/retire"), body: map[string]any{"reason": "superseded"}},
	"GET /api/v1/release-diff":                     {access: staffAPI, roles: kitStaff, path: fx("/api/v1/release-diff?from=2026.1&to={published}")},
	"GET /api/v1/release-sites":                    {access: staffAPI, roles: kitStaff, path: fixed("/api/v1/release-sites")},
	"GET /api/v1/release-drafts":                   {access: staffAPI, roles: kitStaff, path: fixed("/api/v1/release-drafts")},
	"POST /api/v1/release-drafts":                  {access: staffAPI, roles: kitStaff, path: fixed("/api/v1/release-drafts"), body: map[string]any{"version": "2026.7"}},
	"GET /api/v1/release-drafts/:id":               {access: staffAPI, roles: kitStaff, path: fx("/api/v1/release-drafts/{draft}")},
	"PUT /api/v1/release-drafts/:id/content":       {access: staffAPI, roles: kitStaff, path: fx("/api/v1/release-drafts/{draft}/content"), raw: func(f *fixture) []byte { return []byte(f.draftContent) }},
	"POST /api/v1/release-drafts/:id/files":        {access: staffAPI, roles: kitStaff, path: fx("/api/v1/release-drafts/{draft}/files"), upload: true},
	"DELETE /api/v1/release-drafts/:id/files/:sha": {access: staffAPI, roles: kitStaff, path: fx("/api/v1/release-drafts/{draft}/files/{sha}")},
	"POST /api/v1/release-drafts/:id/publish":      {access: staffAPI, roles: kitStaff, path: fx("/api/v1/release-drafts/{draftPub}/publish")},
	"DELETE /api/v1/release-drafts/:id":            {access: staffAPI, roles: kitStaff, path: fx("/api/v1/release-drafts/{draftGone}")},

	"GET /kits":                           {access: staffPage, roles: kitStaff, path: fixed("/kits")},
	"POST /kits/drafts":                   {access: staffPage, roles: kitStaff, path: fixed("/kits/drafts"), body: map[string]any{"version": "2026.8"}},
	"GET /kits/drafts/:id":                {access: staffPage, roles: kitStaff, path: fx("/kits/drafts/{draft}")},
	"POST /kits/drafts/:id/content":       {access: staffPage, roles: kitStaff, path: fx("/kits/drafts/{draft}/content"), body: map[string]any{"content": "{draftContent}"}},
	"POST /kits/drafts/:id/files":         {access: staffPage, roles: kitStaff, path: fx("/kits/drafts/{draft}/files"), upload: true},
	"POST /kits/drafts/:id/files/remove":  {access: staffPage, roles: kitStaff, path: fx("/kits/drafts/{draft}/files/remove"), body: map[string]any{"sha256": "{sha}"}},
	"POST /kits/drafts/:id/publish":       {access: staffPage, roles: kitStaff, path: fx("/kits/drafts/{draftPub2}/publish")},
	"POST /kits/drafts/:id/delete":        {access: staffPage, roles: kitStaff, path: fx("/kits/drafts/{draftGone2}/delete")},
	"GET /kits/releases/:version":         {access: staffPage, roles: kitStaff, path: fixed("/kits/releases/2026.1")},
	"POST /kits/releases/:version/retire": {access: staffPage, roles: kitStaff, path: fx("/kits/releases/{published2}/retire"), body: map[string]any{"reason": "superseded"}},
	"GET /kits/files/:sha":                {access: staffPage, roles: kitStaff, path: fx("/kits/files/{sha}")},
	"GET /kits/diff":                      {access: staffPage, roles: kitStaff, path: fx("/kits/diff?from=2026.1&to={published}")},
	"GET /kits/sites":                     {access: staffPage, roles: kitStaff, path: fixed("/kits/sites")},

	// Training and certification: trainers and admins; an organization's
	// registry also for TA and its own director; verification for anyone.
	// The trainees and certifications are organization A's.
	"GET /api/v1/trainees":                    {access: staffAPI, roles: kitStaff, path: fixed("/api/v1/trainees"), otherOrg: fx("/api/v1/trainees?org={orgA}")},
	"POST /api/v1/trainees":                   {access: staffAPI, roles: kitStaff, path: fixed("/api/v1/trainees"), body: map[string]any{"org_id": "{orgA}", "name": "Casey Coach", "email": "casey@example.org", "role": training.TraineeCoach}},
	"GET /api/v1/trainees/:id":                {access: staffAPI, roles: kitStaff, path: fx("/api/v1/trainees/{trainee}"), otherOrg: fx("/api/v1/trainees/{trainee}")},
	"POST /api/v1/trainees/:id/modules":       {access: staffAPI, roles: kitStaff, path: fx("/api/v1/trainees/{trainee}/modules"), otherOrg: fx("/api/v1/trainees/{trainee}/modules"), body: map[string]any{"module": "{module}"}},
	"POST /api/v1/trainees/:id/certification": {access: staffAPI, roles: kitStaff, path: fx("/api/v1/trainees/{ready}/certification"), otherOrg: fx("/api/v1/trainees/{ready}/certification")},
	"POST /api/v1/trainees/:id/director-sessions": {access: staffAPI, roles: kitStaff, path: fx("/api/v1/trainees/{director}/director-sessions"), otherOrg: fx("/api/v1/trainees/{director}/director-sessions"),
		body: map[string]any{"held_on": "{today}", "trainer": "Tess", "notes": "first session"}},
	"GET /api/v1/training-events":                    {access: staffAPI, roles: kitStaff, path: fixed("/api/v1/training-events")},
	"POST /api/v1/training-events":                   {access: staffAPI, roles: kitStaff, path: fixed("/api/v1/training-events"), body: eventBody},
	"GET /api/v1/training-events/:id":                {access: staffAPI, roles: kitStaff, path: fx("/api/v1/training-events/{event}")},
	"POST /api/v1/training-events/:id/registrations": {access: staffAPI, roles: kitStaff, path: fx("/api/v1/training-events/{event}/registrations"), body: map[string]any{"trainee_id": "{trainee}"}},
	"POST /api/v1/training-events/:id/attendance":    {access: staffAPI, roles: kitStaff, path: fx("/api/v1/training-events/{event}/attendance"), body: map[string]any{"trainee_id": "{registered}", "attended": true}},
	"POST /api/v1/certifications/:code/renew":        {access: staffAPI, roles: kitStaff, path: fx("/api/v1/certifications/{cert}/renew"), otherOrg: fx("/api/v1/certifications/{cert}/renew")},
	"POST /api/v1/certifications/:code/revoke":       {access: staffAPI, roles: kitStaff, path: fx("/api/v1/certifications/{certGone}/revoke"), otherOrg: fx("/api/v1/certifications/{certGone}/revoke"), body: map[string]any{"reason": "left the program"}},
	"GET /api/v1/certifications/expiring":            {access: staffAPI, roles: kitStaff, path: fixed("/api/v1/certifications/expiring")},
	"GET /api/v1/organizations/:id/registry":         {access: staffAPI, roles: registryRoles, path: fx("/api/v1/organizations/{orgB}/registry"), otherOrg: fx("/api/v1/organizations/{orgA}/registry")},
	"GET /api/v1/certifications/verify":              {access: public, path: fx("/api/v1/certifications/verify?code={cert}")},

	"GET /training":                        {access: staffPage, roles: kitStaff, path: fixed("/training")},
	"POST /training/events":                {access: staffPage, roles: kitStaff, path: fixed("/training/events"), body: eventBody},
	"POST /training/people":                {access: staffPage, roles: kitStaff, path: fixed("/training/people"), body: map[string]any{"org_id": "{orgA}", "name": "Robin Coach", "email": "robin@example.org", "role": training.TraineeCoach}},
	"GET /training/events/:id":             {access: staffPage, roles: kitStaff, path: fx("/training/events/{event}")},
	"POST /training/events/:id/register":   {access: staffPage, roles: kitStaff, path: fx("/training/events/{event}/register"), body: map[string]any{"trainee_id": "{ready}"}},
	"POST /training/events/:id/attendance": {access: staffPage, roles: kitStaff, path: fx("/training/events/{event}/attendance"), body: map[string]any{"trainee_id": "{registered}", "attended": "true"}},
	"GET /training/people/:id":             {access: staffPage, roles: kitStaff, path: fx("/training/people/{trainee}"), otherOrg: fx("/training/people/{trainee}")},
	"POST /training/people/:id/modules":    {access: staffPage, roles: kitStaff, path: fx("/training/people/{trainee}/modules"), otherOrg: fx("/training/people/{trainee}/modules"), body: map[string]any{"module": "{module}"}},
	"POST /training/people/:id/certify":    {access: staffPage, roles: kitStaff, path: fx("/training/people/{ready2}/certify"), otherOrg: fx("/training/people/{ready2}/certify")},
	"POST /training/people/:id/sessions": {access: staffPage, roles: kitStaff, path: fx("/training/people/{director}/sessions"), otherOrg: fx("/training/people/{director}/sessions"),
		body: map[string]any{"held_on": "{today}", "trainer": "Tess", "notes": "second session"}},
	"POST /training/people/:id/renew":  {access: staffPage, roles: kitStaff, path: fx("/training/people/{certified}/renew"), otherOrg: fx("/training/people/{certified}/renew"), body: map[string]any{"code": "{cert}"}},
	"POST /training/people/:id/revoke": {access: staffPage, roles: kitStaff, path: fx("/training/people/{certified2}/revoke"), otherOrg: fx("/training/people/{certified2}/revoke"), body: map[string]any{"code": "{cert2}", "reason": "left the program"}},
	"GET /registry/:org":               {access: staffPage, roles: registryRoles, path: fx("/registry/{orgB}"), otherOrg: fx("/registry/{orgA}")},
	"GET /verify":                      {access: public, path: fx("/verify?code={cert}")},
}

// caller is one signed-in staff member (or nobody).
type caller struct {
	name        string
	email       string
	token, csrf string
}

type fixture struct {
	orgA, orgB   store.Organization
	siteA, siteB store.Site
	// target is the account admin routes act on; targetRole one of its
	// assignments.
	target, target2         store.User
	targetRole, targetRole2 store.RoleAssignment
	callers                 map[string]*caller
	// vals fills the {name}s of paths and bodies: ids of the TA plans,
	// check-ins, TA requests, drafts, trainees, events and certifications
	// the routes act on. A route that uses something up (deletes,
	// publishes, revokes) has one of its own.
	vals         map[string]string
	draftContent string
	// traceA is what belongs to organization A besides its name and id
	// and its site's: no answer to B's director may contain any of it.
	traceA []string
}

func (f *fixture) fill(s string) string {
	for k, v := range f.vals {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// fillBody fills the {name}s of a body's text values.
func (f *fixture) fillBody(b map[string]any) map[string]any {
	if b == nil {
		return nil
	}
	out := make(map[string]any, len(b))
	for k, v := range b {
		if s, ok := v.(string); ok {
			v = f.fill(s)
		}
		out[k] = v
	}
	return out
}

// addFeatures makes what the affiliates, TA, kits and training routes act
// on, through the store.
func (f *fixture) addFeatures(t *testing.T, h *hub) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	today := h.st.Today()
	day, _ := time.Parse(time.DateOnly, today)
	v := map[string]string{"orgA": f.orgA.ID, "orgB": f.orgB.ID, "today": today, "due": day.AddDate(0, 2, 0).Format(time.DateOnly), "module": training.Modules[0]}
	f.vals = v

	// Both organizations launched: each has a first-year TA plan.
	for _, o := range []string{f.orgA.ID, f.orgB.ID} {
		for _, st := range []string{affiliates.StageAgreement, affiliates.StageTraining, affiliates.StageLaunched} {
			_, err := affiliates.New(h.st).ChangeStage(ctx, o, affiliates.StageInput{To: st, On: today}, "fixture")
			must(err)
		}
	}
	planA, _, err := ta.New(h.st).Plan(ctx, f.orgA.ID)
	must(err)
	f.traceA = append(f.traceA, planA.ID)
	spec, err := staff.New(h.st).FindUser(ctx, store.RoleTA+"@example.org")
	must(err)
	v["specialist"] = spec.ID
	for _, k := range []string{"contactA", "contactA2"} {
		c, err := affiliates.New(h.st).AddContact(ctx, f.orgA.ID, affiliates.ContactInput{Name: "Lee " + k, Role: "director", Email: k + "@example.org"})
		must(err)
		v[k] = c.ID
		f.traceA = append(f.traceA, c.ID, c.Name)
	}
	for _, k := range []string{"checkIn", "checkIn2", "checkInMove", "checkInMove2"} {
		c, err := ta.New(h.st).AddCheckIn(ctx, f.orgA.ID, v["due"])
		must(err)
		v[k] = c.ID
		f.traceA = append(f.traceA, c.ID)
	}
	for k, site := range map[string]store.Site{"taA": f.siteA, "taA2": f.siteA, "taB": f.siteB} {
		w := contract.TARequestWire{ID: uuid.NewString(), Subject: "Supervision " + k, Category: "coaching", Text: "How often should supervision meet?", RaisedAt: time.Now().UTC()}
		res, err := ta.New(h.st).ReceiveTARequest(ctx, site, w)
		must(err)
		v[k] = res.ID
		if site.ID == f.siteA.ID {
			f.traceA = append(f.traceA, res.ID, w.Subject)
		}
	}

	// Kits: published releases (the first with a file), and drafts.
	for k, ver := range map[string]string{"published": "2026.2", "published2": "2026.3"} {
		pub, err := kits.New(h.st).CreateDraft(ctx, ver, "", nil, "fixture")
		must(err)
		if k == "published" {
			_, file, err := kits.New(h.st).AttachFile(ctx, pub.ID, kits.FileUpload{Name: "Handout.pdf", Kind: "handout", MediaType: "application/pdf", Data: testPDF})
			must(err)
			v["sha"] = file.SHA256
		}
		rel, err := kits.New(h.st).PublishDraft(ctx, pub.ID, "fixture")
		must(err)
		v[k] = rel.Version
	}
	for k, ver := range map[string]string{"draft": "2026.4", "draftPub": "2026.5", "draftPub2": "2026.6", "draftGone": "2027.1", "draftGone2": "2027.2"} {
		d, err := kits.New(h.st).CreateDraft(ctx, ver, "", nil, "fixture")
		must(err)
		v[k] = d.ID
		if k == "draft" { // a copy of the release: it has the file
			f.draftContent = d.Content
		}
	}
	v["draftContent"] = f.draftContent

	// Training: trainees of organization A at each step, an event.
	ev, err := training.New(h.st).AddTrainingEvent(ctx, training.TrainingEvent{Title: "Fall training", Mode: "in_person", StartsOn: "2026-10-01", EndsOn: "2026-10-02", Location: "Richmond", Trainer: "Tess", Capacity: 20})
	must(err)
	v["event"] = ev.ID
	dir, err := training.New(h.st).AddTrainee(ctx, f.orgA.ID, "Director trainee", "director-trainee@example.org", training.TraineeDirector)
	must(err)
	v["director"] = dir.ID
	for _, k := range []string{"trainee", "registered", "ready", "ready2", "certified", "certified2", "certified3"} {
		tr, err := training.New(h.st).AddTrainee(ctx, f.orgA.ID, "Coach "+k, k+"@example.org", training.TraineeCoach)
		must(err)
		v[k] = tr.ID
		f.traceA = append(f.traceA, tr.ID, tr.Name)
		if k == "registered" {
			must(training.New(h.st).Register(ctx, ev.ID, tr.ID))
		}
		if k == "trainee" || k == "registered" {
			continue
		}
		for _, m := range training.Modules {
			must(training.New(h.st).CompleteModule(ctx, tr.ID, m, "", "fixture"))
		}
		if strings.HasPrefix(k, "ready") {
			continue
		}
		c, err := training.New(h.st).Certify(ctx, tr.ID, training.DefaultCertPolicy)
		must(err)
		v[map[string]string{"certified": "cert", "certified2": "cert2", "certified3": "certGone"}[k]] = c.Code
		f.traceA = append(f.traceA, c.Code)
	}
}

func newFixture(t *testing.T, h *hub) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{callers: map[string]*caller{}}
	var err error
	if f.orgA, err = affiliates.New(h.st).AddOrganization(ctx, "Alpha Peer Center", "peer_run", "VA"); err != nil {
		t.Fatal(err)
	}
	if f.orgB, err = affiliates.New(h.st).AddOrganization(ctx, "Beta Clubhouse", "nami", "MD"); err != nil {
		t.Fatal(err)
	}
	f.siteA, _ = h.site("Alpha Main Street", &f.orgA)
	f.siteB, _ = h.site("Beta Riverside", &f.orgB)
	if f.target, err = staff.New(h.st).AddUser(ctx, "target@example.org", "Tar Get", store.RoleTrainer, "", ""); err != nil {
		t.Fatal(err)
	}
	as, _ := staff.New(h.st).Assignments(ctx, f.target.ID)
	f.targetRole = as[0]
	// The page's removal has an account of its own.
	target2, err := staff.New(h.st).AddUser(ctx, "target2@example.org", "Tar Get Two", store.RoleTrainer, "", "")
	if err != nil {
		t.Fatal(err)
	}
	as2, _ := staff.New(h.st).Assignments(ctx, target2.ID)
	f.target2, f.targetRole2 = target2, as2[0]
	for _, r := range store.Roles {
		org := ""
		if r == store.RoleDirector {
			org = f.orgB.ID
		}
		f.callers[r] = f.signIn(t, h, r, r+"@example.org", org)
	}
	f.addFeatures(t, h)
	return f
}

func (f *fixture) signIn(t *testing.T, h *hub, name, email, org string) *caller {
	t.Helper()
	ctx := context.Background()
	if _, err := staff.New(h.st).FindUser(ctx, email); err != nil {
		role := name
		if org != "" {
			role = store.RoleDirector
		}
		if _, err := staff.New(h.st).AddUser(ctx, email, name, role, org, pw); err != nil {
			t.Fatal(err)
		}
	}
	_, tok, err := staff.New(h.st).Login(ctx, email, pw)
	if err != nil {
		t.Fatal(err)
	}
	_, sess, err := staff.New(h.st).SessionUser(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return &caller{name: name, email: email, token: tok, csrf: sess.CSRF}
}

const pw = "correct horse battery staple"

// call sends the row's request as c (nil: anonymous).
func (h *hub) call(t *testing.T, f *fixture, method string, rt route, path string, c *caller) (*answer, []byte) {
	t.Helper()
	hdr := map[string]string{}
	var body []byte
	if rt.access == siteOnly || strings.HasPrefix(path, "/api/v1/sync/") {
		hdr = syncHeaders("")
	}
	page := rt.access == staffPage || (rt.access == public && !strings.HasPrefix(path, "/api/"))
	if c != nil {
		if page {
			hdr["Cookie"] = "iml_hub_session=" + c.token
		} else {
			hdr["Authorization"] = "Bearer " + c.token
		}
	}
	if rt.upload {
		fields := map[string]string{"kind": "handout"}
		if c != nil && page {
			fields["csrf"] = c.csrf
		}
		// A file of its own per route, so it is new to the draft.
		body, hdr["Content-Type"] = upload(t, "Sheet.pdf", "application/pdf", append(slices.Clone(testPDF), path...), fields)
	} else if rt.raw != nil {
		body = rt.raw(f)
		hdr["Content-Type"] = "application/json"
	} else if rt.body != nil {
		if page {
			form := url.Values{}
			for k, v := range rt.body {
				if vs, ok := v.([]string); ok { // the field sent more than once
					form[k] = vs
					continue
				}
				form.Set(k, fmt.Sprint(v))
			}
			if c != nil {
				form.Set("csrf", c.csrf)
			}
			body = []byte(form.Encode())
			hdr["Content-Type"] = "application/x-www-form-urlencoded"
		} else {
			body = mustJSON(t, rt.body)
			hdr["Content-Type"] = "application/json"
		}
	} else if page && c != nil && method != http.MethodGet && method != http.MethodHead {
		body = []byte(url.Values{"csrf": {c.csrf}}.Encode())
		hdr["Content-Type"] = "application/x-www-form-urlencoded"
	}
	return h.do(t, request{method: method, path: path, header: hdr, body: body})
}

// stateTables are the tables a refused request must not change.
var stateTables = []string{"users", "role_assignments", "organizations", "sites", "records", "releases", "enrollment_tokens",
	"org_contacts", "stage_changes", "ta_plans", "ta_check_ins", "ta_contacts", "ta_requests",
	"release_drafts", "kit_files", "release_files", "trainees", "training_events", "training_registrations",
	"module_completions", "certifications", "director_sessions", "hub_counters"}

// state is a digest of every row of the state tables, so a refused
// request that updates a row is caught as well as one that adds or
// removes one.
func (h *hub) state(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range stateTables {
		var rows []map[string]any
		if err := h.st.DB.Table(tbl).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		lines := make([]string, 0, len(rows))
		for _, r := range rows {
			if tbl == "users" {
				delete(r, "last_seen_at") // signing in is not a change
			}
			lines = append(lines, fmt.Sprint(r))
		}
		slices.Sort(lines)
		sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		out[tbl] = fmt.Sprintf("%d rows %x", len(rows), sum[:6])
	}
	return out
}

// TestAuthorizationMatrix calls every route registered on the hub as every
// role, as nobody, and (where the route names an organization or site) as
// the Program Director of another organization, and checks who gets in.
func TestAuthorizationMatrix(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		f := newFixture(t, h)
		engine := h.srv.Config.Handler.(*gin.Engine)
		for _, r := range routetest.Classified(t, engine, matrix) {
			key := r.Method + " " + r.Path
			rt := matrix[key]
			t.Run(key, func(t *testing.T) {
				rt.body = f.fillBody(rt.body)
				path := rt.path(f)
				sameForAll := -1
				succeeded := false
				check := func(who string, c *caller) {
					t.Helper()
					if rt.freshSession && c != nil {
						c = f.signIn(t, h, c.name, c.email, "")
					}
					before := h.state(t)
					resp, b := h.call(t, f, r.Method, rt, path, c)
					if resp.StatusCode >= 500 {
						t.Errorf("%s: %d: %.300s", who, resp.StatusCode, b)
					}
					refused := resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden ||
						(rt.access == staffPage && resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login?next="))
					allowed := false
					switch rt.access {
					case public:
						if sameForAll == -1 {
							sameForAll = resp.StatusCode
						}
						if resp.StatusCode != sameForAll {
							t.Errorf("%s: public route answered %d, others %d", who, resp.StatusCode, sameForAll)
						}
						return
					case siteOnly:
						if resp.StatusCode != http.StatusUnauthorized {
							t.Errorf("%s: sync route answered %d without a site credential, want 401: %.200s", who, resp.StatusCode, b)
						}
					case staffAPI, staffPage:
						allowed = c != nil && slices.Contains(rt.roles, c.name)
						switch {
						case c == nil && rt.access == staffAPI && resp.StatusCode != http.StatusUnauthorized:
							t.Errorf("anonymous: %d, want 401", resp.StatusCode)
						case c == nil && rt.access == staffPage && (resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=")):
							t.Errorf("anonymous: %d to %q, want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
						case c != nil && allowed && refused:
							t.Errorf("%s: refused with %d, the role is allowed: %.200s", who, resp.StatusCode, b)
						case c != nil && !allowed && resp.StatusCode != http.StatusForbidden:
							t.Errorf("%s: %d, want 403: %.200s", who, resp.StatusCode, b)
						}
					}
					// The first allowed caller's request succeeds; later
					// ones may find it done (a draft already published).
					if allowed && resp.StatusCode >= 400 {
						if !succeeded {
							t.Errorf("%s: the first allowed call failed with %d: %.200s", who, resp.StatusCode, b)
						} else {
							t.Logf("note: %s, allowed, got %d after an allowed call changed it: %.200s", who, resp.StatusCode, b)
						}
					}
					succeeded = succeeded || allowed
					if !allowed {
						if after := h.state(t); !mapsEqual(before, after) {
							t.Errorf("%s: a refused request changed the database: %v then %v", who, before, after)
						}
					}
				}
				check("anonymous", nil)
				for _, role := range store.Roles {
					check(role, f.callers[role])
				}
				if rt.otherOrg == nil {
					return
				}
				// The director of organization B asks for A's.
				c := f.callers[store.RoleDirector]
				before := h.state(t)
				resp, b := h.call(t, f, r.Method, rt, rt.otherOrg(f), c)
				if resp.StatusCode >= 500 {
					t.Errorf("director of another organization: %d: %.300s", resp.StatusCode, b)
				}
				if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound {
					if after := h.state(t); !mapsEqual(before, after) {
						t.Errorf("director of another organization: a refused request changed the database: %v then %v", before, after)
					}
					return
				}
				for _, trace := range append([]string{f.orgA.ID, f.orgA.Name, f.siteA.ID, f.siteA.Name}, f.traceA...) {
					if strings.Contains(string(b), trace) {
						t.Errorf("director of another organization got %d with %q in it", resp.StatusCode, trace)
					}
				}
				if !strings.Contains(string(b), f.orgB.ID) && !strings.Contains(string(b), f.orgB.Name) && resp.StatusCode == http.StatusOK {
					t.Logf("note: %s shows the director nothing of their own organization", key)
				}
			})
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
