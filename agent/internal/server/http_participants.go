package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// participantHandlers are participants and intake: the list, a participant's
// page (with every feature's section), enrollment, updates, withdrawal,
// POM interviews and the CSV import.
type participantHandlers struct{ *app }

func participantView(p store.Participant) gin.H {
	return gin.H{"id": p.ID, "first_name": p.FirstName, "last_name": p.LastName, "birth_date": p.BirthDate, "phone": p.Phone,
		"email": p.Email, "address": p.Address, "enrolled_on": p.EnrolledOn, "withdrawn_at": p.WithdrawnAt,
		"age_override_reason": p.AgeOverrideReason, "informed_consent": p.InformedConsent, "manages_finances": p.ManagesFinances,
		"sets_goals": p.SetsGoals, "accepts_responsibilities": p.AcceptsResponsibilities, "agreement_signed_on": p.AgreementSignedOn,
		"hospitalization_consent_on": p.HospitalizationConsentOn, "coach_id": p.CoachID}
}

// defaultCoach makes a coach who takes a participant in their coach, until
// the participant chooses one, so the coach can go on to see them.
func (s *participantHandlers) defaultCoach(c *gin.Context, in *store.ParticipantInput) error {
	u := currentUser(c)
	if in.CoachID != "" || u.Role != store.RoleCoach {
		return nil
	}
	coach, ok, err := s.st.CoachOfUser(c.Request.Context(), u.ID)
	if ok {
		in.CoachID = coach.ID
	}
	return err
}

// addParticipant enrolls a participant (a coach who takes them in is their
// coach until they choose one) and asks for a sync.
func (s *participantHandlers) addParticipant(c *gin.Context, in *store.ParticipantInput) (store.Participant, error) {
	if err := s.defaultCoach(c, in); err != nil {
		return store.Participant{}, err
	}
	p, err := s.st.AddParticipant(c.Request.Context(), *in)
	if err == nil {
		s.nudgeSync()
	}
	return p, err
}

func (s *participantHandlers) apiParticipants(c *gin.Context) {
	ps, err := s.st.VisibleParticipants(c.Request.Context(), currentUser(c))
	if err != nil {
		s.respond(c, err)
		return
	}
	out := make([]gin.H, len(ps))
	for i, p := range ps {
		out[i] = participantView(p)
	}
	c.JSON(http.StatusOK, out)
}

func (s *participantHandlers) apiAddParticipant(c *gin.Context) {
	var in store.ParticipantInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.addParticipant(c, &in)
	if err != nil {
		s.respond(c, err)
		return
	}
	c.Header("Location", "/api/v1/participants/"+p.ID)
	c.JSON(http.StatusCreated, participantView(p))
}

func (s *participantHandlers) apiParticipant(c *gin.Context) {
	p, err := s.st.Participant(c.Request.Context(), c.Param("id"))
	s.reply(c, http.StatusOK, participantView(p), err)
}

func (s *participantHandlers) apiUpdateParticipant(c *gin.Context) {
	var in store.ParticipantInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.st.UpdateParticipant(c.Request.Context(), c.Param("id"), in)
	if err != nil {
		s.respond(c, err)
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusOK, participantView(p))
}

func (s *participantHandlers) apiWithdraw(c *gin.Context) {
	if err := s.st.Withdraw(c.Request.Context(), c.Param("id")); err != nil {
		s.respond(c, err)
		return
	}
	s.nudgeSync()
	c.Status(http.StatusNoContent)
}

func interviewView(iv store.POMInterview) gin.H {
	return gin.H{"id": iv.ID, "timepoint": iv.Timepoint, "interviewed_on": iv.InterviewedOn, "release": iv.Release, "answers": iv.AnswersOf(), "notes": iv.Notes}
}

func (s *participantHandlers) apiInterviews(c *gin.Context) {
	if _, err := s.st.Participant(c.Request.Context(), c.Param("id")); err != nil {
		s.respond(c, err)
		return
	}
	ivs, err := s.st.Interviews(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.respond(c, err)
		return
	}
	out := gin.H{}
	for tp, iv := range ivs {
		out[tp] = interviewView(iv)
	}
	c.JSON(http.StatusOK, out)
}

func (s *participantHandlers) apiRecordInterview(c *gin.Context) {
	var in store.InterviewInput
	if !bindJSON(c, &in) {
		return
	}
	iv, err := s.st.RecordInterview(c.Request.Context(), c.Param("id"), c.Param("timepoint"), in)
	if err != nil {
		s.respond(c, err)
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusOK, interviewView(iv))
}

const maxImportBytes = 8 << 20

func (s *participantHandlers) runImport(c *gin.Context, kind string, r io.Reader, dryRun bool) (store.ImportResult, error) {
	var res store.ImportResult
	var err error
	if kind == "coaches" {
		res, err = s.st.ImportCoaches(c.Request.Context(), r, dryRun)
	} else {
		res, err = s.st.ImportParticipants(c.Request.Context(), r, dryRun, nil)
	}
	if err == nil && !dryRun {
		if aerr := s.st.Audit(c.Request.Context(), currentUser(c), "import_"+kind, "site", "", fmt.Sprintf("%d imported", res.Imported)); aerr != nil {
			return res, aerr
		}
		if kind == "participants" {
			s.nudgeSync()
		}
	}
	return res, err
}

// apiImport takes a CSV body: POST /api/v1/import/participants?dry_run=true.
func (s *participantHandlers) apiImport(c *gin.Context) {
	kind := c.Param("kind")
	if kind != "participants" && kind != "coaches" {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "Import participants or coaches."))
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
		s.respond(c, err)
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
		s.respond(c, err)
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

func (s *participantHandlers) importPage(c *gin.Context) {
	s.render(c, http.StatusOK, "import.html", gin.H{"Title": "Import", "Kind": "participants", "Participants": store.ParticipantColumns, "Coaches": store.CoachColumns})
}

func (s *participantHandlers) importSubmit(c *gin.Context) {
	kind := c.PostForm("kind")
	dryRun := c.PostForm("dry_run") == "true"
	data := gin.H{"Title": "Import", "Kind": kind, "DryRun": dryRun, "Participants": store.ParticipantColumns, "Coaches": store.CoachColumns}
	if kind != "participants" && kind != "coaches" {
		data["Error"] = "Choose what the file holds: participants or coaches."
		s.render(c, http.StatusUnprocessableEntity, "import.html", data)
		return
	}
	fh, err := c.FormFile("file")
	if err != nil && problem.ClientGone(c, err) {
		s.respond(c, err)
		return
	}
	if err != nil || fh.Size > maxImportBytes {
		data["Error"] = "Choose a CSV file of at most 8 MB."
		s.render(c, http.StatusUnprocessableEntity, "import.html", data)
		return
	}
	f, err := fh.Open()
	if err != nil {
		s.respond(c, err)
		return
	}
	defer f.Close()
	res, err := s.runImport(c, kind, f, dryRun)
	data["Result"] = res
	switch {
	case errors.Is(err, store.ErrImportRefused):
		s.render(c, http.StatusUnprocessableEntity, "import.html", data)
	case err != nil:
		s.respond(c, err)
	default:
		s.render(c, http.StatusOK, "import.html", data)
	}
}

func (s *participantHandlers) participantsPage(c *gin.Context) {
	s.showParticipants(c, http.StatusOK, gin.H{})
}

func (s *participantHandlers) showParticipants(c *gin.Context, status int, data gin.H) {
	ps, err := s.st.VisibleParticipants(c.Request.Context(), currentUser(c))
	if err != nil {
		s.respond(c, err)
		return
	}
	coaches, err := s.st.Coaches(c.Request.Context())
	if err != nil {
		s.respond(c, err)
		return
	}
	data["Title"], data["Participants"], data["Coaches"] = "Participants", ps, coaches
	if _, ok := data["Form"]; !ok {
		data["Form"] = store.ParticipantInput{}
	}
	s.render(c, status, "participants.html", data)
}

func (s *participantHandlers) addParticipantSubmit(c *gin.Context) {
	var in store.ParticipantInput
	_ = c.ShouldBind(&in)
	p, err := s.addParticipant(c, &in)
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.respond(c, err)
			return
		}
		s.showParticipants(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	c.Redirect(http.StatusSeeOther, "/participants/"+p.ID+"?added=1")
}

func (s *participantHandlers) participantPage(c *gin.Context) {
	s.showParticipant(c, http.StatusOK, gin.H{})
}

func (s *participantHandlers) showParticipant(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	p, err := s.st.Participant(ctx, c.Param("id"))
	if err != nil {
		s.respond(c, err)
		return
	}
	ivs, err := s.st.Interviews(ctx, p.ID)
	if err != nil {
		s.respond(c, err)
		return
	}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		s.respond(c, err)
		return
	}
	answers := map[string]map[string]bool{}
	for tp, iv := range ivs {
		answers[tp] = iv.AnswersOf()
	}
	data["Title"], data["P"], data["Interviews"], data["Answers"], data["Release"], data["Timepoints"] = p.FirstName+" "+p.LastName, p, ivs, answers, rel, contract.Timepoints
	data["POM"] = store.SideBySide(rel, ivs)
	data["Added"] = c.Query("added") == "1"
	for _, add := range s.participantSections {
		if err := add(c, p, data); err != nil {
			s.respond(c, err)
			return
		}
	}
	if _, ok := data["Form"]; !ok {
		data["Form"] = gin.H{"Timepoint": nextTimepoint(ivs), "Answers": map[string]string{}}
	}
	s.render(c, status, "participant.html", data)
}

func nextTimepoint(ivs map[string]store.POMInterview) string {
	for _, tp := range contract.Timepoints {
		if _, ok := ivs[tp]; !ok {
			return tp
		}
	}
	return contract.TimepointClosing
}

func (s *participantHandlers) interviewSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		s.respond(c, err)
		return
	}
	tp := c.PostForm("timepoint")
	in := store.InterviewInput{InterviewedOn: c.PostForm("interviewed_on"), Notes: c.PostForm("notes"), Answers: map[string]bool{}}
	raw := map[string]string{}
	for _, it := range rel.POM.Items {
		switch v := c.PostForm("a_" + it.Code); v {
		case "present", "absent":
			in.Answers[it.Code] = v == "present"
			raw[it.Code] = v
		}
	}
	if _, err := s.st.RecordInterview(ctx, c.Param("id"), tp, in); err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.respond(c, err)
			return
		}
		s.showParticipant(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe,
			"Form": gin.H{"Timepoint": tp, "InterviewedOn": in.InterviewedOn, "Notes": in.Notes, "Answers": raw}})
		return
	}
	s.nudgeSync()
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#interviews")
}

func (s *participantHandlers) withdrawSubmit(c *gin.Context) {
	if c.PostForm("confirm") != "yes" {
		s.showParticipant(c, http.StatusUnprocessableEntity, gin.H{"WithdrawError": "Tick the box to confirm the participant asked to withdraw."})
		return
	}
	if err := s.st.Withdraw(c.Request.Context(), c.Param("id")); err != nil {
		s.respond(c, err)
		return
	}
	s.nudgeSync()
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id"))
}
