package server

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/cohorts"
	"github.com/itsmylife/iml/agent/internal/journals"
	"github.com/itsmylife/iml/agent/internal/outcomes"
	"github.com/itsmylife/iml/agent/internal/outings"
	"github.com/itsmylife/iml/agent/internal/participants"
	"github.com/itsmylife/iml/agent/internal/stipends"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
)

// area is who may come to a route, and under which prefix.
type area int

const (
	// anyone: no session is read or needed (sign-in, set-up, the
	// anonymous survey, health).
	anyone area = iota
	// staffAPI: under /api/v1, a signed-in user (bearer token or session
	// cookie with its CSRF token).
	staffAPI
	// staffPages: a signed-in user's pages; without a session, the
	// sign-in page.
	staffPages
	// participant: under /journal, a participant signed in to their own
	// journal.
	participant
)

// route is a line of the routes table: who may come, the method, the
// path, and the handlers in order (the access checks, then the action).
type route struct {
	area   area
	method string
	path   string
	chain  steps
}

// steps are a route's handlers in order, and whether its action says
// itself, next to the field, that a field was sent more than once
// (web.RepeatedFields); the form of any other route that sends a field
// twice is refused whole (textx.SingleFields).
type steps struct {
	handlers    []gin.HandlerFunc
	ownsRepeats bool
}

// handlers are the HTTP handlers of each capability, over the shared app.
type handlers struct {
	signin       *signinHandlers
	site         *siteHandlers
	participants *participants.Handlers
	coaches      *cohorts.Coaches
	cohorts      *cohorts.Cohorts
	meetings     *cohorts.Meetings
	pairs        *cohorts.Pairs
	outings      *outings.Handlers
	stipends     *stipends.Handlers
	journals     *journals.Journals
	ownJournal   *journals.OwnJournal
	outcomes     *outcomes.Hospitalizations
	surveys      *outcomes.Surveys
	reports      *outcomes.Reports
	ta           *taHandlers
	home         *homeHandlers
	accounts     *accountHandlers
}

// newHandlers makes every capability's handlers and gives the participant
// and cohort pages their sections, in the order the pages show them.
func newHandlers(a *web.App) handlers {
	h := handlers{signin: &signinHandlers{a}, site: &siteHandlers{a}, participants: &participants.Handlers{App: a}, coaches: &cohorts.Coaches{App: a},
		cohorts: &cohorts.Cohorts{App: a}, meetings: &cohorts.Meetings{App: a}, pairs: &cohorts.Pairs{App: a}, outings: &outings.Handlers{App: a},
		stipends: &stipends.Handlers{App: a}, journals: &journals.Journals{App: a}, ownJournal: &journals.OwnJournal{App: a}, outcomes: &outcomes.Hospitalizations{App: a},
		surveys: &outcomes.Surveys{App: a}, reports: &outcomes.Reports{App: a}, ta: &taHandlers{a}, home: &homeHandlers{a}, accounts: &accountHandlers{a}}
	a.ParticipantTabs = []web.ParticipantTab{{Key: web.TabProfile, Label: "Profile", Add: h.participants.ProfileSection},
		{Key: web.TabInterviews, Label: "Interviews", Add: h.participants.InterviewsSection},
		{Key: web.TabGoals, Label: "Goals and stipend", Add: h.stipends.StipendSection},
		{Key: web.TabJournals, Label: "Journals", Add: h.journals.JournalsSection},
		{Key: web.TabOutings, Label: "Outings and partner", Add: h.outings.ParticipantOutingsSection},
		{Key: web.TabHospitalizations, Label: "Hospitalizations", Add: h.outcomes.HospitalizationsSection},
		{Key: web.TabParticipation, Label: "Participation", Add: h.outcomes.ParticipationSection}}
	a.CohortSections = []web.CohortSection{h.meetings.MeetingsSection, h.pairs.CohortPairsSection}
	a.ShowParticipant, a.ShowCohort = h.participants.ShowParticipantPage, h.cohorts.ShowCohortPage
	return h
}

// chain is an access check or two followed by the handler.
func chain(hs ...gin.HandlerFunc) steps { return steps{handlers: hs} }

// repeatsOwn is chain for an action that reports a field sent more than
// once next to that field (web.RepeatedFields).
func repeatsOwn(hs ...gin.HandlerFunc) steps { return steps{handlers: hs, ownsRepeats: true} }

// routes is every route of the agent, once: the table below, in three
// parts (anyone's, the staff API's, the staff pages').
func (s *Server) routes() []route {
	acc := s.access()
	return slices.Concat(s.publicRoutes(), s.apiRoutes(acc), s.pageRoutes(acc))
}

// access are the checks a route's chain starts with.
type access struct {
	director gin.HandlerFunc                     // only the Program Director
	sees     func(action string) gin.HandlerFunc // may see participant :id; audited as action
	cohort   gin.HandlerFunc                     // the director or the coach of cohort :cid
	leads    gin.HandlerFunc                     // the director or the coach who leads participant :id's cohort
}

func (s *Server) access() access {
	return access{director: s.RequireRole(store.RoleDirector), sees: s.ParticipantAccess, cohort: s.CohortAccess, leads: s.LeadsParticipant}
}

const get, post, put, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete

// publicRoutes need no staff session: health, set-up, sign-in, the
// anonymous survey and the participant's own journal.
func (s *Server) publicRoutes() []route {
	h := s.h
	staffSignIn := s.LimitSignIn(signinPage, func(c *gin.Context) gin.H {
		return gin.H{"Title": "Sign in", "Next": auth.SafeNext(c.PostForm("next")), "Email": c.PostForm("email")}
	})
	journalStart := s.LimitSignIn("journal_start.html", func(c *gin.Context) gin.H {
		return gin.H{"Title": "Start your journal", "Login": c.PostForm("login")}
	})
	journalSignIn := s.LimitSignIn("journal_login.html", func(c *gin.Context) gin.H {
		return gin.H{"Title": "Sign in to your journal", "Login": c.PostForm("login")}
	})
	survey := h.surveys.LimitSurvey()
	return []route{
		// Anyone: health, first-run set-up, sign-in.
		{anyone, get, "/healthz", chain(func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })},
		{anyone, get, "/setup", chain(h.signin.setupPage)},
		{anyone, post, "/setup", chain(h.signin.setupSubmit)},
		{anyone, get, "/login", chain(h.signin.loginPage)},
		{anyone, post, "/login", chain(staffSignIn, h.signin.loginSubmit)},
		{anyone, post, "/api/v1/auth/login", chain(staffSignIn, h.signin.apiLogin)},
		// Anyone: the anonymous survey (with a single-use code, or on a
		// device in survey mode); no staff session is read or needed.
		{anyone, get, "/survey", chain(h.surveys.SurveyPage)},
		{anyone, post, "/survey", repeatsOwn(survey, h.surveys.SurveySubmit)},
		{anyone, get, "/survey/thanks", chain(h.surveys.SurveyThanks)},
		{anyone, post, "/survey/end", chain(h.surveys.SurveyEnd)},
		{anyone, post, "/api/v1/survey/responses", chain(survey, h.surveys.APISubmitSurvey)},
		// Anyone: a participant starts and signs in to their own journal.
		{anyone, get, "/journal/start", chain(h.ownJournal.OwnJournalStartPage)},
		{anyone, post, "/journal/start", chain(journalStart, h.ownJournal.OwnJournalStartSubmit)},
		{anyone, get, "/journal/login", chain(h.ownJournal.OwnJournalLoginPage)},
		{anyone, post, "/journal/login", chain(journalSignIn, h.ownJournal.OwnJournalLoginSubmit)},
		// The signed-in participant's own journal.
		{participant, get, "", chain(h.ownJournal.OwnJournalPage)},
		{participant, post, "", chain(h.ownJournal.OwnJournalSubmit)},
		{participant, post, "/logout", chain(h.ownJournal.OwnJournalLogout)},
	}
}

// apiRoutes are the staff API's, under /api/v1.
func (s *Server) apiRoutes(a access) []route {
	h, director, sees, cohort, leads := s.h, a.director, a.sees, a.cohort, a.leads
	return []route{
		// Staff API (/api/v1): participants and intake.
		{staffAPI, get, "/participants", chain(h.participants.APIParticipants)},
		{staffAPI, post, "/participants", chain(h.participants.APIAddParticipant)},
		{staffAPI, get, "/participants/:id", chain(sees("view"), h.participants.APIParticipant)},
		{staffAPI, put, "/participants/:id", chain(sees("update"), h.participants.APIUpdateParticipant)},
		{staffAPI, post, "/participants/:id/withdraw", chain(sees("withdraw"), h.participants.APIWithdraw)},
		{staffAPI, get, "/participants/:id/interviews", chain(sees("view"), h.participants.APIInterviews)},
		{staffAPI, put, "/participants/:id/interviews/:timepoint", chain(sees("record_interview"), h.participants.APIRecordInterview)},
		{staffAPI, post, "/import/:kind", chain(director, h.participants.APIImport)},
		// Staff API: coaches and their certification.
		{staffAPI, get, "/coaches", chain(h.coaches.APICoaches)},
		{staffAPI, post, "/coaches", chain(director, h.coaches.APIAddCoach)},
		{staffAPI, put, "/coaches/:cid", chain(h.coaches.APIUpdateCoach)},
		{staffAPI, post, "/coaches/:cid/certification", chain(director, h.coaches.APICertify)},
		{staffAPI, post, "/coaches/:cid/hub-certification", chain(director, h.coaches.APILinkHubCert)},
		// Staff API: cohorts, meetings and lesson plans.
		{staffAPI, get, "/cohorts", chain(h.cohorts.APICohorts)},
		{staffAPI, post, "/cohorts", chain(director, h.cohorts.APIAddCohort)},
		{staffAPI, get, "/cohorts/:cid", chain(cohort, h.cohorts.APICohort)},
		{staffAPI, post, "/cohorts/:cid/members", chain(cohort, h.cohorts.APIAddMember)},
		{staffAPI, post, "/cohorts/:cid/members/:pid/leave", chain(cohort, h.cohorts.APIRemoveMember)},
		{staffAPI, get, "/cohorts/:cid/meetings", chain(cohort, h.meetings.APIMeetings)},
		{staffAPI, post, "/cohorts/:cid/meetings", chain(cohort, h.meetings.APIRecordMeeting)},
		{staffAPI, get, "/cohorts/:cid/meetings/:mid", chain(cohort, h.meetings.APIMeeting)},
		{staffAPI, put, "/cohorts/:cid/meetings/:mid", chain(cohort, h.meetings.APIUpdateMeeting)},
		{staffAPI, del, "/cohorts/:cid/meetings/:mid", chain(cohort, h.meetings.APIDeleteMeeting)},
		{staffAPI, get, "/cohorts/:cid/lesson-plans", chain(cohort, h.meetings.APILessonPlans)},
		// Staff API: peer pairs and pairing profiles.
		{staffAPI, get, "/cohorts/:cid/pairs", chain(cohort, h.pairs.APICohortPairs)},
		{staffAPI, post, "/cohorts/:cid/pairs", chain(cohort, h.pairs.APIFormPair)},
		{staffAPI, post, "/cohorts/:cid/pairs/:pairid/join", chain(cohort, h.pairs.APIJoinPair)},
		{staffAPI, post, "/cohorts/:cid/pairs/:pairid/end", chain(cohort, h.pairs.APIEndPair)},
		{staffAPI, get, "/participants/:id/pairing-profile", chain(sees("view"), h.pairs.APIPairingProfile)},
		{staffAPI, put, "/participants/:id/pairing-profile", chain(sees("update_pairing_profile"), h.pairs.APISavePairingProfile)},
		{staffAPI, get, "/participants/:id/pairs", chain(sees("view"), h.pairs.APIParticipantPairs)},
		// Staff API: outings.
		{staffAPI, get, "/participants/:id/outings", chain(sees("view"), h.outings.APIOutings)},
		{staffAPI, post, "/participants/:id/outings", chain(sees("record_outing"), h.outings.APIAddOuting)},
		{staffAPI, put, "/participants/:id/outings/:oid", chain(sees("update_outing"), leads, h.outings.APIUpdateOuting)},
		{staffAPI, del, "/participants/:id/outings/:oid", chain(sees("delete_outing"), leads, h.outings.APIDeleteOuting)},
		// Staff API: goals and stipends.
		{staffAPI, get, "/participants/:id/goals", chain(sees("view_goals"), h.stipends.APIGoals)},
		{staffAPI, put, "/participants/:id/goals", chain(sees("update_goals"), h.stipends.APISaveGoals)},
		{staffAPI, get, "/participants/:id/stipend", chain(sees("view_stipend"), h.stipends.APIStipendMonth)},
		{staffAPI, put, "/participants/:id/plans/:month", chain(sees("update_spending_plan"), h.stipends.APISavePlan)},
		{staffAPI, post, "/participants/:id/expenses", chain(sees("record_expense"), h.stipends.APIAddExpense)},
		{staffAPI, del, "/participants/:id/expenses/:eid", chain(sees("remove_expense"), h.stipends.APIDeleteExpense)},
		{staffAPI, post, "/participants/:id/expenses/:eid/receipts", chain(sees("upload_receipt"), h.stipends.APIAddReceipt)},
		{staffAPI, get, "/participants/:id/receipts/:rid", chain(sees("download_receipt"), h.stipends.ReceiptDownload)},
		{staffAPI, post, "/participants/:id/payments", chain(sees("approve_stipend"), director, h.stipends.APIApprovePayment)},
		{staffAPI, get, "/stipends/report", chain(director, h.stipends.StipendReportCSV)},
		// Staff API: journals and the participant's journal access.
		{staffAPI, get, "/participants/:id/journals", chain(sees("view_journals"), h.journals.APIJournals)},
		{staffAPI, put, "/participants/:id/journals/:week", chain(sees("record_journal"), h.journals.APISaveJournal)},
		{staffAPI, post, "/participants/:id/journals/:week/review", chain(sees("review_journal"), h.journals.APIReviewJournal)},
		{staffAPI, get, "/participants/:id/journal-access", chain(sees("view"), h.journals.APIJournalAccess)},
		{staffAPI, post, "/participants/:id/journal-access", chain(sees("issue_journal_access"), leads, h.journals.APIIssueJournalAccess)},
		{staffAPI, del, "/participants/:id/journal-access", chain(sees("revoke_journal_access"), leads, h.journals.APIRevokeJournalAccess)},
		// Staff API: outcomes (hospitalizations, services) and surveys.
		{staffAPI, get, "/participants/:id/hospitalizations", chain(sees("view"), h.outcomes.APIHospitalizations)},
		{staffAPI, put, "/participants/:id/hospitalizations/before", chain(sees("record_hospitalization"), h.outcomes.APISetHospitalizationsBefore)},
		{staffAPI, post, "/participants/:id/hospitalizations/stays", chain(sees("record_hospitalization"), h.outcomes.APIAddHospitalStay)},
		{staffAPI, del, "/participants/:id/hospitalizations/stays/:sid", chain(sees("record_hospitalization"), h.outcomes.APIDeleteHospitalStay)},
		{staffAPI, post, "/participants/:id/service-changes", chain(sees("record_hospitalization"), h.outcomes.APIAddServiceChange)},
		{staffAPI, del, "/participants/:id/service-changes/:sid", chain(sees("record_hospitalization"), h.outcomes.APIDeleteServiceChange)},
		{staffAPI, get, "/surveys", chain(h.surveys.APISurveyCounts)},
		{staffAPI, post, "/surveys", chain(h.surveys.APIRecordSurvey)},
		{staffAPI, post, "/survey-codes", chain(h.surveys.APIIssueSurveyCodes)},
		{staffAPI, get, "/reports/site", chain(director, h.reports.APISiteReport)},
		// Staff API: the site (audit, release and its files, sync, TA).
		{staffAPI, get, "/audit", chain(director, h.site.apiAudit)},
		{staffAPI, get, "/release", chain(h.site.apiRelease)},
		{staffAPI, get, "/kit-files/:sha", chain(h.site.kitFile)},
		{staffAPI, get, "/sync", chain(h.site.apiSyncStatus)},
		{staffAPI, post, "/sync/run", chain(h.site.apiSyncRun)},
		{staffAPI, get, "/ta-requests", chain(director, h.ta.apiTARequests)},
		{staffAPI, post, "/ta-requests", chain(director, h.ta.apiRaiseTARequest)},
		{staffAPI, get, "/ta-requests/:rid", chain(director, h.ta.apiTARequest)},
	}
}

// pageRoutes are the staff pages'.
func (s *Server) pageRoutes(a access) []route {
	h, director, sees, cohort, leads := s.h, a.director, a.sees, a.cohort, a.leads
	return []route{
		// Staff pages: participants and intake.
		{staffPages, post, "/logout", chain(h.signin.logout)},
		{staffPages, get, "/", chain(h.home.homePage)},
		{staffPages, get, "/participants", chain(h.participants.ParticipantsPage)},
		{staffPages, post, "/participants", chain(h.participants.AddParticipantSubmit)},
		{staffPages, get, "/participants/:id", chain(sees("view"), h.participants.ParticipantPage)},
		{staffPages, post, "/participants/:id/interviews", repeatsOwn(sees("record_interview"), h.participants.InterviewSubmit)},
		{staffPages, post, "/participants/:id/withdraw", repeatsOwn(sees("withdraw"), h.participants.WithdrawSubmit)},
		{staffPages, get, "/participants/:id/intake", chain(sees("view"), h.participants.IntakePage)},
		{staffPages, post, "/participants/:id/intake", chain(sees("update"), h.participants.IntakeSubmit)},
		{staffPages, get, "/import", chain(director, h.participants.ImportPage)},
		{staffPages, post, "/import", repeatsOwn(director, h.participants.ImportSubmit)},
		// Staff pages: coaches.
		{staffPages, get, "/coaches", chain(h.coaches.CoachesPage)},
		{staffPages, post, "/coaches", chain(director, h.coaches.AddCoachSubmit)},
		{staffPages, post, "/coaches/:cid/certification", chain(director, h.coaches.CertifySubmit)},
		{staffPages, post, "/coaches/:cid/hub-certification", chain(director, h.coaches.LinkHubCertSubmit)},
		{staffPages, post, "/coaches/:cid/account", chain(director, h.coaches.LinkAccountSubmit)},
		// Staff pages: the staff accounts (the Program Director's).
		{staffPages, get, "/accounts", chain(director, h.accounts.accountsPage)},
		{staffPages, post, "/accounts", repeatsOwn(director, h.accounts.addAccountSubmit)},
		{staffPages, post, "/accounts/:uid/disable", chain(director, h.accounts.setDisabled(true))},
		{staffPages, post, "/accounts/:uid/enable", chain(director, h.accounts.setDisabled(false))},
		{staffPages, post, "/accounts/:uid/password", repeatsOwn(director, h.accounts.passwordSubmit)},
		// Staff pages: cohorts and meetings.
		{staffPages, get, "/cohorts", chain(h.cohorts.CohortsPage)},
		{staffPages, post, "/cohorts", chain(director, h.cohorts.AddCohortSubmit)},
		{staffPages, get, "/cohorts/:cid", chain(cohort, h.cohorts.CohortPage)},
		{staffPages, post, "/cohorts/:cid/members", chain(cohort, h.cohorts.AddMemberSubmit)},
		{staffPages, post, "/cohorts/:cid/members/:pid/leave", chain(cohort, h.cohorts.LeaveMemberSubmit)},
		{staffPages, post, "/cohorts/:cid/meetings", chain(cohort, h.meetings.MeetingSubmit)},
		{staffPages, get, "/cohorts/:cid/meetings/:mid/edit", chain(cohort, h.meetings.MeetingEditPage)},
		{staffPages, post, "/cohorts/:cid/meetings/:mid", chain(cohort, h.meetings.MeetingUpdateSubmit)},
		{staffPages, get, "/cohorts/:cid/meetings/:mid/delete", chain(cohort, h.meetings.MeetingDeletePage)},
		{staffPages, post, "/cohorts/:cid/meetings/:mid/delete", chain(cohort, h.meetings.MeetingDeleteSubmit)},
		// Staff pages: peer pairs and pairing profiles.
		{staffPages, post, "/cohorts/:cid/pairs", chain(cohort, h.pairs.FormPairSubmit)},
		{staffPages, post, "/cohorts/:cid/pairs/:pairid/join", chain(cohort, h.pairs.JoinPairSubmit)},
		{staffPages, post, "/cohorts/:cid/pairs/:pairid/end", chain(cohort, h.pairs.EndPairSubmit)},
		{staffPages, post, "/participants/:id/pairing-profile", chain(sees("update_pairing_profile"), h.pairs.PairingProfileSubmit)},
		// Staff pages: outings.
		{staffPages, post, "/participants/:id/outings", chain(sees("record_outing"), h.outings.OutingSubmit)},
		{staffPages, get, "/participants/:id/outings/:oid/edit", chain(sees("view"), leads, h.outings.OutingEditPage)},
		{staffPages, post, "/participants/:id/outings/:oid", chain(sees("update_outing"), leads, h.outings.OutingUpdateSubmit)},
		{staffPages, get, "/participants/:id/outings/:oid/delete", chain(sees("view"), leads, h.outings.OutingDeletePage)},
		{staffPages, post, "/participants/:id/outings/:oid/delete", chain(sees("delete_outing"), leads, h.outings.OutingDeleteSubmit)},
		// Staff pages: goals and stipends.
		{staffPages, post, "/participants/:id/goals", chain(sees("update_goals"), h.stipends.GoalsSubmit)},
		{staffPages, post, "/participants/:id/plans/:month/lines", chain(sees("update_spending_plan"), h.stipends.PlanLineSubmit)},
		{staffPages, post, "/participants/:id/plans/:month/lines/:lid/remove", chain(sees("update_spending_plan"), h.stipends.PlanLineRemoveSubmit)},
		{staffPages, post, "/participants/:id/expenses", chain(sees("record_expense"), h.stipends.ExpenseSubmit)},
		{staffPages, post, "/participants/:id/expenses/:eid/remove", chain(sees("remove_expense"), h.stipends.ExpenseRemoveSubmit)},
		{staffPages, post, "/participants/:id/expenses/:eid/receipts", chain(sees("upload_receipt"), h.stipends.ReceiptSubmit)},
		{staffPages, get, "/participants/:id/receipts/:rid", chain(sees("download_receipt"), h.stipends.ReceiptDownload)},
		{staffPages, post, "/participants/:id/payments", chain(sees("approve_stipend"), director, h.stipends.ApproveSubmit)},
		{staffPages, get, "/stipends", chain(director, h.stipends.StipendsPage)},
		{staffPages, get, "/stipends/report.csv", chain(director, h.stipends.StipendReportCSV)},
		// Staff pages: journals and the participant's journal access.
		{staffPages, post, "/participants/:id/journals", chain(sees("record_journal"), h.journals.JournalSubmit)},
		{staffPages, post, "/participants/:id/journals/:week/review", chain(sees("review_journal"), h.journals.JournalReviewSubmit)},
		{staffPages, post, "/participants/:id/journal-access", chain(sees("issue_journal_access"), leads, h.journals.IssueJournalAccessSubmit)},
		{staffPages, post, "/participants/:id/journal-access/revoke", chain(sees("revoke_journal_access"), leads, h.journals.RevokeJournalAccessSubmit)},
		// Staff pages: outcomes (hospitalizations, services) and surveys.
		{staffPages, post, "/participants/:id/hospitalizations/before", chain(sees("record_hospitalization"), h.outcomes.HospitalizationsBeforeSubmit)},
		{staffPages, post, "/participants/:id/hospitalizations/stays", chain(sees("record_hospitalization"), h.outcomes.HospitalStaySubmit)},
		{staffPages, post, "/participants/:id/hospitalizations/stays/:sid/delete", chain(sees("record_hospitalization"), h.outcomes.HospitalStayDeleteSubmit)},
		{staffPages, post, "/participants/:id/service-changes", chain(sees("record_hospitalization"), h.outcomes.ServiceChangeSubmit)},
		{staffPages, post, "/participants/:id/service-changes/:sid/delete", chain(sees("record_hospitalization"), h.outcomes.ServiceChangeDeleteSubmit)},
		{staffPages, get, "/surveys", chain(h.surveys.SurveysPage)},
		{staffPages, post, "/surveys", repeatsOwn(h.surveys.SurveyPaperSubmit)},
		{staffPages, post, "/surveys/codes", repeatsOwn(h.surveys.SurveyCodesSubmit)},
		{staffPages, post, "/surveys/device", repeatsOwn(h.surveys.SurveyDeviceSubmit)},
		{staffPages, get, "/reports/site", chain(director, h.reports.SiteReportPage)},
		{staffPages, get, "/reports/site.csv", chain(director, h.reports.SiteReportCSV)},
		// Staff pages: the site (audit, release files, sync, TA).
		{staffPages, get, "/audit", chain(director, h.site.auditPage)},
		{staffPages, get, "/kit-files/:sha", chain(h.site.kitFile)},
		{staffPages, get, "/sync", chain(h.site.syncPage)},
		{staffPages, post, "/sync", chain(h.site.syncSubmit)},
		{staffPages, get, "/ta-requests", chain(director, h.ta.taRequestsPage)},
		{staffPages, post, "/ta-requests", chain(director, h.ta.raiseTARequestSubmit)},
		{staffPages, get, "/ta-requests/:rid", chain(director, h.ta.taRequestPage)},
	}
}
