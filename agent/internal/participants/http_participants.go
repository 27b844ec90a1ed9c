package participants

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// Handlers are participants and intake: the list, a participant's
// page (with every feature's section), enrollment, updates, withdrawal,
// POM interviews and the CSV import.
type Handlers struct{ *web.App }

func participantView(p store.Participant) gin.H {
	return gin.H{"id": p.ID, "first_name": p.FirstName, "last_name": p.LastName, "birth_date": p.BirthDate, "phone": p.Phone,
		"email": p.Email, "address": p.Address, "enrolled_on": p.EnrolledOn, "withdrawn_at": p.WithdrawnAt,
		"age_override_reason": p.AgeOverrideReason, "informed_consent": p.InformedConsent, "manages_finances": p.ManagesFinances,
		"sets_goals": p.SetsGoals, "accepts_responsibilities": p.AcceptsResponsibilities, "agreement_signed_on": p.AgreementSignedOn,
		"hospitalization_consent_on": p.HospitalizationConsentOn, "coach_id": p.CoachID}
}

// defaultCoach makes a coach who takes a participant in their coach, until
// the participant chooses one, so the coach can go on to see them.
func (s *Handlers) defaultCoach(c *gin.Context, in *store.ParticipantInput) error {
	u := web.CurrentUser(c)
	if in.CoachID != "" || u.Role != store.RoleCoach {
		return nil
	}
	coach, ok, err := s.St.Coaches.CoachOfUser(c.Request.Context(), u.ID)
	if ok {
		in.CoachID = coach.ID
	}
	return err
}

// addParticipant enrolls a participant (a coach who takes them in is their
// coach until they choose one) and asks for a sync.
func (s *Handlers) addParticipant(c *gin.Context, in *store.ParticipantInput) (store.Participant, error) {
	if err := s.defaultCoach(c, in); err != nil {
		return store.Participant{}, err
	}
	p, err := s.St.Participants.AddParticipant(c.Request.Context(), *in)
	if err == nil {
		s.NudgeSync()
	}
	return p, err
}

func (s *Handlers) APIAddParticipant(c *gin.Context) {
	var in store.ParticipantInput
	if !web.BindJSON(c, &in) {
		return
	}
	p, err := s.addParticipant(c, &in)
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.Header("Location", "/api/v1/participants/"+p.ID)
	c.JSON(http.StatusCreated, participantView(p))
}

func (s *Handlers) APIParticipant(c *gin.Context) {
	p, err := s.St.Participants.Participant(c.Request.Context(), c.Param("id"))
	s.Reply(c, http.StatusOK, participantView(p), err)
}

func (s *Handlers) APIUpdateParticipant(c *gin.Context) {
	var in store.ParticipantInput
	if !web.BindJSON(c, &in) {
		return
	}
	p, err := s.St.Participants.UpdateParticipant(c.Request.Context(), c.Param("id"), in, web.CurrentUser(c))
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.NudgeSync()
	c.JSON(http.StatusOK, participantView(p))
}

func (s *Handlers) APIWithdraw(c *gin.Context) {
	if err := s.St.Participants.Withdraw(c.Request.Context(), c.Param("id")); err != nil {
		s.Respond(c, err)
		return
	}
	s.NudgeSync()
	c.Status(http.StatusNoContent)
}

func interviewView(iv store.POMInterview) gin.H {
	return gin.H{"id": iv.ID, "timepoint": iv.Timepoint, "interviewed_on": iv.InterviewedOn, "release": iv.Release, "answers": iv.AnswersOf(),
		"unanswered": iv.UnansweredOf(), "notes": iv.Notes}
}

func (s *Handlers) APIInterviews(c *gin.Context) {
	if _, err := s.St.Participants.Participant(c.Request.Context(), c.Param("id")); err != nil {
		s.Respond(c, err)
		return
	}
	ivs, err := s.St.Participants.Interviews(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.Respond(c, err)
		return
	}
	out := gin.H{}
	for tp, iv := range ivs {
		out[tp] = interviewView(iv)
	}
	c.JSON(http.StatusOK, out)
}

func (s *Handlers) APIRecordInterview(c *gin.Context) {
	var in store.InterviewInput
	if !web.BindJSON(c, &in) {
		return
	}
	iv, err := s.St.Participants.RecordInterview(c.Request.Context(), c.Param("id"), c.Param("timepoint"), in)
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.NudgeSync()
	c.JSON(http.StatusOK, interviewView(iv))
}

const maxImportBytes = 8 << 20

// importKinds are what a CSV import may hold.
var importKinds = map[string]bool{"participants": true, "coaches": true, "interviews": true}

func (s *Handlers) runImport(c *gin.Context, kind string, r io.Reader, dryRun bool) (store.ImportResult, error) {
	var res store.ImportResult
	var err error
	switch kind {
	case "coaches":
		res, err = s.St.Participants.ImportCoaches(c.Request.Context(), r, dryRun)
	case "interviews":
		res, err = s.St.Participants.ImportInterviews(c.Request.Context(), r, dryRun)
	default:
		res, err = s.St.Participants.ImportParticipants(c.Request.Context(), r, dryRun, nil)
	}
	if err == nil && !dryRun {
		if aerr := s.St.Audit(c.Request.Context(), web.CurrentUser(c), "import_"+kind, "site", "", fmt.Sprintf("%d imported", res.Imported)); aerr != nil {
			return res, aerr
		}
		if kind != "coaches" {
			s.NudgeSync()
		}
	}
	return res, err
}

// APIImport takes a CSV body: POST /api/v1/import/participants?dry_run=true.
func (s *Handlers) APIImport(c *gin.Context) {
	kind := c.Param("kind")
	if !importKinds[kind] {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "Import participants, coaches or interviews."))
		return
	}
	if ct := c.ContentType(); ct != "text/csv" {
		problem.Write(c, problem.New(http.StatusUnsupportedMediaType, problem.TypeUnsupportedMedia, "Send the file as text/csv."))
		return
	}
	res, err := s.runImport(c, kind, http.MaxBytesReader(c.Writer, c.Request.Body, maxImportBytes), c.Query("dry_run") == "true")
	if err != nil && problem.ClientGone(c, err) {
		// The file broke off: nothing was imported, and nobody waits for
		// the rows it refused.
		s.Respond(c, err)
		return
	}
	if errors.Is(err, store.ErrImportRefused) {
		p := problem.Validation("The file has errors; nothing was imported.")
		for _, e := range res.Errors {
			p.Errors = append(p.Errors, problem.FieldError{Field: rowField(e), Detail: e.Detail})
		}
		problem.Write(c, p)
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func rowField(e store.RowError) string {
	f := "row " + strconv.Itoa(e.Row)
	if e.Field != "" {
		f += "." + e.Field
	}
	return f
}

// importPage is the import page's data: the columns of each kind (the
// interviews' from the release the site runs).
func (s *Handlers) importPage(c *gin.Context, kind string) (gin.H, error) {
	rel, err := s.St.ActiveRelease(c.Request.Context())
	return gin.H{"Title": "Import", "Kind": kind, "Participants": store.ParticipantColumns, "Coaches": store.CoachColumns,
		"Interviews": store.InterviewColumns(rel), "Choices": store.InterviewChoices}, err
}

func (s *Handlers) ImportPage(c *gin.Context) {
	data, err := s.importPage(c, "participants")
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.Render(c, http.StatusOK, "import.html", data)
}

func (s *Handlers) ImportSubmit(c *gin.Context) {
	kind, dry := c.PostForm("kind"), c.PostForm("dry_run")
	dryRun := dry == "true"
	data, err := s.importPage(c, kind)
	if err != nil {
		s.Respond(c, err)
		return
	}
	data["DryRun"] = dryRun
	if dry != "" && dry != "true" && dry != "false" {
		// Taken as "not a dry run", it would import what was only to be checked.
		data["DryRun"] = true
		data["Errors"] = map[string]string{"dry_run": "Tick the dry run box to check the file and import nothing, or leave it empty to import: the form sent something else"}
		s.Render(c, http.StatusUnprocessableEntity, "import.html", data)
		return
	}
	if !importKinds[kind] {
		data["Errors"] = map[string]string{"kind": "Choose what the file holds: participants, coaches or interviews"}
		s.Render(c, http.StatusUnprocessableEntity, "import.html", data)
		return
	}
	fh, err := c.FormFile("file")
	if err != nil && problem.ClientGone(c, err) {
		s.Respond(c, err)
		return
	}
	if err != nil || fh.Size > maxImportBytes {
		data["Errors"] = map[string]string{"file": "Choose a CSV file of at most 8 MB"}
		s.Render(c, http.StatusUnprocessableEntity, "import.html", data)
		return
	}
	f, err := fh.Open()
	if err != nil {
		s.Respond(c, err)
		return
	}
	defer f.Close()
	res, err := s.runImport(c, kind, f, dryRun)
	data["Result"] = res
	fe, invalid := web.FieldErrors(c, err)
	switch {
	case errors.Is(err, store.ErrImportRefused):
		data["Errors"] = map[string]string{"file": "The file has " + res.Problems() + ", listed below by row; correct them and choose the file again"}
		s.Render(c, http.StatusUnprocessableEntity, "import.html", data)
	case invalid:
		data["Errors"], data["Result"] = fe, nil
		s.Render(c, http.StatusUnprocessableEntity, "import.html", data)
	case err != nil:
		s.Respond(c, err)
	default:
		s.Render(c, http.StatusOK, "import.html", data)
	}
}

func (s *Handlers) ParticipantsPage(c *gin.Context) {
	s.showParticipants(c, http.StatusOK, gin.H{})
}

func (s *Handlers) AddParticipantSubmit(c *gin.Context) {
	var in store.ParticipantInput
	_ = c.ShouldBind(&in)
	p, err := s.addParticipant(c, &in)
	if err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showParticipants(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	c.Redirect(http.StatusSeeOther, "/participants/"+p.ID+"?added=1")
}

func nextTimepoint(ivs map[string]store.POMInterview) string {
	for _, tp := range contract.Timepoints {
		if _, ok := ivs[tp]; !ok {
			return tp
		}
	}
	return contract.TimepointClosing
}

func (s *Handlers) InterviewSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	tp := c.PostForm("timepoint")
	in, raw, formErrs := interviewForm(c)
	if len(formErrs) > 0 {
		// Nothing is saved: the choices that could not be read are named
		// with whatever else is wrong with the answers.
		err = append(store.CheckAnswers(rel, in), formErrs...)
	} else {
		_, err = s.St.Participants.RecordInterview(ctx, c.Param("id"), tp, in)
	}
	if err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.ShowParticipant(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe,
			"Form": gin.H{"Timepoint": tp, "InterviewedOn": in.InterviewedOn, "Notes": in.Notes, "Answers": raw}})
		return
	}
	s.NudgeSync()
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabInterviews, "saved=interview", "pom-side-by-side"))
}

// interviewForm reads the interview form: each indicator's choice is the
// field a_<code>, one of store.InterviewChoices. A field sent twice or a
// choice that is not one of them is an error of its own; a code the
// release does not ask is passed on for the store to refuse by name.
func interviewForm(c *gin.Context) (store.InterviewInput, map[string]string, store.ValidationErrors) {
	in := store.InterviewInput{InterviewedOn: c.PostForm("interviewed_on"), Notes: c.PostForm("notes"), Answers: map[string]bool{}, Unanswered: map[string]string{}}
	raw := map[string]string{}
	var errs store.ValidationErrors
	_ = c.Request.ParseMultipartForm(1 << 20)
	for k, vs := range c.Request.PostForm {
		code, ok := strings.CutPrefix(k, "a_")
		if !ok {
			continue
		}
		field := "answers." + code
		if !contract.ValidCode(code) {
			field = "answers"
		}
		switch {
		case len(vs) != 1:
			errs = append(errs, store.ValidationError{Field: field, Msg: "This answer was sent more than once: choose one answer"})
		case !in.SetChoice(code, vs[0]):
			errs = append(errs, store.ValidationError{Field: field, Msg: "Choose one of " + strings.Join(store.InterviewChoices, ", ")})
		default:
			raw[code] = vs[0]
		}
	}
	if len(c.Request.PostForm["interviewed_on"]) > 1 || len(c.Request.PostForm["timepoint"]) > 1 {
		errs = append(errs, store.ValidationError{Field: "interviewed_on", Msg: "Send the date and the timepoint once each"})
	}
	return in, raw, errs
}

func (s *Handlers) WithdrawSubmit(c *gin.Context) {
	errs := web.RepeatedFields(c, "confirm")
	if len(errs) == 0 && c.PostForm("confirm") != "yes" {
		errs["confirm"] = "Tick the box to confirm the participant asked to leave the program"
	}
	if len(errs) > 0 {
		s.ShowParticipant(c, http.StatusUnprocessableEntity, gin.H{"WithdrawErrors": errs})
		return
	}
	if err := s.St.Participants.Withdraw(c.Request.Context(), c.Param("id")); err != nil {
		s.Respond(c, err)
		return
	}
	s.NudgeSync()
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id"))
}
