package server

import "github.com/gin-gonic/gin"

// pairRoutes registers this feature's API routes on api (under /api/v1, signed in)
// and its pages on pages (signed in), and appends its sections to
// s.participantSections and s.cohortSections: peer partner pairs of a
// cohort, a participant's pairing profile and social outings (the
// director and the coach who leads the participant's cohort correct and
// delete them).
func (s *Server) pairRoutes(api, pages *gin.RouterGroup) {
	api.GET("/cohorts/:cid/pairs", s.cohortAccess, s.apiCohortPairs)
	api.POST("/cohorts/:cid/pairs", s.cohortAccess, s.apiFormPair)
	api.POST("/cohorts/:cid/pairs/:pairid/join", s.cohortAccess, s.apiJoinPair)
	api.POST("/cohorts/:cid/pairs/:pairid/end", s.cohortAccess, s.apiEndPair)
	api.GET("/participants/:id/pairing-profile", s.participantAccess("view"), s.apiPairingProfile)
	api.PUT("/participants/:id/pairing-profile", s.participantAccess("update_pairing_profile"), s.apiSavePairingProfile)
	api.GET("/participants/:id/pairs", s.participantAccess("view"), s.apiParticipantPairs)
	api.GET("/participants/:id/outings", s.participantAccess("view"), s.apiOutings)
	api.POST("/participants/:id/outings", s.participantAccess("record_outing"), s.apiAddOuting)
	api.PUT("/participants/:id/outings/:oid", s.participantAccess("update_outing"), s.leadsParticipant, s.apiUpdateOuting)
	api.DELETE("/participants/:id/outings/:oid", s.participantAccess("delete_outing"), s.leadsParticipant, s.apiDeleteOuting)

	pages.POST("/cohorts/:cid/pairs", s.cohortAccess, s.formPairSubmit)
	pages.POST("/cohorts/:cid/pairs/:pairid/join", s.cohortAccess, s.joinPairSubmit)
	pages.POST("/cohorts/:cid/pairs/:pairid/end", s.cohortAccess, s.endPairSubmit)
	pages.POST("/participants/:id/pairing-profile", s.participantAccess("update_pairing_profile"), s.pairingProfileSubmit)
	pages.POST("/participants/:id/outings", s.participantAccess("record_outing"), s.outingSubmit)
	pages.GET("/participants/:id/outings/:oid/edit", s.participantAccess("view"), s.leadsParticipant, s.outingEditPage)
	pages.POST("/participants/:id/outings/:oid", s.participantAccess("update_outing"), s.leadsParticipant, s.outingUpdateSubmit)
	pages.GET("/participants/:id/outings/:oid/delete", s.participantAccess("view"), s.leadsParticipant, s.outingDeletePage)
	pages.POST("/participants/:id/outings/:oid/delete", s.participantAccess("delete_outing"), s.leadsParticipant, s.outingDeleteSubmit)

	s.cohortSections = append(s.cohortSections, s.cohortPairsSection)
	s.participantSections = append(s.participantSections, s.participantOutingsSection)
}
