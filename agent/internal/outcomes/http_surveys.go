package outcomes

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
)

// Surveys are the anonymous satisfaction survey, which staff enter
// from paper or a participant fills in on the survey page (not signed in:
// with a single-use code, or on a device the coach put in survey mode).
// The survey page shows nothing but the survey.
type Surveys struct{ *web.App }

func (s *Surveys) APISurveyCounts(c *gin.Context) {
	counts, err := s.St.Surveys.SurveyCounts(c.Request.Context())
	s.Reply(c, http.StatusOK, gin.H{"surveys": counts}, err)
}

// APIRecordSurvey stores a survey entered from paper. It answers without
// an id: the site keeps none that staff could note beside a name.
func (s *Surveys) APIRecordSurvey(c *gin.Context) {
	var in store.SurveyInput
	if !web.BindJSON(c, &in) {
		return
	}
	if err := s.St.Surveys.RecordSurvey(c.Request.Context(), in); err != nil {
		s.Respond(c, err)
		return
	}
	c.Status(http.StatusCreated)
}

func (s *Surveys) APIIssueSurveyCodes(c *gin.Context) {
	var in struct {
		Timepoint string `json:"timepoint"`
		Model     string `json:"model"`
		Count     int    `json:"count"`
	}
	if !web.BindJSON(c, &in) {
		return
	}
	codes, err := s.St.Surveys.IssueSurveyCodes(c.Request.Context(), in.Timepoint, in.Model, in.Count)
	s.Reply(c, http.StatusCreated, gin.H{"codes": codes}, err)
}

// APISubmitSurvey is the participant's own call: a single-use code and the
// answers, no sign-in.
func (s *Surveys) APISubmitSurvey(c *gin.Context) {
	var in struct {
		Code    string            `json:"code"`
		Answers map[string]string `json:"answers"`
	}
	if !web.BindJSON(c, &in) {
		return
	}
	if err := s.St.Surveys.SubmitSurvey(c.Request.Context(), in.Code, in.Answers); err != nil {
		if errors.Is(err, store.ErrSurveyPass) {
			problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, err.Error()))
			return
		}
		s.Respond(c, err)
		return
	}
	c.Status(http.StatusCreated)
}

// LimitSurvey bounds anonymous surveys (the page and the API); the page
// comes back with the answers given, to be sent again.
func (s *Surveys) LimitSurvey() gin.HandlerFunc {
	msg := func(c *gin.Context, secs int) string {
		return web.T(c, "Many surveys were sent from this device in a short time. Wait %d seconds, then press the button again: your answers are kept.", secs)
	}
	return s.TooMany(s.SurveyLimit, msg, func(c *gin.Context, msg string) {
		rel, err := s.St.ActiveRelease(c.Request.Context())
		if err != nil {
			s.Respond(c, err)
			return
		}
		s.showSurvey(c, http.StatusTooManyRequests, gin.H{"FormError": msg, "Answers": postedAnswers(c, rel), "Code": c.PostForm("code")})
	})
}

var modelLabels = map[string]string{"": "Not said", contract.ModelPeerPartners: "Peer Partners", contract.ModelSocialExplorations: "Social Explorations"}

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

// surveyFields are a survey form's fields: fields (such as "code") then
// each statement's answers.
func surveyFields(rel program.Release, fields ...string) []string {
	for _, st := range rel.Survey.Statements {
		fields = append(fields, "s_"+st.Code)
	}
	return fields
}

// surveyErrors are a survey form's mistakes as the reader reads them, in
// the page's language: by field, the message shown next to it (errs),
// and the summary's lines, a statement's led by its number (lines); order
// names the fields in the form's order (lead first, as field=id), each
// statement's fieldset linked as answers.<code>. The answers posted as
// s_<code> are answers.<code> here; a store message the catalogue does
// not know stays in English.
func surveyErrors(c *gin.Context, rel program.Release, fe map[string]string, lead string) (errs, lines map[string]string, order string) {
	labels := map[string]string{}
	fields := strings.Fields(lead)
	for _, st := range rel.Survey.Statements {
		labels["answers."+st.Code] = web.T(c, "Statement %d", st.Number)
		fields = append(fields, "answers."+st.Code)
	}
	if len(rel.Survey.Statements) > 0 {
		fields = append(fields, "answers=answers."+rel.Survey.Statements[0].Code)
	}
	errs, lines = map[string]string{}, map[string]string{}
	for field, msg := range fe {
		if code, ok := strings.CutPrefix(field, "s_"); ok {
			field = "answers." + code
		}
		errs[field] = web.Tr(c, msg)
		lines[field] = errs[field]
		if l, ok := labels[field]; ok {
			lines[field] = l + ": " + errs[field]
		}
	}
	return errs, lines, strings.Join(fields, " ")
}

var surveyTimepoints = []string{contract.TimepointMidpoint, contract.TimepointClosing}

var timepointLabels = map[string]string{contract.TimepointMidpoint: "Mid-point", contract.TimepointClosing: "End of the program"}

func (s *Surveys) SurveysPage(c *gin.Context) { s.showSurveys(c, http.StatusOK, gin.H{}) }

func (s *Surveys) showSurveys(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	counts, err := s.St.Surveys.SurveyCounts(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	answers, _ := data["Answers"].(map[string]string)
	if fe, ok := data["Errors"].(map[string]string); ok {
		data["Errors"], data["ErrorLines"], data["ErrorOrder"] = surveyErrors(c, rel, fe, "timepoint=paper_timepoint model=paper_model")
	}
	tp, _ := data["Timepoint"].(string)
	model, _ := data["Model"].(string)
	data["Title"], data["Counts"], data["Statements"], data["Release"] = "Satisfaction surveys", counts, surveyForm(rel, answers), rel.Version
	data["Timepoints"], data["Models"] = web.Options(surveyTimepoints, web.LabelOf(timepointLabels), tp), web.Options(append([]string{""}, contract.Models...), web.LabelOf(modelLabels), model)
	data["TimepointLabels"] = timepointLabels
	data["Saved"] = c.Query("saved") == "1"
	s.Render(c, status, "surveys.html", data)
}

func (s *Surveys) SurveyPaperSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	in := store.SurveyInput{Timepoint: c.PostForm("timepoint"), Model: c.PostForm("model"), Answers: postedAnswers(c, rel)}
	if fe := web.RepeatedFields(c, surveyFields(rel, "timepoint", "model")...); len(fe) > 0 {
		s.showSurveys(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe, "Answers": in.Answers, "Timepoint": in.Timepoint, "Model": in.Model})
		return
	}
	if err := s.St.Surveys.RecordSurvey(ctx, in); err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showSurveys(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe, "Answers": in.Answers, "Timepoint": in.Timepoint, "Model": in.Model})
		return
	}
	c.Redirect(http.StatusSeeOther, "/surveys?saved=1#paper")
}

func (s *Surveys) SurveyCodesSubmit(c *gin.Context) {
	if fe := web.RepeatedFields(c, "timepoint", "model", "count"); len(fe) > 0 {
		s.showSurveys(c, http.StatusUnprocessableEntity, gin.H{"CodeErrors": fe, "CodeCount": c.PostForm("count")})
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(c.PostForm("count")))
	if err != nil {
		n = 0
	}
	codes, err := s.St.Surveys.IssueSurveyCodes(c.Request.Context(), c.PostForm("timepoint"), c.PostForm("model"), n)
	if err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showSurveys(c, http.StatusUnprocessableEntity, gin.H{"CodeErrors": fe, "CodeCount": c.PostForm("count")})
		return
	}
	s.showSurveys(c, http.StatusOK, gin.H{"Codes": codes, "CodesTimepoint": timepointLabels[c.PostForm("timepoint")]})
}

// SurveyDeviceSubmit puts this device in survey mode: the staff member is
// signed out here, and the device shows only the survey until the end of
// the day or until survey mode is ended.
func (s *Surveys) SurveyDeviceSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	if fe := web.RepeatedFields(c, "timepoint", "model"); len(fe) > 0 {
		s.showSurveys(c, http.StatusUnprocessableEntity, gin.H{"DeviceErrors": fe})
		return
	}
	tok, err := s.St.Surveys.StartSurveyDevice(ctx, c.PostForm("timepoint"), c.PostForm("model"))
	if err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showSurveys(c, http.StatusUnprocessableEntity, gin.H{"DeviceErrors": fe})
		return
	}
	staff, _ := c.Cookie(web.SessionCookie)
	if err := s.St.Logout(ctx, staff); err != nil {
		s.Respond(c, err)
		return
	}
	auth.SetCookie(c, web.SessionCookie, "", -1, s.SecureCookies)
	http.SetCookie(c.Writer, &http.Cookie{Name: surveyCookie, Value: tok, Path: "/survey", MaxAge: 16 * 3600, HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteStrictMode})
	c.Redirect(http.StatusSeeOther, "/survey")
}

// surveyPass is the device's survey-mode pass, if it has a valid one.
func (s *Surveys) surveyPass(c *gin.Context) (store.SurveyPass, bool, error) {
	tok, _ := c.Cookie(surveyCookie)
	if tok == "" {
		return store.SurveyPass{}, false, nil
	}
	p, err := s.St.Surveys.SurveyPassOf(c.Request.Context(), tok)
	if errors.Is(err, store.ErrSurveyPass) {
		return p, false, nil
	}
	return p, err == nil && p.Kind == store.PassDevice, err
}

func (s *Surveys) SurveyPage(c *gin.Context) { s.showSurvey(c, http.StatusOK, gin.H{}) }

func (s *Surveys) showSurvey(c *gin.Context, status int, data gin.H) {
	rel, err := s.St.ActiveRelease(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	pass, device, err := s.surveyPass(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	answers, _ := data["Answers"].(map[string]string)
	if fe, ok := data["Errors"].(map[string]string); ok {
		lead := "code"
		if device {
			lead = ""
		}
		data["Errors"], data["ErrorLines"], data["ErrorOrder"] = surveyErrors(c, rel, fe, lead)
	}
	data["Title"], data["Statements"], data["Device"] = i18n.M("Satisfaction survey"), surveyForm(rel, answers), device
	if device {
		data["Timepoint"] = pass.Timepoint // the page says which survey it is
	}
	s.renderSurvey(c, status, "survey.html", data)
}

// renderSurvey draws a survey page: never with the staff navigation (and,
// as every page, never cached, framed or named in a Referer:
// auth.SecurityHeaders).
func (s *Surveys) renderSurvey(c *gin.Context, status int, name string, data gin.H) {
	s.Render(c, status, name, data)
}

func (s *Surveys) SurveySubmit(c *gin.Context) {
	ctx := c.Request.Context()
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	answers := postedAnswers(c, rel)
	_, device, err := s.surveyPass(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	tok := c.PostForm("code")
	fields := surveyFields(rel, "code")
	if device {
		tok, _ = c.Cookie(surveyCookie)
		fields = fields[1:]
	}
	if fe := web.RepeatedFields(c, fields...); len(fe) > 0 {
		s.showSurvey(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe, "Answers": answers, "Code": c.PostForm("code")})
		return
	}
	if err := s.St.Surveys.SubmitSurvey(ctx, tok, answers); err != nil {
		if errors.Is(err, store.ErrSurveyPass) {
			fe := gin.H{"Errors": map[string]string{"code": err.Error()}}
			if device { // the device's pass ran out: no field to mend
				fe = gin.H{"FormError": web.Sentence("", web.Tr(c, err.Error()))}
			}
			fe["Answers"], fe["Code"] = answers, c.PostForm("code")
			s.showSurvey(c, http.StatusUnprocessableEntity, fe)
			return
		}
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showSurvey(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe, "Answers": answers, "Code": c.PostForm("code")})
		return
	}
	c.Redirect(http.StatusSeeOther, "/survey/thanks")
}

func (s *Surveys) SurveyThanks(c *gin.Context) {
	_, device, err := s.surveyPass(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.renderSurvey(c, http.StatusOK, "survey_thanks.html", gin.H{"Title": i18n.M("Thank you"), "Device": device})
}

// SurveyEnd ends survey mode on this device. Staff sign in again as usual.
func (s *Surveys) SurveyEnd(c *gin.Context) {
	if tok, _ := c.Cookie(surveyCookie); tok != "" {
		if err := s.St.Surveys.EndSurveyDevice(c.Request.Context(), tok); err != nil {
			s.Respond(c, err)
			return
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: surveyCookie, Value: "", Path: "/survey", MaxAge: -1, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteStrictMode})
	c.Redirect(http.StatusSeeOther, "/survey")
}
