package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
)

func (s *Server) apiHospitalizations(c *gin.Context) {
	h, err := s.st.HospitalizationsOf(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}

func (s *Server) apiSetHospitalizationsBefore(c *gin.Context) {
	var in struct {
		BeforeCount *int `json:"before_count"`
	}
	if !bindJSON(c, &in) {
		return
	}
	if in.BeforeCount == nil {
		s.writeErr(c, &store.ValidationError{Field: "before_count", Msg: "is required: the number of hospitalizations in the two years before enrollment"})
		return
	}
	if err := s.st.SetHospitalizationsBefore(c.Request.Context(), c.Param("id"), *in.BeforeCount); err != nil {
		s.writeErr(c, err)
		return
	}
	s.nudgeSync()
	s.apiHospitalizations(c)
}

func (s *Server) apiAddHospitalStay(c *gin.Context) {
	var in struct {
		AdmittedOn string `json:"admitted_on"`
	}
	if !bindJSON(c, &in) {
		return
	}
	h, err := s.st.AddHospitalStay(c.Request.Context(), c.Param("id"), in.AdmittedOn)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusCreated, h)
}

func (s *Server) apiAddServiceChange(c *gin.Context) {
	var in struct {
		Service   string `json:"service"`
		Change    string `json:"change"`
		ChangedOn string `json:"changed_on"`
	}
	if !bindJSON(c, &in) {
		return
	}
	sc, err := s.st.AddServiceChange(c.Request.Context(), c.Param("id"), store.ServiceChange{Service: in.Service, Change: in.Change, ChangedOn: in.ChangedOn})
	if err != nil {
		s.writeErr(c, err)
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusCreated, sc)
}

func (s *Server) apiDeleteHospitalStay(c *gin.Context) {
	s.apiDeleted(c, s.st.DeleteHospitalStay(c.Request.Context(), c.Param("id"), c.Param("sid")), "No such hospitalization of this participant.")
}

func (s *Server) apiDeleteServiceChange(c *gin.Context) {
	s.apiDeleted(c, s.st.DeleteServiceChange(c.Request.Context(), c.Param("id"), c.Param("sid")), "No such service change of this participant.")
}

func (s *Server) apiDeleted(c *gin.Context, err error, missing string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, missing))
	case err != nil:
		s.writeErr(c, err)
	default:
		s.nudgeSync()
		c.Status(http.StatusNoContent)
	}
}

func (s *Server) apiSurveyCounts(c *gin.Context) {
	counts, err := s.st.SurveyCounts(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"surveys": counts})
}

// apiRecordSurvey stores a survey entered from paper. It answers without
// an id: the site keeps none that staff could note beside a name.
func (s *Server) apiRecordSurvey(c *gin.Context) {
	var in store.SurveyInput
	if !bindJSON(c, &in) {
		return
	}
	if err := s.st.RecordSurvey(c.Request.Context(), in); err != nil {
		s.writeErr(c, err)
		return
	}
	c.Status(http.StatusCreated)
}

func (s *Server) apiIssueSurveyCodes(c *gin.Context) {
	var in struct {
		Timepoint string `json:"timepoint"`
		Model     string `json:"model"`
		Count     int    `json:"count"`
	}
	if !bindJSON(c, &in) {
		return
	}
	codes, err := s.st.IssueSurveyCodes(c.Request.Context(), in.Timepoint, in.Model, in.Count)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"codes": codes})
}

// apiSubmitSurvey is the participant's own call: a single-use code and the
// answers, no sign-in.
func (s *Server) apiSubmitSurvey(c *gin.Context) {
	var in struct {
		Code    string            `json:"code"`
		Answers map[string]string `json:"answers"`
	}
	if !bindJSON(c, &in) {
		return
	}
	if err := s.st.SubmitSurvey(c.Request.Context(), in.Code, in.Answers); err != nil {
		if errors.Is(err, store.ErrSurveyPass) {
			problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, err.Error()))
			return
		}
		s.writeErr(c, err)
		return
	}
	c.Status(http.StatusCreated)
}
