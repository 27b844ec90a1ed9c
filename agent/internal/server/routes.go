package server

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
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
	chain  []gin.HandlerFunc
}

// handlers are the HTTP handlers of each capability, over the shared app.
type handlers struct {
	signin       *signinHandlers
	site         *siteHandlers
	participants *participantHandlers
	coaches      *coachHandlers
	cohorts      *cohortHandlers
	meetings     *meetingHandlers
	pairs        *pairHandlers
	outings      *outingHandlers
	stipends     *stipendHandlers
	journals     *journalHandlers
	ownJournal   *ownJournalHandlers
	outcomes     *outcomeHandlers
	surveys      *surveyHandlers
	ta           *taHandlers
}

// newHandlers makes every capability's handlers and gives the participant
// and cohort pages their sections, in the order the pages show them.
func newHandlers(a *app) handlers {
	h := handlers{signin: &signinHandlers{a}, site: &siteHandlers{a}, participants: &participantHandlers{a}, coaches: &coachHandlers{a},
		cohorts: &cohortHandlers{a}, meetings: &meetingHandlers{a}, pairs: &pairHandlers{a}, outings: &outingHandlers{a},
		stipends: &stipendHandlers{a}, journals: &journalHandlers{a}, ownJournal: &ownJournalHandlers{a}, outcomes: &outcomeHandlers{a},
		surveys: &surveyHandlers{a}, ta: &taHandlers{a}}
	a.participantSections = []participantSection{h.journals.journalsSection, h.stipends.stipendSection,
		h.outings.participantOutingsSection, h.outcomes.hospitalizationsSection}
	a.cohortSections = []cohortSection{h.meetings.meetingsSection, h.pairs.cohortPairsSection}
	a.showParticipant, a.showCohort = h.participants.showParticipant, h.cohorts.showCohort
	return h
}

// chain is an access check or two followed by the handler.
func chain(hs ...gin.HandlerFunc) []gin.HandlerFunc { return hs }

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
	return access{director: s.requireRole(store.RoleDirector), sees: s.participantAccess, cohort: s.cohortAccess, leads: s.leadsParticipant}
}

const get, post, put, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete

// publicRoutes need no staff session: health, set-up, sign-in, the
// anonymous survey and the participant's own journal.
func (s *Server) publicRoutes() []route {
	h := s.h
	staffSignIn := s.limitSignIn("login.html", func(c *gin.Context) gin.H {
		return gin.H{"Title": "Sign in", "Next": auth.SafeNext(c.PostForm("next")), "Email": c.PostForm("email")}
	})
	journalStart := s.limitSignIn("journal_start.html", func(c *gin.Context) gin.H {
		return gin.H{"Title": "Start your journal", "Login": c.PostForm("login")}
	})
	journalSignIn := s.limitSignIn("journal_login.html", func(c *gin.Context) gin.H {
		return gin.H{"Title": "Sign in to your journal", "Login": c.PostForm("login")}
	})
	survey := h.surveys.limitSurvey()
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
		{anyone, get, "/survey", chain(h.surveys.surveyPage)},
		{anyone, post, "/survey", chain(survey, h.surveys.surveySubmit)},
		{anyone, get, "/survey/thanks", chain(h.surveys.surveyThanks)},
		{anyone, post, "/survey/end", chain(h.surveys.surveyEnd)},
		{anyone, post, "/api/v1/survey/responses", chain(survey, h.surveys.apiSubmitSurvey)},
		// Anyone: a participant starts and signs in to their own journal.
		{anyone, get, "/journal/start", chain(h.ownJournal.ownJournalStartPage)},
		{anyone, post, "/journal/start", chain(journalStart, h.ownJournal.ownJournalStartSubmit)},
		{anyone, get, "/journal/login", chain(h.ownJournal.ownJournalLoginPage)},
		{anyone, post, "/journal/login", chain(journalSignIn, h.ownJournal.ownJournalLoginSubmit)},
		// The signed-in participant's own journal.
		{participant, get, "", chain(h.ownJournal.ownJournalPage)},
		{participant, post, "", chain(h.ownJournal.ownJournalSubmit)},
		{participant, post, "/logout", chain(h.ownJournal.ownJournalLogout)},
	}
}

// apiRoutes are the staff API's, under /api/v1.
func (s *Server) apiRoutes(a access) []route {
	h, director, sees, cohort, leads := s.h, a.director, a.sees, a.cohort, a.leads
	return []route{
		// Staff API (/api/v1): participants and intake.
		{staffAPI, get, "/participants", chain(h.participants.apiParticipants)},
		{staffAPI, post, "/participants", chain(h.participants.apiAddParticipant)},
		{staffAPI, get, "/participants/:id", chain(sees("view"), h.participants.apiParticipant)},
		{staffAPI, put, "/participants/:id", chain(sees("update"), h.participants.apiUpdateParticipant)},
		{staffAPI, post, "/participants/:id/withdraw", chain(sees("withdraw"), h.participants.apiWithdraw)},
		{staffAPI, get, "/participants/:id/interviews", chain(sees("view"), h.participants.apiInterviews)},
		{staffAPI, put, "/participants/:id/interviews/:timepoint", chain(sees("record_interview"), h.participants.apiRecordInterview)},
		{staffAPI, post, "/import/:kind", chain(director, h.participants.apiImport)},
		// Staff API: coaches and their certification.
		{staffAPI, get, "/coaches", chain(h.coaches.apiCoaches)},
		{staffAPI, post, "/coaches", chain(director, h.coaches.apiAddCoach)},
		{staffAPI, put, "/coaches/:cid", chain(h.coaches.apiUpdateCoach)},
		{staffAPI, post, "/coaches/:cid/certification", chain(director, h.coaches.apiCertify)},
		{staffAPI, post, "/coaches/:cid/hub-certification", chain(director, h.coaches.apiLinkHubCert)},
		// Staff API: cohorts, meetings and lesson plans.
		{staffAPI, get, "/cohorts", chain(h.cohorts.apiCohorts)},
		{staffAPI, post, "/cohorts", chain(director, h.cohorts.apiAddCohort)},
		{staffAPI, get, "/cohorts/:cid", chain(cohort, h.cohorts.apiCohort)},
		{staffAPI, post, "/cohorts/:cid/members", chain(cohort, h.cohorts.apiAddMember)},
		{staffAPI, post, "/cohorts/:cid/members/:pid/leave", chain(cohort, h.cohorts.apiRemoveMember)},
		{staffAPI, get, "/cohorts/:cid/meetings", chain(cohort, h.meetings.apiMeetings)},
		{staffAPI, post, "/cohorts/:cid/meetings", chain(cohort, h.meetings.apiRecordMeeting)},
		{staffAPI, get, "/cohorts/:cid/meetings/:mid", chain(cohort, h.meetings.apiMeeting)},
		{staffAPI, put, "/cohorts/:cid/meetings/:mid", chain(cohort, h.meetings.apiUpdateMeeting)},
		{staffAPI, del, "/cohorts/:cid/meetings/:mid", chain(cohort, h.meetings.apiDeleteMeeting)},
		{staffAPI, get, "/cohorts/:cid/lesson-plans", chain(cohort, h.meetings.apiLessonPlans)},
		// Staff API: peer pairs and pairing profiles.
		{staffAPI, get, "/cohorts/:cid/pairs", chain(cohort, h.pairs.apiCohortPairs)},
		{staffAPI, post, "/cohorts/:cid/pairs", chain(cohort, h.pairs.apiFormPair)},
		{staffAPI, post, "/cohorts/:cid/pairs/:pairid/join", chain(cohort, h.pairs.apiJoinPair)},
		{staffAPI, post, "/cohorts/:cid/pairs/:pairid/end", chain(cohort, h.pairs.apiEndPair)},
		{staffAPI, get, "/participants/:id/pairing-profile", chain(sees("view"), h.pairs.apiPairingProfile)},
		{staffAPI, put, "/participants/:id/pairing-profile", chain(sees("update_pairing_profile"), h.pairs.apiSavePairingProfile)},
		{staffAPI, get, "/participants/:id/pairs", chain(sees("view"), h.pairs.apiParticipantPairs)},
		// Staff API: outings.
		{staffAPI, get, "/participants/:id/outings", chain(sees("view"), h.outings.apiOutings)},
		{staffAPI, post, "/participants/:id/outings", chain(sees("record_outing"), h.outings.apiAddOuting)},
		{staffAPI, put, "/participants/:id/outings/:oid", chain(sees("update_outing"), leads, h.outings.apiUpdateOuting)},
		{staffAPI, del, "/participants/:id/outings/:oid", chain(sees("delete_outing"), leads, h.outings.apiDeleteOuting)},
		// Staff API: goals and stipends.
		{staffAPI, get, "/participants/:id/goals", chain(sees("view_goals"), h.stipends.apiGoals)},
		{staffAPI, put, "/participants/:id/goals", chain(sees("update_goals"), h.stipends.apiSaveGoals)},
		{staffAPI, get, "/participants/:id/stipend", chain(sees("view_stipend"), h.stipends.apiStipendMonth)},
		{staffAPI, put, "/participants/:id/plans/:month", chain(sees("update_spending_plan"), h.stipends.apiSavePlan)},
		{staffAPI, post, "/participants/:id/expenses", chain(sees("record_expense"), h.stipends.apiAddExpense)},
		{staffAPI, del, "/participants/:id/expenses/:eid", chain(sees("remove_expense"), h.stipends.apiDeleteExpense)},
		{staffAPI, post, "/participants/:id/expenses/:eid/receipts", chain(sees("upload_receipt"), h.stipends.apiAddReceipt)},
		{staffAPI, get, "/participants/:id/receipts/:rid", chain(sees("download_receipt"), h.stipends.receiptDownload)},
		{staffAPI, post, "/participants/:id/payments", chain(sees("approve_stipend"), director, h.stipends.apiApprovePayment)},
		{staffAPI, get, "/stipends/report", chain(director, h.stipends.stipendReportCSV)},
		// Staff API: journals and the participant's journal access.
		{staffAPI, get, "/participants/:id/journals", chain(sees("view_journals"), h.journals.apiJournals)},
		{staffAPI, put, "/participants/:id/journals/:week", chain(sees("record_journal"), h.journals.apiSaveJournal)},
		{staffAPI, post, "/participants/:id/journals/:week/review", chain(sees("review_journal"), h.journals.apiReviewJournal)},
		{staffAPI, get, "/participants/:id/journal-access", chain(sees("view"), h.journals.apiJournalAccess)},
		{staffAPI, post, "/participants/:id/journal-access", chain(sees("issue_journal_access"), leads, h.journals.apiIssueJournalAccess)},
		{staffAPI, del, "/participants/:id/journal-access", chain(sees("revoke_journal_access"), leads, h.journals.apiRevokeJournalAccess)},
		// Staff API: outcomes (hospitalizations, services) and surveys.
		{staffAPI, get, "/participants/:id/hospitalizations", chain(sees("view"), h.outcomes.apiHospitalizations)},
		{staffAPI, put, "/participants/:id/hospitalizations/before", chain(sees("record_hospitalization"), h.outcomes.apiSetHospitalizationsBefore)},
		{staffAPI, post, "/participants/:id/hospitalizations/stays", chain(sees("record_hospitalization"), h.outcomes.apiAddHospitalStay)},
		{staffAPI, del, "/participants/:id/hospitalizations/stays/:sid", chain(sees("record_hospitalization"), h.outcomes.apiDeleteHospitalStay)},
		{staffAPI, post, "/participants/:id/service-changes", chain(sees("record_hospitalization"), h.outcomes.apiAddServiceChange)},
		{staffAPI, del, "/participants/:id/service-changes/:sid", chain(sees("record_hospitalization"), h.outcomes.apiDeleteServiceChange)},
		{staffAPI, get, "/surveys", chain(h.surveys.apiSurveyCounts)},
		{staffAPI, post, "/surveys", chain(h.surveys.apiRecordSurvey)},
		{staffAPI, post, "/survey-codes", chain(h.surveys.apiIssueSurveyCodes)},
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
		{staffPages, get, "/", chain(func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/participants") })},
		{staffPages, get, "/participants", chain(h.participants.participantsPage)},
		{staffPages, post, "/participants", chain(h.participants.addParticipantSubmit)},
		{staffPages, get, "/participants/:id", chain(sees("view"), h.participants.participantPage)},
		{staffPages, post, "/participants/:id/interviews", chain(sees("record_interview"), h.participants.interviewSubmit)},
		{staffPages, post, "/participants/:id/withdraw", chain(sees("withdraw"), h.participants.withdrawSubmit)},
		{staffPages, get, "/import", chain(director, h.participants.importPage)},
		{staffPages, post, "/import", chain(director, h.participants.importSubmit)},
		// Staff pages: coaches.
		{staffPages, get, "/coaches", chain(h.coaches.coachesPage)},
		{staffPages, post, "/coaches", chain(director, h.coaches.addCoachSubmit)},
		{staffPages, post, "/coaches/:cid/certification", chain(director, h.coaches.certifySubmit)},
		{staffPages, post, "/coaches/:cid/hub-certification", chain(director, h.coaches.linkHubCertSubmit)},
		// Staff pages: cohorts and meetings.
		{staffPages, get, "/cohorts", chain(h.cohorts.cohortsPage)},
		{staffPages, post, "/cohorts", chain(director, h.cohorts.addCohortSubmit)},
		{staffPages, get, "/cohorts/:cid", chain(cohort, h.cohorts.cohortPage)},
		{staffPages, post, "/cohorts/:cid/members", chain(cohort, h.cohorts.addMemberSubmit)},
		{staffPages, post, "/cohorts/:cid/meetings", chain(cohort, h.meetings.meetingSubmit)},
		{staffPages, get, "/cohorts/:cid/meetings/:mid/edit", chain(cohort, h.meetings.meetingEditPage)},
		{staffPages, post, "/cohorts/:cid/meetings/:mid", chain(cohort, h.meetings.meetingUpdateSubmit)},
		{staffPages, get, "/cohorts/:cid/meetings/:mid/delete", chain(cohort, h.meetings.meetingDeletePage)},
		{staffPages, post, "/cohorts/:cid/meetings/:mid/delete", chain(cohort, h.meetings.meetingDeleteSubmit)},
		// Staff pages: peer pairs and pairing profiles.
		{staffPages, post, "/cohorts/:cid/pairs", chain(cohort, h.pairs.formPairSubmit)},
		{staffPages, post, "/cohorts/:cid/pairs/:pairid/join", chain(cohort, h.pairs.joinPairSubmit)},
		{staffPages, post, "/cohorts/:cid/pairs/:pairid/end", chain(cohort, h.pairs.endPairSubmit)},
		{staffPages, post, "/participants/:id/pairing-profile", chain(sees("update_pairing_profile"), h.pairs.pairingProfileSubmit)},
		// Staff pages: outings.
		{staffPages, post, "/participants/:id/outings", chain(sees("record_outing"), h.outings.outingSubmit)},
		{staffPages, get, "/participants/:id/outings/:oid/edit", chain(sees("view"), leads, h.outings.outingEditPage)},
		{staffPages, post, "/participants/:id/outings/:oid", chain(sees("update_outing"), leads, h.outings.outingUpdateSubmit)},
		{staffPages, get, "/participants/:id/outings/:oid/delete", chain(sees("view"), leads, h.outings.outingDeletePage)},
		{staffPages, post, "/participants/:id/outings/:oid/delete", chain(sees("delete_outing"), leads, h.outings.outingDeleteSubmit)},
		// Staff pages: goals and stipends.
		{staffPages, post, "/participants/:id/goals", chain(sees("update_goals"), h.stipends.goalsSubmit)},
		{staffPages, post, "/participants/:id/plans/:month/lines", chain(sees("update_spending_plan"), h.stipends.planLineSubmit)},
		{staffPages, post, "/participants/:id/plans/:month/lines/:lid/remove", chain(sees("update_spending_plan"), h.stipends.planLineRemoveSubmit)},
		{staffPages, post, "/participants/:id/expenses", chain(sees("record_expense"), h.stipends.expenseSubmit)},
		{staffPages, post, "/participants/:id/expenses/:eid/remove", chain(sees("remove_expense"), h.stipends.expenseRemoveSubmit)},
		{staffPages, post, "/participants/:id/expenses/:eid/receipts", chain(sees("upload_receipt"), h.stipends.receiptSubmit)},
		{staffPages, get, "/participants/:id/receipts/:rid", chain(sees("download_receipt"), h.stipends.receiptDownload)},
		{staffPages, post, "/participants/:id/payments", chain(sees("approve_stipend"), director, h.stipends.approveSubmit)},
		{staffPages, get, "/stipends", chain(director, h.stipends.stipendsPage)},
		{staffPages, get, "/stipends/report.csv", chain(director, h.stipends.stipendReportCSV)},
		// Staff pages: journals and the participant's journal access.
		{staffPages, post, "/participants/:id/journals", chain(sees("record_journal"), h.journals.journalSubmit)},
		{staffPages, post, "/participants/:id/journals/:week/review", chain(sees("review_journal"), h.journals.journalReviewSubmit)},
		{staffPages, post, "/participants/:id/journal-access", chain(sees("issue_journal_access"), leads, h.journals.issueJournalAccessSubmit)},
		{staffPages, post, "/participants/:id/journal-access/revoke", chain(sees("revoke_journal_access"), leads, h.journals.revokeJournalAccessSubmit)},
		// Staff pages: outcomes (hospitalizations, services) and surveys.
		{staffPages, post, "/participants/:id/hospitalizations/before", chain(sees("record_hospitalization"), h.outcomes.hospitalizationsBeforeSubmit)},
		{staffPages, post, "/participants/:id/hospitalizations/stays", chain(sees("record_hospitalization"), h.outcomes.hospitalStaySubmit)},
		{staffPages, post, "/participants/:id/hospitalizations/stays/:sid/delete", chain(sees("record_hospitalization"), h.outcomes.hospitalStayDeleteSubmit)},
		{staffPages, post, "/participants/:id/service-changes", chain(sees("record_hospitalization"), h.outcomes.serviceChangeSubmit)},
		{staffPages, post, "/participants/:id/service-changes/:sid/delete", chain(sees("record_hospitalization"), h.outcomes.serviceChangeDeleteSubmit)},
		{staffPages, get, "/surveys", chain(h.surveys.surveysPage)},
		{staffPages, post, "/surveys", chain(h.surveys.surveyPaperSubmit)},
		{staffPages, post, "/surveys/codes", chain(h.surveys.surveyCodesSubmit)},
		{staffPages, post, "/surveys/device", chain(h.surveys.surveyDeviceSubmit)},
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
