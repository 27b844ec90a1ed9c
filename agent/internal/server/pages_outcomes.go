package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

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

// labelOf looks values up in a table of labels, the value itself when
// it has none.
func labelOf(labels map[string]string) func(string) string {
	return func(v string) string {
		if l := labels[v]; l != "" {
			return l
		}
		return v
	}
}

var serviceLabels = map[string]string{
	"case_management": "Case management", "outpatient_therapy": "Outpatient therapy", "psychiatric_medication": "Psychiatric medication",
	"crisis_services": "Crisis services", "day_program": "Day program", "peer_support": "Peer support (other than this program)",
	"supported_employment": "Supported employment", "housing_support": "Housing support", "other": "Other service",
}

var changeLabels = map[string]string{"started": "Started", "stopped": "Stopped", "increased": "Increased", "decreased": "Decreased"}

var modelLabels = map[string]string{"": "Not said", contract.ModelPeerPartners: "Peer Partners", contract.ModelSocialExplorations: "Social Explorations"}

// hospitalizationsSection adds the participant's hospitalizations, other
// services and participation by program month to their page.
func (s *Server) hospitalizationsSection(c *gin.Context, p store.Participant, data gin.H) error {
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

func (s *Server) hospitalizationDone(c *gin.Context, err error, f hospForm) {
	if err != nil {
		s.participantFormErr(c, err, keyHospErrors, gin.H{keyHospForm: f})
		return
	}
	s.nudgeSync()
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#hospitalizations")
}

func (s *Server) hospitalizationsBeforeSubmit(c *gin.Context) {
	f := hospForm{BeforeCount: c.PostForm("before_count")}
	n, err := strconv.Atoi(f.BeforeCount)
	if err != nil {
		s.hospitalizationDone(c, &store.ValidationError{Field: "before_count", Msg: "enter a whole number, such as 0 or 2"}, f)
		return
	}
	s.hospitalizationDone(c, s.st.SetHospitalizationsBefore(c.Request.Context(), c.Param("id"), n), f)
}

func (s *Server) hospitalStaySubmit(c *gin.Context) {
	f := hospForm{AdmittedOn: c.PostForm("admitted_on")}
	_, err := s.st.AddHospitalStay(c.Request.Context(), c.Param("id"), f.AdmittedOn)
	s.hospitalizationDone(c, err, f)
}

func (s *Server) serviceChangeSubmit(c *gin.Context) {
	f := hospForm{Service: c.PostForm("service"), Change: c.PostForm("change"), ChangedOn: c.PostForm("changed_on")}
	_, err := s.st.AddServiceChange(c.Request.Context(), c.Param("id"), store.ServiceChange{Service: f.Service, Change: f.Change, ChangedOn: f.ChangedOn})
	s.hospitalizationDone(c, err, f)
}

func (s *Server) hospitalStayDeleteSubmit(c *gin.Context) {
	s.hospitalizationDone(c, s.st.DeleteHospitalStay(c.Request.Context(), c.Param("id"), c.Param("sid")), hospForm{})
}

func (s *Server) serviceChangeDeleteSubmit(c *gin.Context) {
	s.hospitalizationDone(c, s.st.DeleteServiceChange(c.Request.Context(), c.Param("id"), c.Param("sid")), hospForm{})
}

// surveyStatement is one statement of the survey form with its answers.
type surveyStatement struct {
	Item    program.Item
	Choices []surveyChoice
}

type surveyChoice struct {
	Code, Text string
	Checked    bool
}

func surveyForm(rel program.Release, answers map[string]string) []surveyStatement {
	out := make([]surveyStatement, len(rel.Survey.Statements))
	for i, st := range rel.Survey.Statements {
		out[i] = surveyStatement{Item: st}
		for _, a := range rel.Survey.Answers {
			out[i].Choices = append(out[i].Choices, surveyChoice{Code: a.Code, Text: a.Text, Checked: answers[st.Code] == a.Code})
		}
	}
	return out
}

// postedAnswers reads the survey's answers from a form (s_<code> fields).
func postedAnswers(c *gin.Context, rel program.Release) map[string]string {
	out := map[string]string{}
	for _, st := range rel.Survey.Statements {
		if v := c.PostForm("s_" + st.Code); v != "" {
			out[st.Code] = v
		}
	}
	return out
}

var surveyTimepoints = []string{contract.TimepointMidpoint, contract.TimepointClosing}

var timepointLabels = map[string]string{contract.TimepointMidpoint: "Mid-point", contract.TimepointClosing: "End of the program"}

func (s *Server) surveysPage(c *gin.Context) { s.showSurveys(c, http.StatusOK, gin.H{}) }

func (s *Server) showSurveys(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	counts, err := s.st.SurveyCounts(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	answers, _ := data["Answers"].(map[string]string)
	tp, _ := data["Timepoint"].(string)
	model, _ := data["Model"].(string)
	data["Title"], data["Counts"], data["Statements"], data["Release"] = "Satisfaction surveys", counts, surveyForm(rel, answers), rel.Version
	data["Timepoints"], data["Models"] = options(surveyTimepoints, labelOf(timepointLabels), tp), options(append([]string{""}, contract.Models...), labelOf(modelLabels), model)
	data["TimepointLabels"] = timepointLabels
	data["Saved"] = c.Query("saved") == "1"
	s.render(c, status, "surveys.html", data)
}

func (s *Server) surveyPaperSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	in := store.SurveyInput{Timepoint: c.PostForm("timepoint"), Model: c.PostForm("model"), Answers: postedAnswers(c, rel)}
	if err := s.st.RecordSurvey(ctx, in); err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showSurveys(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe, "Answers": in.Answers, "Timepoint": in.Timepoint, "Model": in.Model})
		return
	}
	c.Redirect(http.StatusSeeOther, "/surveys?saved=1#paper")
}

func (s *Server) surveyCodesSubmit(c *gin.Context) {
	n, err := strconv.Atoi(c.PostForm("count"))
	if err != nil {
		n = 0
	}
	codes, err := s.st.IssueSurveyCodes(c.Request.Context(), c.PostForm("timepoint"), c.PostForm("model"), n)
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showSurveys(c, http.StatusUnprocessableEntity, gin.H{"CodeErrors": fe})
		return
	}
	s.showSurveys(c, http.StatusOK, gin.H{"Codes": codes, "CodesTimepoint": timepointLabels[c.PostForm("timepoint")]})
}

// surveyDeviceSubmit puts this device in survey mode: the staff member is
// signed out here, and the device shows only the survey until the end of
// the day or until survey mode is ended.
func (s *Server) surveyDeviceSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	tok, err := s.st.StartSurveyDevice(ctx, c.PostForm("timepoint"), c.PostForm("model"))
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showSurveys(c, http.StatusUnprocessableEntity, gin.H{"DeviceErrors": fe})
		return
	}
	staff, _ := c.Cookie(sessionCookie)
	if err := s.st.Logout(ctx, staff); err != nil {
		s.fail(c, err)
		return
	}
	auth.SetCookie(c, sessionCookie, "", -1, s.cfg.SecureCookies)
	http.SetCookie(c.Writer, &http.Cookie{Name: surveyCookie, Value: tok, Path: "/survey", MaxAge: 16 * 3600, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	c.Redirect(http.StatusSeeOther, "/survey")
}

// surveyPass is the device's survey-mode pass, if it has a valid one.
func (s *Server) surveyPass(c *gin.Context) (store.SurveyPass, bool, error) {
	tok, _ := c.Cookie(surveyCookie)
	if tok == "" {
		return store.SurveyPass{}, false, nil
	}
	p, err := s.st.SurveyPassOf(c.Request.Context(), tok)
	if errors.Is(err, store.ErrSurveyPass) {
		return p, false, nil
	}
	return p, err == nil && p.Kind == store.PassDevice, err
}

func (s *Server) surveyPage(c *gin.Context) { s.showSurvey(c, http.StatusOK, gin.H{}) }

func (s *Server) showSurvey(c *gin.Context, status int, data gin.H) {
	rel, err := s.st.ActiveRelease(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	pass, device, err := s.surveyPass(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	answers, _ := data["Answers"].(map[string]string)
	data["Title"], data["Statements"], data["Device"] = "Satisfaction survey", surveyForm(rel, answers), device
	if device {
		data["Timepoint"] = map[string]string{contract.TimepointMidpoint: "the mid-point survey", contract.TimepointClosing: "the survey at the end of the program"}[pass.Timepoint]
	}
	s.renderSurvey(c, status, "survey.html", data)
}

// renderSurvey draws a survey page: never with the staff navigation (and,
// as every page, never cached, framed or named in a Referer:
// auth.SecurityHeaders).
func (s *Server) renderSurvey(c *gin.Context, status int, name string, data gin.H) {
	s.render(c, status, name, data)
}

func (s *Server) surveySubmit(c *gin.Context) {
	ctx := c.Request.Context()
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	answers := postedAnswers(c, rel)
	_, device, err := s.surveyPass(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	tok := c.PostForm("code")
	if device {
		tok, _ = c.Cookie(surveyCookie)
	}
	if err := s.st.SubmitSurvey(ctx, tok, answers); err != nil {
		if errors.Is(err, store.ErrSurveyPass) {
			s.showSurvey(c, http.StatusUnprocessableEntity, gin.H{"Errors": map[string]string{"code": err.Error()}, "Answers": answers, "Code": c.PostForm("code")})
			return
		}
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showSurvey(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe, "Answers": answers, "Code": c.PostForm("code")})
		return
	}
	c.Redirect(http.StatusSeeOther, "/survey/thanks")
}

func (s *Server) surveyThanks(c *gin.Context) {
	_, device, err := s.surveyPass(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderSurvey(c, http.StatusOK, "survey_thanks.html", gin.H{"Title": "Thank you", "Device": device})
}

// surveyEnd ends survey mode on this device. Staff sign in again as usual.
func (s *Server) surveyEnd(c *gin.Context) {
	if tok, _ := c.Cookie(surveyCookie); tok != "" {
		if err := s.st.EndSurveyDevice(c.Request.Context(), tok); err != nil {
			s.fail(c, err)
			return
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: surveyCookie, Value: "", Path: "/survey", MaxAge: -1, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	c.Redirect(http.StatusSeeOther, "/survey")
}
