package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// outcomeHandlers are the outcome measures besides the POM interview: a
// participant's hospitalizations and other services (only with the
// consent recorded at intake).
type outcomeHandlers struct{ *app }

func (s *outcomeHandlers) apiHospitalizations(c *gin.Context) {
	h, err := s.st.HospitalizationsOf(c.Request.Context(), c.Param("id"))
	s.reply(c, http.StatusOK, h, err)
}

func (s *outcomeHandlers) apiSetHospitalizationsBefore(c *gin.Context) {
	var in struct {
		BeforeCount *int `json:"before_count"`
	}
	if !bindJSON(c, &in) {
		return
	}
	if in.BeforeCount == nil {
		s.respond(c, &store.ValidationError{Field: "before_count", Msg: "is required: the number of hospitalizations in the two years before enrollment"})
		return
	}
	if err := s.st.SetHospitalizationsBefore(c.Request.Context(), c.Param("id"), *in.BeforeCount); err != nil {
		s.respond(c, err)
		return
	}
	s.nudgeSync()
	s.apiHospitalizations(c)
}

func (s *outcomeHandlers) apiAddHospitalStay(c *gin.Context) {
	var in struct {
		AdmittedOn string `json:"admitted_on"`
	}
	if !bindJSON(c, &in) {
		return
	}
	h, err := s.st.AddHospitalStay(c.Request.Context(), c.Param("id"), in.AdmittedOn)
	if err != nil {
		s.respond(c, err)
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusCreated, h)
}

func (s *outcomeHandlers) apiAddServiceChange(c *gin.Context) {
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
		s.respond(c, err)
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusCreated, sc)
}

func (s *outcomeHandlers) apiDeleteHospitalStay(c *gin.Context) {
	s.apiDeleted(c, s.st.DeleteHospitalStay(c.Request.Context(), c.Param("id"), c.Param("sid")), "No such hospitalization of this participant.")
}

func (s *outcomeHandlers) apiDeleteServiceChange(c *gin.Context) {
	s.apiDeleted(c, s.st.DeleteServiceChange(c.Request.Context(), c.Param("id"), c.Param("sid")), "No such service change of this participant.")
}

func (s *outcomeHandlers) apiDeleted(c *gin.Context, err error, missing string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, missing))
	case err != nil:
		s.respond(c, err)
	default:
		s.nudgeSync()
		c.Status(http.StatusNoContent)
	}
}

const (
	keyHospErrors = "HospErrors"
	keyHospForm   = "HospForm"
	// surveyCookie holds a survey-mode device's token. It is sent only to
	// the survey page, never across sites.
	surveyCookie = "iml_survey_device"
)

// hospForm is what the hospitalization forms post, kept for a retry.
type hospForm struct {
	BeforeCount, AdmittedOn, Service, Change, ChangedOn string
}

var serviceLabels = map[string]string{
	"case_management": "Case management", "outpatient_therapy": "Outpatient therapy", "psychiatric_medication": "Psychiatric medication",
	"crisis_services": "Crisis services", "day_program": "Day program", "peer_support": "Peer support (other than this program)",
	"supported_employment": "Supported employment", "housing_support": "Housing support", "other": "Other service",
}

var changeLabels = map[string]string{"started": "Started", "stopped": "Stopped", "increased": "Increased", "decreased": "Decreased"}

// hospitalizationsSection adds the participant's hospitalizations, other
// services and participation by program month to their page.
func (s *outcomeHandlers) hospitalizationsSection(c *gin.Context, p store.Participant, data gin.H) error {
	ctx := c.Request.Context()
	h, err := s.st.HospitalizationsOf(ctx, p.ID)
	if err != nil {
		return err
	}
	months, err := s.st.ParticipationMonths(ctx, p.ID)
	if err != nil {
		return err
	}
	f, _ := data[keyHospForm].(hospForm)
	errs, _ := data[keyHospErrors].(map[string]string)
	if errs == nil {
		errs = map[string]string{}
	}
	if f.BeforeCount == "" && h.BeforeCount != nil {
		f.BeforeCount = strconv.Itoa(*h.BeforeCount)
	}
	data["Hosp"] = gin.H{"H": h, "Form": f, "Errors": errs, "Services": options(contract.Services, labelOf(serviceLabels), f.Service),
		"Changes": options(contract.ServiceChangeKinds, labelOf(changeLabels), f.Change), "ServiceLabels": serviceLabels, "ChangeLabels": changeLabels,
		"Participation": months}
	return nil
}

func (s *outcomeHandlers) hospitalizationDone(c *gin.Context, err error, f hospForm) {
	if err != nil {
		s.participantFormErr(c, err, keyHospErrors, gin.H{keyHospForm: f})
		return
	}
	s.nudgeSync()
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#hospitalizations")
}

func (s *outcomeHandlers) hospitalizationsBeforeSubmit(c *gin.Context) {
	f := hospForm{BeforeCount: c.PostForm("before_count")}
	n, err := strconv.Atoi(f.BeforeCount)
	if err != nil {
		s.hospitalizationDone(c, &store.ValidationError{Field: "before_count", Msg: "enter a whole number, such as 0 or 2"}, f)
		return
	}
	s.hospitalizationDone(c, s.st.SetHospitalizationsBefore(c.Request.Context(), c.Param("id"), n), f)
}

func (s *outcomeHandlers) hospitalStaySubmit(c *gin.Context) {
	f := hospForm{AdmittedOn: c.PostForm("admitted_on")}
	_, err := s.st.AddHospitalStay(c.Request.Context(), c.Param("id"), f.AdmittedOn)
	s.hospitalizationDone(c, err, f)
}

func (s *outcomeHandlers) serviceChangeSubmit(c *gin.Context) {
	f := hospForm{Service: c.PostForm("service"), Change: c.PostForm("change"), ChangedOn: c.PostForm("changed_on")}
	_, err := s.st.AddServiceChange(c.Request.Context(), c.Param("id"), store.ServiceChange{Service: f.Service, Change: f.Change, ChangedOn: f.ChangedOn})
	s.hospitalizationDone(c, err, f)
}

func (s *outcomeHandlers) hospitalStayDeleteSubmit(c *gin.Context) {
	s.hospitalizationDone(c, s.st.DeleteHospitalStay(c.Request.Context(), c.Param("id"), c.Param("sid")), hospForm{})
}

func (s *outcomeHandlers) serviceChangeDeleteSubmit(c *gin.Context) {
	s.hospitalizationDone(c, s.st.DeleteServiceChange(c.Request.Context(), c.Param("id"), c.Param("sid")), hospForm{})
}
