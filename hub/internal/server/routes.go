package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
)

// Who may use a route: the first middleware of its chain.
type access int

const (
	// public routes need no credential (sign-in, verification, health).
	public access = iota
	// agent routes are the sync protocol's: the protocol version checked,
	// then (site) the site's credential.
	agent
	site
	// staffAPI routes need a signed-in staff member, and answer JSON.
	staffAPI
	// staffPage routes need a signed-in staff member, and draw pages.
	staffPage
)

// route is one line of the hub's routes table.
type route struct {
	method, path string
	who          access
	// roles may use the route (any of them); nil lets any staff member
	// through (or no check at all for public and agent routes).
	roles []string
	// guards run after the role check: the organization or TA request a
	// route names, rate limits.
	guards []gin.HandlerFunc
	handle gin.HandlerFunc
}

// The roles of the routes table.
var (
	anyStaff []string
	admins   = []string{store.RoleAdmin}
	// kitStaff manage training kits, training and certification.
	kitStaff = []string{store.RoleAdmin, store.RoleTrainer}
	// registryReaders see an organization's certification registry.
	registryReaders = []string{store.RoleAdmin, store.RoleTrainer, store.RoleTA, store.RoleDirector}
	// taStaff change affiliates and their TA.
	taStaff = []string{store.RoleAdmin, store.RoleTA}
	// orgReaders see affiliates; a Program Director only their own.
	orgReaders = []string{store.RoleAdmin, store.RoleTA, store.RoleTrainer, store.RoleAnalyst, store.RoleDirector}
	// reportRoles see the outcomes reports (a Program Director their own
	// organization's).
	reportRoles = []string{store.RoleAdmin, store.RoleAnalyst, store.RoleTA, store.RoleTrainer, store.RoleDirector}
)

const (
	get  = http.MethodGet
	post = http.MethodPost
	put  = http.MethodPut
	del  = http.MethodDelete
)

func guard(hs ...gin.HandlerFunc) []gin.HandlerFunc { return hs }

// routes is every route of the hub, once: method, path, who may use it,
// any guard, and the handler.
func (s *Server) routes() []route {
	org, req := guard(s.orgAccess), guard(s.requestAccess)
	signIn, verify := guard(s.limitSignIn()), guard(s.limitVerify)
	return []route{
		{get, "/healthz", public, nil, nil, func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }},
		{get, "/readyz", public, nil, nil, s.ready},

		// The sync protocol (docs/sync-protocol.md).
		{post, "/api/v1/sync/enroll", agent, nil, nil, s.enroll},
		{get, "/api/v1/sync/status", site, nil, nil, s.status},
		{post, "/api/v1/sync/push", site, nil, nil, s.push},
		{get, "/api/v1/sync/pull", site, nil, nil, s.pull},
		{post, "/api/v1/sync/ta-requests", site, nil, nil, s.receiveTARequest},
		{get, "/api/v1/sync/files/:sha", site, nil, nil, s.syncFile},

		// Staff accounts, sign-in and the audit log.
		{post, "/api/v1/auth/login", public, nil, signIn, s.apiLogin},
		{get, "/api/v1/me", staffAPI, anyStaff, nil, s.apiMe},
		{get, "/api/v1/sites", staffAPI, anyStaff, nil, s.apiSites},
		{get, "/api/v1/users", staffAPI, admins, nil, s.apiUsers},
		{get, "/api/v1/users/:id", staffAPI, admins, nil, s.apiUser},
		{post, "/api/v1/users/:id/roles", staffAPI, admins, nil, s.apiAssign},
		{del, "/api/v1/users/:id/roles/:assignment", staffAPI, admins, nil, s.apiUnassign},
		{get, "/api/v1/audit", staffAPI, admins, nil, s.apiAudit},
		{get, "/api/v1/audit/export", staffAPI, admins, nil, s.auditExport},
		{get, "/login", public, nil, nil, s.loginPage},
		{post, "/login", public, nil, signIn, s.loginSubmit},
		{get, "/auth/oidc/start", public, nil, signIn, s.oidcStart},
		{get, "/auth/oidc/callback", public, nil, nil, s.oidcCallback},
		{post, "/logout", staffPage, anyStaff, nil, s.logout},
		{get, "/", staffPage, anyStaff, nil, s.homePage},
		{get, "/admin/users", staffPage, admins, nil, s.usersPage},
		{post, "/admin/users/:id/roles", staffPage, admins, nil, s.assignSubmit},
		{post, "/admin/users/:id/roles/:assignment/delete", staffPage, admins, nil, s.unassignSubmit},
		{get, "/admin/audit", staffPage, admins, nil, s.auditPage},
		{get, "/admin/audit.csv", staffPage, admins, nil, s.auditExport},

		// Outcomes: the POM table, the report, fidelity, exports.
		{get, "/api/v1/outcomes/pom", staffAPI, reportRoles, nil, s.apiPOM},
		{get, "/api/v1/outcomes/report", staffAPI, reportRoles, nil, s.apiOutcomes},
		{get, "/api/v1/outcomes/fidelity", staffAPI, reportRoles, nil, s.apiFidelity},
		{get, "/outcomes/pom", staffPage, reportRoles, nil, s.pomPage},
		{get, "/outcomes", staffPage, reportRoles, nil, s.outcomesPage},
		{get, "/outcomes/print", staffPage, reportRoles, nil, s.printPage},
		{get, "/outcomes/fidelity", staffPage, reportRoles, nil, s.fidelityPage},
		{get, "/outcomes/export/:table", staffPage, reportRoles, nil, s.exportCSV},

		// Affiliates.
		{get, "/api/v1/organizations", staffAPI, orgReaders, nil, s.apiOrganizations},
		{post, "/api/v1/organizations", staffAPI, taStaff, nil, s.apiAddOrganization},
		{get, "/api/v1/organizations/:id", staffAPI, orgReaders, org, s.apiOrganization},
		{put, "/api/v1/organizations/:id", staffAPI, taStaff, org, s.apiUpdateOrganization},
		{post, "/api/v1/organizations/:id/contacts", staffAPI, taStaff, org, s.apiAddContact},
		{del, "/api/v1/organizations/:id/contacts/:cid", staffAPI, taStaff, org, s.apiRemoveContact},
		{post, "/api/v1/organizations/:id/stage", staffAPI, taStaff, org, s.apiChangeStage},
		{get, "/affiliates", staffPage, orgReaders, nil, s.affiliatesPage},
		{post, "/affiliates", staffPage, taStaff, nil, s.addAffiliateSubmit},
		{get, "/affiliates/:id", staffPage, orgReaders, org, s.affiliatePage},
		{post, "/affiliates/:id", staffPage, taStaff, org, s.updateAffiliateSubmit},
		{post, "/affiliates/:id/contacts", staffPage, taStaff, org, s.addContactSubmit},
		{post, "/affiliates/:id/contacts/:cid/remove", staffPage, taStaff, org, s.removeContactSubmit},
		{post, "/affiliates/:id/stage", staffPage, taStaff, org, s.stageSubmit},

		// Technical assistance: first-year plans, contacts, requests.
		{get, "/api/v1/organizations/:id/ta-plan", staffAPI, orgReaders, org, s.apiPlan},
		{put, "/api/v1/organizations/:id/ta-plan", staffAPI, taStaff, org, s.apiAssignPlan},
		{post, "/api/v1/organizations/:id/ta-plan/check-ins", staffAPI, taStaff, org, s.apiAddCheckIn},
		{put, "/api/v1/organizations/:id/ta-plan/check-ins/:ckid", staffAPI, taStaff, org, s.apiRescheduleCheckIn},
		{post, "/api/v1/organizations/:id/ta-plan/check-ins/:ckid/done", staffAPI, taStaff, org, s.apiCompleteCheckIn},
		{get, "/api/v1/organizations/:id/ta-contacts", staffAPI, taStaff, org, s.apiTAContacts},
		{post, "/api/v1/organizations/:id/ta-contacts", staffAPI, taStaff, org, s.apiLogTAContact},
		{get, "/api/v1/ta/work", staffAPI, taStaff, nil, s.apiWork},
		{get, "/api/v1/ta/requests", staffAPI, orgReaders, nil, s.apiTARequests},
		{get, "/api/v1/ta/requests/:rid", staffAPI, orgReaders, req, s.apiTARequest},
		{post, "/api/v1/ta/requests/:rid/assign", staffAPI, taStaff, req, s.apiAssignTARequest},
		{post, "/api/v1/ta/requests/:rid/answer", staffAPI, taStaff, req, s.apiAnswerTARequest},
		{post, "/api/v1/ta/requests/:rid/close", staffAPI, taStaff, req, s.apiCloseTARequest},
		{post, "/affiliates/:id/plan", staffPage, taStaff, org, s.assignPlanSubmit},
		{post, "/affiliates/:id/check-ins", staffPage, taStaff, org, s.addCheckInSubmit},
		{post, "/affiliates/:id/check-ins/:ckid", staffPage, taStaff, org, s.rescheduleSubmit},
		{post, "/affiliates/:id/check-ins/:ckid/done", staffPage, taStaff, org, s.completeCheckInSubmit},
		{post, "/affiliates/:id/ta-contacts", staffPage, taStaff, org, s.logTAContactSubmit},
		{get, "/ta", staffPage, taStaff, nil, s.workPage},
		{get, "/ta/requests", staffPage, orgReaders, nil, s.taRequestsPage},
		{get, "/ta/requests/:rid", staffPage, orgReaders, req, s.taRequestPage},
		{post, "/ta/requests/:rid/assign", staffPage, taStaff, req, s.assignTARequestSubmit},
		{post, "/ta/requests/:rid/answer", staffPage, taStaff, req, s.answerTARequestSubmit},
		{post, "/ta/requests/:rid/close", staffPage, taStaff, req, s.closeTARequestSubmit},

		// Training kits: releases, drafts, files.
		{get, "/api/v1/releases", staffAPI, kitStaff, nil, s.apiReleases},
		{get, "/api/v1/releases/:version", staffAPI, kitStaff, nil, s.apiRelease},
		{post, "/api/v1/releases/:version/retire", staffAPI, kitStaff, nil, s.apiRetire},
		{get, "/api/v1/release-diff", staffAPI, kitStaff, nil, s.apiDiff},
		{get, "/api/v1/release-sites", staffAPI, kitStaff, nil, s.apiReleaseSites},
		{get, "/api/v1/release-drafts", staffAPI, kitStaff, nil, s.apiDrafts},
		{post, "/api/v1/release-drafts", staffAPI, kitStaff, nil, s.apiCreateDraft},
		{get, "/api/v1/release-drafts/:id", staffAPI, kitStaff, nil, s.apiDraft},
		{put, "/api/v1/release-drafts/:id/content", staffAPI, kitStaff, nil, s.apiDraftContent},
		{post, "/api/v1/release-drafts/:id/files", staffAPI, kitStaff, nil, s.apiAttach},
		{del, "/api/v1/release-drafts/:id/files/:sha", staffAPI, kitStaff, nil, s.apiDetach},
		{post, "/api/v1/release-drafts/:id/publish", staffAPI, kitStaff, nil, s.apiPublish},
		{del, "/api/v1/release-drafts/:id", staffAPI, kitStaff, nil, s.apiDeleteDraft},
		{get, "/kits", staffPage, kitStaff, nil, s.kitsPage},
		{post, "/kits/drafts", staffPage, kitStaff, nil, s.createDraftSubmit},
		{get, "/kits/drafts/:id", staffPage, kitStaff, nil, s.draftPage},
		{post, "/kits/drafts/:id/content", staffPage, kitStaff, nil, s.draftContentSubmit},
		{post, "/kits/drafts/:id/files", staffPage, kitStaff, nil, s.attachSubmit},
		{post, "/kits/drafts/:id/files/remove", staffPage, kitStaff, nil, s.detachSubmit},
		{post, "/kits/drafts/:id/publish", staffPage, kitStaff, nil, s.publishSubmit},
		{post, "/kits/drafts/:id/delete", staffPage, kitStaff, nil, s.deleteDraftSubmit},
		{get, "/kits/releases/:version", staffPage, kitStaff, nil, s.releasePage},
		{post, "/kits/releases/:version/retire", staffPage, kitStaff, nil, s.retireSubmit},
		{get, "/kits/files/:sha", staffPage, kitStaff, nil, s.kitFile},
		{get, "/kits/diff", staffPage, kitStaff, nil, s.diffPage},
		{get, "/kits/sites", staffPage, kitStaff, nil, s.releaseSitesPage},

		// Training and certification.
		{get, "/api/v1/trainees", staffAPI, kitStaff, nil, s.apiTrainees},
		{post, "/api/v1/trainees", staffAPI, kitStaff, nil, s.apiAddTrainee},
		{get, "/api/v1/trainees/:id", staffAPI, kitStaff, nil, s.apiTrainee},
		{post, "/api/v1/trainees/:id/modules", staffAPI, kitStaff, nil, s.apiCompleteModule},
		{post, "/api/v1/trainees/:id/certification", staffAPI, kitStaff, nil, s.apiCertify},
		{post, "/api/v1/trainees/:id/director-sessions", staffAPI, kitStaff, nil, s.apiDirectorSession},
		{get, "/api/v1/training-events", staffAPI, kitStaff, nil, s.apiEvents},
		{post, "/api/v1/training-events", staffAPI, kitStaff, nil, s.apiAddEvent},
		{get, "/api/v1/training-events/:id", staffAPI, kitStaff, nil, s.apiEvent},
		{post, "/api/v1/training-events/:id/registrations", staffAPI, kitStaff, nil, s.apiRegister},
		{post, "/api/v1/training-events/:id/attendance", staffAPI, kitStaff, nil, s.apiAttendance},
		{post, "/api/v1/certifications/:code/renew", staffAPI, kitStaff, nil, s.apiRenew},
		{post, "/api/v1/certifications/:code/revoke", staffAPI, kitStaff, nil, s.apiRevoke},
		{get, "/api/v1/certifications/expiring", staffAPI, kitStaff, nil, s.apiExpiring},
		{get, "/api/v1/organizations/:id/registry", staffAPI, registryReaders, nil, s.apiRegistry},
		{get, "/training", staffPage, kitStaff, nil, s.trainingPage},
		{post, "/training/events", staffPage, kitStaff, nil, s.addEventSubmit},
		{post, "/training/people", staffPage, kitStaff, nil, s.addTraineeSubmit},
		{get, "/training/events/:id", staffPage, kitStaff, nil, s.eventPage},
		{post, "/training/events/:id/register", staffPage, kitStaff, nil, s.registerSubmit},
		{post, "/training/events/:id/attendance", staffPage, kitStaff, nil, s.attendanceSubmit},
		{get, "/training/people/:id", staffPage, kitStaff, nil, s.personPage},
		{post, "/training/people/:id/modules", staffPage, kitStaff, nil, s.moduleSubmit},
		{post, "/training/people/:id/certify", staffPage, kitStaff, nil, s.certifySubmit},
		{post, "/training/people/:id/sessions", staffPage, kitStaff, nil, s.sessionSubmit},
		{post, "/training/people/:id/renew", staffPage, kitStaff, nil, s.renewSubmit},
		{post, "/training/people/:id/revoke", staffPage, kitStaff, nil, s.revokeSubmit},
		{get, "/registry/:org", staffPage, registryReaders, nil, s.registryPage},
		// Anyone may check a certification's code.
		{get, "/verify", public, nil, verify, s.verifyPage},
		{get, "/api/v1/certifications/verify", public, nil, verify, s.apiVerify},
	}
}

// register adds every route of the table to r, each with the middleware
// of who may use it.
func (s *Server) register(r *gin.Engine) {
	for _, rt := range s.routes() {
		var chain []gin.HandlerFunc
		switch rt.who {
		case agent:
			chain = append(chain, s.requireProtocol)
		case site:
			chain = append(chain, s.requireProtocol, s.requireSite)
		case staffAPI:
			chain = append(chain, s.requireStaff(false))
		case staffPage:
			chain = append(chain, s.requireStaff(true))
		}
		if rt.roles != nil {
			chain = append(chain, s.requireRole(rt.roles...))
		}
		chain = append(chain, rt.guards...)
		r.Handle(rt.method, rt.path, append(chain, rt.handle)...)
	}
}
