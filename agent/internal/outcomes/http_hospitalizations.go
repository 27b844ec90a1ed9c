package outcomes

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// Hospitalizations are the outcome measures besides the POM interview: a
// participant's hospitalizations and other services (only with the
// consent recorded at intake).
type Hospitalizations struct{ *web.App }

func (s *Hospitalizations) APIHospitalizations(c *gin.Context) {
	h, err := s.St.Outcomes.HospitalizationsOf(c.Request.Context(), c.Param("id"))
	s.Reply(c, http.StatusOK, h, err)
}

func (s *Hospitalizations) APISetHospitalizationsBefore(c *gin.Context) {
	var in struct {
		BeforeCount *int `json:"before_count" range:"0..1000"` // the store's range
	}
	if !web.BindJSON(c, &in) {
		return
	}
	if in.BeforeCount == nil {
		s.Respond(c, &store.ValidationError{Field: "before_count", Msg: "Enter the number of hospitalizations in the two years before enrollment"})
		return
	}
	if err := s.St.Outcomes.SetHospitalizationsBefore(c.Request.Context(), c.Param("id"), *in.BeforeCount); err != nil {
		s.Respond(c, err)
		return
	}
	s.NudgeSync()
	s.APIHospitalizations(c)
}

func (s *Hospitalizations) APIAddHospitalStay(c *gin.Context) {
	var in struct {
		AdmittedOn string `json:"admitted_on"`
	}
	if !web.BindJSON(c, &in) {
		return
	}
	h, err := s.St.Outcomes.AddHospitalStay(c.Request.Context(), c.Param("id"), in.AdmittedOn)
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.NudgeSync()
	c.JSON(http.StatusCreated, h)
}

func (s *Hospitalizations) APIAddServiceChange(c *gin.Context) {
	var in struct {
		Service   string `json:"service"`
		Change    string `json:"change"`
		ChangedOn string `json:"changed_on"`
	}
	if !web.BindJSON(c, &in) {
		return
	}
	sc, err := s.St.Outcomes.AddServiceChange(c.Request.Context(), c.Param("id"), store.ServiceChange{Service: in.Service, Change: in.Change, ChangedOn: in.ChangedOn})
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.NudgeSync()
	c.JSON(http.StatusCreated, sc)
}

func (s *Hospitalizations) APIDeleteHospitalStay(c *gin.Context) {
	s.apiDeleted(c, s.St.Outcomes.DeleteHospitalStay(c.Request.Context(), c.Param("id"), c.Param("sid")), "No such hospitalization of this participant.")
}

func (s *Hospitalizations) APIDeleteServiceChange(c *gin.Context) {
	s.apiDeleted(c, s.St.Outcomes.DeleteServiceChange(c.Request.Context(), c.Param("id"), c.Param("sid")), "No such service change of this participant.")
}

func (s *Hospitalizations) apiDeleted(c *gin.Context, err error, missing string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, missing))
	case err != nil:
		s.Respond(c, err)
	default:
		s.NudgeSync()
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

// HospitalizationsSection adds the participant's hospitalizations and
// other services to their page.
func (s *Hospitalizations) HospitalizationsSection(c *gin.Context, p store.Participant, data gin.H) error {
	ctx := c.Request.Context()
	h, err := s.St.Outcomes.HospitalizationsOf(ctx, p.ID)
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
	data["Hosp"] = gin.H{"H": h, "Form": f, "Errors": errs, "Services": web.Options(contract.Services, web.LabelOf(serviceLabels), f.Service),
		"Changes": web.Options(contract.ServiceChangeKinds, web.LabelOf(changeLabels), f.Change), "ServiceLabels": serviceLabels, "ChangeLabels": changeLabels}
	return nil
}

// ParticipationSection adds the participant's participation by program
// month (what goes upstream about their months) to their page.
func (s *Hospitalizations) ParticipationSection(c *gin.Context, p store.Participant, data gin.H) error {
	months, err := s.St.Outcomes.ParticipationMonths(c.Request.Context(), p.ID)
	data["Participation"] = months
	return err
}

func (s *Hospitalizations) hospitalizationDone(c *gin.Context, err error, f hospForm) {
	if err != nil {
		s.ParticipantFormErr(c, err, keyHospErrors, gin.H{keyHospForm: f})
		return
	}
	s.NudgeSync()
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabHospitalizations, "", "hospitalizations"))
}

func (s *Hospitalizations) HospitalizationsBeforeSubmit(c *gin.Context) {
	f := hospForm{BeforeCount: c.PostForm("before_count")}
	n, err := strconv.Atoi(f.BeforeCount)
	if err != nil {
		s.hospitalizationDone(c, &store.ValidationError{Field: "before_count", Msg: "Enter a whole number, such as 0 or 2"}, f)
		return
	}
	s.hospitalizationDone(c, s.St.Outcomes.SetHospitalizationsBefore(c.Request.Context(), c.Param("id"), n), f)
}

func (s *Hospitalizations) HospitalStaySubmit(c *gin.Context) {
	f := hospForm{AdmittedOn: c.PostForm("admitted_on")}
	_, err := s.St.Outcomes.AddHospitalStay(c.Request.Context(), c.Param("id"), f.AdmittedOn)
	s.hospitalizationDone(c, err, f)
}

func (s *Hospitalizations) ServiceChangeSubmit(c *gin.Context) {
	f := hospForm{Service: c.PostForm("service"), Change: c.PostForm("change"), ChangedOn: c.PostForm("changed_on")}
	_, err := s.St.Outcomes.AddServiceChange(c.Request.Context(), c.Param("id"), store.ServiceChange{Service: f.Service, Change: f.Change, ChangedOn: f.ChangedOn})
	s.hospitalizationDone(c, err, f)
}

func (s *Hospitalizations) HospitalStayDeleteSubmit(c *gin.Context) {
	s.hospitalizationDone(c, s.St.Outcomes.DeleteHospitalStay(c.Request.Context(), c.Param("id"), c.Param("sid")), hospForm{})
}

func (s *Hospitalizations) ServiceChangeDeleteSubmit(c *gin.Context) {
	s.hospitalizationDone(c, s.St.Outcomes.DeleteServiceChange(c.Request.Context(), c.Param("id"), c.Param("sid")), hospForm{})
}
