package server

import "github.com/gin-gonic/gin"

// pairRoutes registers this feature's API routes on api (under /api/v1, signed in)
// and its pages on pages (signed in), and appends its sections to
// s.participantSections and s.cohortSections: peer partner pairs of a
// cohort, a participant's pairing profile and social outings.
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

	pages.POST("/cohorts/:cid/pairs", s.cohortAccess, s.formPairSubmit)
	pages.POST("/cohorts/:cid/pairs/:pairid/join", s.cohortAccess, s.joinPairSubmit)
	pages.POST("/cohorts/:cid/pairs/:pairid/end", s.cohortAccess, s.endPairSubmit)
	pages.POST("/participants/:id/pairing-profile", s.participantAccess("update_pairing_profile"), s.pairingProfileSubmit)
	pages.POST("/participants/:id/outings", s.participantAccess("record_outing"), s.outingSubmit)

	s.cohortSections = append(s.cohortSections, s.cohortPairsSection)
	s.participantSections = append(s.participantSections, s.participantOutingsSection)
}
