package server

import "github.com/gin-gonic/gin"

// outcomeRoutes registers the outcome measures besides the POM interview:
// a participant's hospitalizations and other services (only with the
// consent recorded at intake), and the anonymous satisfaction survey, which
// staff enter from paper or a participant fills in on the survey page
// (root, not signed in: with a single-use code, or on a device the coach
// put in survey mode). The survey page shows nothing but the survey.
func (s *Server) outcomeRoutes(root *gin.Engine, api, pages *gin.RouterGroup) {
	api.GET("/participants/:id/hospitalizations", s.participantAccess("view"), s.apiHospitalizations)
	api.PUT("/participants/:id/hospitalizations/before", s.participantAccess("record_hospitalization"), s.apiSetHospitalizationsBefore)
	api.POST("/participants/:id/hospitalizations/stays", s.participantAccess("record_hospitalization"), s.apiAddHospitalStay)
	api.DELETE("/participants/:id/hospitalizations/stays/:sid", s.participantAccess("record_hospitalization"), s.apiDeleteHospitalStay)
	api.POST("/participants/:id/service-changes", s.participantAccess("record_hospitalization"), s.apiAddServiceChange)
	api.DELETE("/participants/:id/service-changes/:sid", s.participantAccess("record_hospitalization"), s.apiDeleteServiceChange)
	api.GET("/surveys", s.apiSurveyCounts)
	api.POST("/surveys", s.apiRecordSurvey)
	api.POST("/survey-codes", s.apiIssueSurveyCodes)

	pages.POST("/participants/:id/hospitalizations/before", s.participantAccess("record_hospitalization"), s.hospitalizationsBeforeSubmit)
	pages.POST("/participants/:id/hospitalizations/stays", s.participantAccess("record_hospitalization"), s.hospitalStaySubmit)
	pages.POST("/participants/:id/hospitalizations/stays/:sid/delete", s.participantAccess("record_hospitalization"), s.hospitalStayDeleteSubmit)
	pages.POST("/participants/:id/service-changes", s.participantAccess("record_hospitalization"), s.serviceChangeSubmit)
	pages.POST("/participants/:id/service-changes/:sid/delete", s.participantAccess("record_hospitalization"), s.serviceChangeDeleteSubmit)
	pages.GET("/surveys", s.surveysPage)
	pages.POST("/surveys", s.surveyPaperSubmit)
	pages.POST("/surveys/codes", s.surveyCodesSubmit)
	pages.POST("/surveys/device", s.surveyDeviceSubmit)

	// The participant's own page: no staff session is read or needed.
	root.GET("/survey", s.surveyPage)
	root.POST("/survey", s.limitSurvey(), s.surveySubmit)
	root.GET("/survey/thanks", s.surveyThanks)
	root.POST("/survey/end", s.surveyEnd)
	root.POST("/api/v1/survey/responses", s.limitSurvey(), s.apiSubmitSurvey)

	s.participantSections = append(s.participantSections, s.hospitalizationsSection)
}
