package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx"
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
// any guard, and the handler, by capability.
func (s *Server) routes() []route {
	var all []route
	for _, part := range [][]route{s.accessRoutes(), s.outcomeRoutes(), s.taRoutes(), s.kitRoutes(), s.trainingRoutes()} {
		all = append(all, part...)
	}
	return all
}

// accessRoutes are the routes of the health checks, the sync protocol, and staff accounts, sign-in and the audit log.
func (s *Server) accessRoutes() []route {
	signIn := guard(s.limitSignIn())
	in, stf, out, tah, kit := s.h.intake, s.h.staff, s.h.outcomes, s.h.ta, s.h.kits
	return []route{
		{get, "/healthz", public, nil, nil, func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }},
		{get, "/readyz", public, nil, nil, s.ready},

		// The sync protocol (docs/sync-protocol.md).
		{post, "/api/v1/sync/enroll", agent, nil, nil, in.Enroll},
		{get, "/api/v1/sync/status", site, nil, nil, in.Status},
		{post, "/api/v1/sync/push", site, nil, s.pushGate(), in.Push},
		{get, "/api/v1/sync/pull", site, nil, nil, in.Pull},
		{post, "/api/v1/sync/ta-requests", site, nil, nil, tah.ReceiveTARequest},
		{get, "/api/v1/sync/files/:sha", site, nil, nil, kit.SyncFile},

		// Staff accounts, sign-in and the audit log.
		{post, "/api/v1/auth/login", public, nil, signIn, stf.APILogin},
		{get, "/api/v1/me", staffAPI, anyStaff, nil, stf.APIMe},
		{get, "/api/v1/sites", staffAPI, anyStaff, nil, out.APISites},
		{get, "/api/v1/users", staffAPI, admins, nil, stf.APIUsers},
		{get, "/api/v1/users/:id", staffAPI, admins, nil, stf.APIUser},
		{post, "/api/v1/users/:id/roles", staffAPI, admins, nil, stf.APIAssign},
		{del, "/api/v1/users/:id/roles/:assignment", staffAPI, admins, nil, stf.APIUnassign},
		{get, "/api/v1/audit", staffAPI, admins, nil, stf.APIAudit},
		{get, "/api/v1/audit/export", staffAPI, admins, nil, stf.AuditExport},
		{get, "/login", public, nil, nil, stf.LoginPage},
		{post, "/login", public, nil, signIn, stf.LoginSubmit},
		{get, "/auth/oidc/start", public, nil, signIn, stf.OidcStart},
		{get, "/auth/oidc/callback", public, nil, nil, stf.OidcCallback},
		{post, "/logout", staffPage, anyStaff, nil, stf.Logout},
		{get, "/", staffPage, anyStaff, nil, out.HomePage},
		{get, "/admin/users", staffPage, admins, nil, stf.UsersPage},
		{post, "/admin/users/:id/roles", staffPage, admins, nil, stf.AssignSubmit},
		{post, "/admin/users/:id/roles/:assignment/delete", staffPage, admins, nil, stf.UnassignSubmit},
		{get, "/admin/audit", staffPage, admins, nil, stf.AuditPage},
		{get, "/admin/audit.csv", staffPage, admins, nil, stf.AuditExport},
	}
}

// outcomeRoutes are the routes of the outcomes reports and the affiliates.
func (s *Server) outcomeRoutes() []route {
	out, aff := s.h.outcomes, s.h.affiliates
	org := guard(aff.OrgAccess)
	return []route{
		// Outcomes: the POM table, the report, fidelity, exports.
		{get, "/api/v1/outcomes/pom", staffAPI, reportRoles, nil, out.APIPOM},
		{get, "/api/v1/outcomes/report", staffAPI, reportRoles, nil, out.APIOutcomes},
		{get, "/api/v1/outcomes/fidelity", staffAPI, reportRoles, nil, out.APIFidelity},
		{get, "/outcomes/pom", staffPage, reportRoles, nil, out.PomPage},
		{get, "/outcomes", staffPage, reportRoles, nil, out.OutcomesPage},
		{get, "/outcomes/print", staffPage, reportRoles, nil, out.PrintPage},
		{get, "/outcomes/fidelity", staffPage, reportRoles, nil, out.FidelityPage},
		{get, "/outcomes/export/:table", staffPage, reportRoles, nil, out.ExportCSV},

		// Affiliates.
		{get, "/api/v1/organizations", staffAPI, orgReaders, nil, aff.APIOrganizations},
		{post, "/api/v1/organizations", staffAPI, taStaff, nil, aff.APIAddOrganization},
		{get, "/api/v1/organizations/:id", staffAPI, orgReaders, org, aff.APIOrganization},
		{put, "/api/v1/organizations/:id", staffAPI, taStaff, org, aff.APIUpdateOrganization},
		{post, "/api/v1/organizations/:id/contacts", staffAPI, taStaff, org, aff.APIAddContact},
		{del, "/api/v1/organizations/:id/contacts/:cid", staffAPI, taStaff, org, aff.APIRemoveContact},
		{post, "/api/v1/organizations/:id/stage", staffAPI, taStaff, org, aff.APIChangeStage},
		{get, "/affiliates", staffPage, orgReaders, nil, aff.AffiliatesPage},
		{post, "/affiliates", staffPage, taStaff, nil, aff.AddAffiliateSubmit},
		{get, "/affiliates/:id", staffPage, orgReaders, org, aff.AffiliatePage},
		{post, "/affiliates/:id", staffPage, taStaff, org, aff.UpdateAffiliateSubmit},
		{post, "/affiliates/:id/contacts", staffPage, taStaff, org, aff.AddContactSubmit},
		{post, "/affiliates/:id/contacts/:cid/remove", staffPage, taStaff, org, aff.RemoveContactSubmit},
		{post, "/affiliates/:id/stage", staffPage, taStaff, org, aff.StageSubmit},
	}
}

// taRoutes are the routes of technical assistance: first-year plans, contacts and requests.
func (s *Server) taRoutes() []route {
	aff, tah := s.h.affiliates, s.h.ta
	org, req := guard(aff.OrgAccess), guard(tah.RequestAccess)
	return []route{
		// Technical assistance: first-year plans, contacts, requests.
		{get, "/api/v1/organizations/:id/ta-plan", staffAPI, orgReaders, org, aff.APIPlan},
		{put, "/api/v1/organizations/:id/ta-plan", staffAPI, taStaff, org, aff.APIAssignPlan},
		{post, "/api/v1/organizations/:id/ta-plan/check-ins", staffAPI, taStaff, org, aff.APIAddCheckIn},
		{put, "/api/v1/organizations/:id/ta-plan/check-ins/:ckid", staffAPI, taStaff, org, aff.APIRescheduleCheckIn},
		{post, "/api/v1/organizations/:id/ta-plan/check-ins/:ckid/done", staffAPI, taStaff, org, aff.APICompleteCheckIn},
		{get, "/api/v1/organizations/:id/ta-contacts", staffAPI, taStaff, org, aff.APITAContacts},
		{post, "/api/v1/organizations/:id/ta-contacts", staffAPI, taStaff, org, aff.APILogTAContact},
		{get, "/api/v1/ta/work", staffAPI, taStaff, nil, tah.APIWork},
		{get, "/api/v1/ta/requests", staffAPI, orgReaders, nil, tah.APITARequests},
		{get, "/api/v1/ta/requests/:rid", staffAPI, orgReaders, req, tah.APITARequest},
		{post, "/api/v1/ta/requests/:rid/assign", staffAPI, taStaff, req, tah.APIAssignTARequest},
		{post, "/api/v1/ta/requests/:rid/answer", staffAPI, taStaff, req, tah.APIAnswerTARequest},
		{post, "/api/v1/ta/requests/:rid/close", staffAPI, taStaff, req, tah.APICloseTARequest},
		{post, "/affiliates/:id/plan", staffPage, taStaff, org, aff.AssignPlanSubmit},
		{post, "/affiliates/:id/check-ins", staffPage, taStaff, org, aff.AddCheckInSubmit},
		{post, "/affiliates/:id/check-ins/:ckid", staffPage, taStaff, org, aff.RescheduleSubmit},
		{post, "/affiliates/:id/check-ins/:ckid/done", staffPage, taStaff, org, aff.CompleteCheckInSubmit},
		{post, "/affiliates/:id/ta-contacts", staffPage, taStaff, org, aff.LogTAContactSubmit},
		{get, "/ta", staffPage, taStaff, nil, tah.WorkPage},
		{get, "/ta/requests", staffPage, orgReaders, nil, tah.TaRequestsPage},
		{get, "/ta/requests/:rid", staffPage, orgReaders, req, tah.TaRequestPage},
		{post, "/ta/requests/:rid/assign", staffPage, taStaff, req, tah.AssignTARequestSubmit},
		{post, "/ta/requests/:rid/answer", staffPage, taStaff, req, tah.AnswerTARequestSubmit},
		{post, "/ta/requests/:rid/close", staffPage, taStaff, req, tah.CloseTARequestSubmit},
	}
}

// kitRoutes are the routes of the training kits.
func (s *Server) kitRoutes() []route {
	kit := s.h.kits
	return []route{
		// Training kits: releases, drafts, files.
		{get, "/api/v1/releases", staffAPI, kitStaff, nil, kit.APIReleases},
		{get, "/api/v1/releases/:version", staffAPI, kitStaff, nil, kit.APIRelease},
		{post, "/api/v1/releases/:version/retire", staffAPI, kitStaff, nil, kit.APIRetire},
		{get, "/api/v1/release-diff", staffAPI, kitStaff, nil, kit.APIDiff},
		{get, "/api/v1/release-sites", staffAPI, kitStaff, nil, kit.APIReleaseSites},
		{get, "/api/v1/release-drafts", staffAPI, kitStaff, nil, kit.APIDrafts},
		{post, "/api/v1/release-drafts", staffAPI, kitStaff, nil, kit.APICreateDraft},
		{get, "/api/v1/release-drafts/:id", staffAPI, kitStaff, nil, kit.APIDraft},
		{put, "/api/v1/release-drafts/:id/content", staffAPI, kitStaff, nil, kit.APIDraftContent},
		{post, "/api/v1/release-drafts/:id/files", staffAPI, kitStaff, nil, kit.APIAttach},
		{del, "/api/v1/release-drafts/:id/files/:sha", staffAPI, kitStaff, nil, kit.APIDetach},
		{post, "/api/v1/release-drafts/:id/publish", staffAPI, kitStaff, nil, kit.APIPublish},
		{del, "/api/v1/release-drafts/:id", staffAPI, kitStaff, nil, kit.APIDeleteDraft},
		{get, "/kits", staffPage, kitStaff, nil, kit.KitsPage},
		{post, "/kits/drafts", staffPage, kitStaff, nil, kit.CreateDraftSubmit},
		{get, "/kits/drafts/:id", staffPage, kitStaff, nil, kit.DraftPage},
		{post, "/kits/drafts/:id/content", staffPage, kitStaff, nil, kit.DraftContentSubmit},
		{post, "/kits/drafts/:id/files", staffPage, kitStaff, nil, kit.AttachSubmit},
		{post, "/kits/drafts/:id/files/remove", staffPage, kitStaff, nil, kit.DetachSubmit},
		{post, "/kits/drafts/:id/publish", staffPage, kitStaff, nil, kit.PublishSubmit},
		{post, "/kits/drafts/:id/delete", staffPage, kitStaff, nil, kit.DeleteDraftSubmit},
		{get, "/kits/releases/:version", staffPage, kitStaff, nil, kit.ReleasePage},
		{post, "/kits/releases/:version/retire", staffPage, kitStaff, nil, kit.RetireSubmit},
		{get, "/kits/files/:sha", staffPage, kitStaff, nil, kit.KitFile},
		{get, "/kits/diff", staffPage, kitStaff, nil, kit.DiffPage},
		{get, "/kits/sites", staffPage, kitStaff, nil, kit.ReleaseSitesPage},
	}
}

// trainingRoutes are the routes of training and certification, and the public verification of a code.
func (s *Server) trainingRoutes() []route {
	trn, crt, verify := s.h.training, s.h.training.Certifications, guard(s.limitVerify)
	return []route{
		// Training and certification.
		{get, "/api/v1/trainees", staffAPI, kitStaff, nil, trn.APITrainees},
		{post, "/api/v1/trainees", staffAPI, kitStaff, nil, trn.APIAddTrainee},
		{get, "/api/v1/trainees/:id", staffAPI, kitStaff, nil, trn.APITrainee},
		{post, "/api/v1/trainees/:id/modules", staffAPI, kitStaff, nil, trn.APICompleteModule},
		{post, "/api/v1/trainees/:id/certification", staffAPI, kitStaff, nil, crt.APICertify},
		{post, "/api/v1/trainees/:id/director-sessions", staffAPI, kitStaff, nil, trn.APIDirectorSession},
		{get, "/api/v1/training-events", staffAPI, kitStaff, nil, trn.APIEvents},
		{post, "/api/v1/training-events", staffAPI, kitStaff, nil, trn.APIAddEvent},
		{get, "/api/v1/training-events/:id", staffAPI, kitStaff, nil, trn.APIEvent},
		{post, "/api/v1/training-events/:id/registrations", staffAPI, kitStaff, nil, trn.APIRegister},
		{post, "/api/v1/training-events/:id/attendance", staffAPI, kitStaff, nil, trn.APIAttendance},
		{post, "/api/v1/certifications/:code/renew", staffAPI, kitStaff, nil, crt.APIRenew},
		{post, "/api/v1/certifications/:code/revoke", staffAPI, kitStaff, nil, crt.APIRevoke},
		{get, "/api/v1/certifications/expiring", staffAPI, kitStaff, nil, crt.APIExpiring},
		{get, "/api/v1/organizations/:id/registry", staffAPI, registryReaders, nil, crt.APIRegistry},
		{get, "/training", staffPage, kitStaff, nil, trn.TrainingPage},
		{post, "/training/events", staffPage, kitStaff, nil, trn.AddEventSubmit},
		{post, "/training/people", staffPage, kitStaff, nil, trn.AddTraineeSubmit},
		{get, "/training/events/:id", staffPage, kitStaff, nil, trn.EventPage},
		{post, "/training/events/:id/register", staffPage, kitStaff, nil, trn.RegisterSubmit},
		{post, "/training/events/:id/attendance", staffPage, kitStaff, nil, trn.AttendanceSubmit},
		{get, "/training/people/:id", staffPage, kitStaff, nil, trn.PersonPage},
		{post, "/training/people/:id/modules", staffPage, kitStaff, nil, trn.ModuleSubmit},
		{post, "/training/people/:id/certify", staffPage, kitStaff, nil, trn.CertifySubmit},
		{post, "/training/people/:id/sessions", staffPage, kitStaff, nil, trn.SessionSubmit},
		{post, "/training/people/:id/renew", staffPage, kitStaff, nil, trn.RenewSubmit},
		{post, "/training/people/:id/revoke", staffPage, kitStaff, nil, trn.RevokeSubmit},
		{get, "/registry/:org", staffPage, registryReaders, nil, crt.RegistryPage},
		// Anyone may check a certification's code.
		{get, "/verify", public, nil, verify, crt.VerifyPage},
		{get, "/api/v1/certifications/verify", public, nil, verify, crt.APIVerify},
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
		// The action runs with writes barred when its form held a
		// character no one types (web.MarkUnclean).
		r.Handle(rt.method, rt.path, append(chain, dbx.BarMarked, rt.handle)...)
	}
}
