package server

import "github.com/gin-gonic/gin"

// meetingRoutes registers this feature's API routes on api (under /api/v1, signed in)
// and its pages on pages (signed in), and appends its sections to
// s.participantSections and s.cohortSections: cohort meetings (the
// director and the cohort's coach record them) and the weekly guided
// journal (whoever may see the participant enters and reviews it; every
// access is audited).
func (s *Server) meetingRoutes(api, pages *gin.RouterGroup) {
	api.GET("/cohorts/:cid/meetings", s.cohortAccess, s.apiMeetings)
	api.POST("/cohorts/:cid/meetings", s.cohortAccess, s.apiRecordMeeting)
	api.GET("/cohorts/:cid/meetings/:mid", s.cohortAccess, s.apiMeeting)
	api.PUT("/cohorts/:cid/meetings/:mid", s.cohortAccess, s.apiUpdateMeeting)
	api.DELETE("/cohorts/:cid/meetings/:mid", s.cohortAccess, s.apiDeleteMeeting)
	api.GET("/cohorts/:cid/lesson-plans", s.cohortAccess, s.apiLessonPlans)
	api.GET("/participants/:id/journals", s.participantAccess("view_journals"), s.apiJournals)
	api.PUT("/participants/:id/journals/:week", s.participantAccess("record_journal"), s.apiSaveJournal)
	api.POST("/participants/:id/journals/:week/review", s.participantAccess("review_journal"), s.apiReviewJournal)

	pages.POST("/cohorts/:cid/meetings", s.cohortAccess, s.meetingSubmit)
	pages.GET("/cohorts/:cid/meetings/:mid/edit", s.cohortAccess, s.meetingEditPage)
	pages.POST("/cohorts/:cid/meetings/:mid", s.cohortAccess, s.meetingUpdateSubmit)
	pages.GET("/cohorts/:cid/meetings/:mid/delete", s.cohortAccess, s.meetingDeletePage)
	pages.POST("/cohorts/:cid/meetings/:mid/delete", s.cohortAccess, s.meetingDeleteSubmit)
	pages.POST("/participants/:id/journals", s.participantAccess("record_journal"), s.journalSubmit)
	pages.POST("/participants/:id/journals/:week/review", s.participantAccess("review_journal"), s.journalReviewSubmit)

	s.cohortSections = append(s.cohortSections, s.meetingsSection)
	s.participantSections = append(s.participantSections, s.journalsSection)
}
