package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/jsonx"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
)

// writeErr turns a store error into the client's message.
func (s *Server) writeErr(c *gin.Context, err error) {
	var ves store.ValidationErrors
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ves):
		fe := make([]problem.FieldError, len(ves))
		for i, e := range ves {
			fe[i] = problem.FieldError{Field: e.Field, Detail: e.Msg}
		}
		problem.Write(c, problem.Validation("Some fields need attention; nothing was saved.", fe...))
	case errors.As(err, &ve):
		problem.Write(c, problem.Validation(ve.Error(), problem.FieldError{Field: ve.Field, Detail: ve.Msg}))
	case errors.Is(err, store.ErrNotFound):
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "No such participant."))
	default:
		problem.Internal(c, s.log, err)
	}
}

func bindJSON(c *gin.Context, v any) bool {
	if c.ContentType() != "application/json" {
		problem.Write(c, problem.New(http.StatusUnsupportedMediaType, problem.TypeUnsupportedMedia, "Send the body as application/json."))
		return false
	}
	var te *jsonx.TextError
	err := jsonx.Read(c.Request.Body, 1<<20, v)
	switch {
	case errors.As(err, &te):
		problem.Write(c, problem.UncleanText(te.Field))
		return false
	case errors.Is(err, jsonx.ErrTooLarge):
		problem.Write(c, problem.New(http.StatusRequestEntityTooLarge, problem.TypeTooLarge, "The body is larger than 1 MiB."))
		return false
	case err != nil:
		problem.Write(c, problem.New(http.StatusBadRequest, problem.TypeBadRequest, "The body is not valid JSON for this request: "+err.Error()))
		return false
	}
	return true
}

func (s *Server) apiLogin(c *gin.Context) {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if !bindJSON(c, &req) {
		return
	}
	u, tok, err := s.st.Login(c.Request.Context(), req.Email, req.Password)
	switch {
	case errors.Is(err, store.ErrBadLogin):
		problem.Write(c, problem.New(http.StatusUnauthorized, problem.TypeUnauthorized, "The email or password is wrong."))
	case errors.Is(err, store.ErrLocked):
		c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.st.Now())))
		problem.Write(c, problem.New(http.StatusTooManyRequests, problem.TypeUnauthorized, "Too many failed sign-ins. The account is locked for 15 minutes."))
	case err != nil:
		problem.Internal(c, s.log, err)
	default:
		c.JSON(http.StatusOK, gin.H{"token": tok, "user": gin.H{"id": u.ID, "email": u.Email, "name": u.Name, "role": u.Role}})
	}
}

func participantView(p store.Participant) gin.H {
	return gin.H{"id": p.ID, "first_name": p.FirstName, "last_name": p.LastName, "birth_date": p.BirthDate, "phone": p.Phone,
		"email": p.Email, "address": p.Address, "enrolled_on": p.EnrolledOn, "withdrawn_at": p.WithdrawnAt,
		"age_override_reason": p.AgeOverrideReason, "informed_consent": p.InformedConsent, "manages_finances": p.ManagesFinances,
		"sets_goals": p.SetsGoals, "accepts_responsibilities": p.AcceptsResponsibilities, "agreement_signed_on": p.AgreementSignedOn,
		"hospitalization_consent_on": p.HospitalizationConsentOn, "coach_id": p.CoachID}
}

// defaultCoach makes a coach who takes a participant in their coach, until
// the participant chooses one, so the coach can go on to see them.
func (s *Server) defaultCoach(c *gin.Context, in *store.ParticipantInput) error {
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

func (s *Server) apiParticipants(c *gin.Context) {
	ps, err := s.st.VisibleParticipants(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, len(ps))
	for i, p := range ps {
		out[i] = participantView(p)
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) apiAddParticipant(c *gin.Context) {
	var in store.ParticipantInput
	if !bindJSON(c, &in) {
		return
	}
	if err := s.defaultCoach(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.st.AddParticipant(c.Request.Context(), in)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	s.nudgeSync()
	c.Header("Location", "/api/v1/participants/"+p.ID)
	c.JSON(http.StatusCreated, participantView(p))
}

func (s *Server) apiParticipant(c *gin.Context) {
	p, err := s.st.Participant(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, participantView(p))
}

func (s *Server) apiUpdateParticipant(c *gin.Context) {
	var in store.ParticipantInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.st.UpdateParticipant(c.Request.Context(), c.Param("id"), in)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusOK, participantView(p))
}

func (s *Server) apiWithdraw(c *gin.Context) {
	if err := s.st.Withdraw(c.Request.Context(), c.Param("id")); err != nil {
		s.writeErr(c, err)
		return
	}
	s.nudgeSync()
	c.Status(http.StatusNoContent)
}

func interviewView(iv store.POMInterview) gin.H {
	return gin.H{"id": iv.ID, "timepoint": iv.Timepoint, "interviewed_on": iv.InterviewedOn, "release": iv.Release, "answers": iv.AnswersOf(), "notes": iv.Notes}
}

func (s *Server) apiInterviews(c *gin.Context) {
	if _, err := s.st.Participant(c.Request.Context(), c.Param("id")); err != nil {
		s.writeErr(c, err)
		return
	}
	ivs, err := s.st.Interviews(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := gin.H{}
	for tp, iv := range ivs {
		out[tp] = interviewView(iv)
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) apiRecordInterview(c *gin.Context) {
	var in store.InterviewInput
	if !bindJSON(c, &in) {
		return
	}
	iv, err := s.st.RecordInterview(c.Request.Context(), c.Param("id"), c.Param("timepoint"), in)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusOK, interviewView(iv))
}

func (s *Server) apiRelease(c *gin.Context) {
	rel, err := s.st.ActiveRelease(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	// The release keeps lesson_plans out of its canonical form when it has
	// none; the API answers [] all the same.
	c.JSON(http.StatusOK, struct {
		program.Release
		LessonPlans []program.LessonPlan `json:"lesson_plans"`
	}{rel, append([]program.LessonPlan{}, rel.LessonPlans...)})
}

// syncStatus gathers what the sync page and API show.
func (s *Server) syncStatus(c *gin.Context) (gin.H, error) {
	ctx := c.Request.Context()
	ob, err := s.st.Outbox(ctx)
	if err != nil {
		return nil, err
	}
	out := gin.H{"outbox": ob, "enrolled": false}
	if e, err := s.st.Enrollment(ctx); err == nil {
		out["enrolled"], out["hub_url"], out["site_name"], out["org_name"] = true, e.HubURL, e.SiteName, e.OrgName
	}
	for _, k := range []string{store.MetaRelease, store.MetaLastSync, store.MetaLastSuccess, store.MetaLastError} {
		v, err := s.st.Meta(ctx, k)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func (s *Server) apiSyncStatus(c *gin.Context) {
	st, err := s.syncStatus(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (s *Server) apiSyncRun(c *gin.Context) {
	if _, err := s.st.Enrollment(c.Request.Context()); err != nil {
		problem.Write(c, problem.New(http.StatusConflict, problem.TypeConflict, err.Error()))
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusAccepted, gin.H{"status": "a sync round has been requested"})
}

func (s *Server) nudgeSync() {
	if s.SyncNow != nil {
		s.SyncNow()
	}
}

func (s *Server) loginPage(c *gin.Context) {
	if n, err := s.st.UserCount(c.Request.Context()); err == nil && n == 0 {
		c.Redirect(http.StatusSeeOther, "/setup")
		return
	}
	s.render(c, http.StatusOK, "login.html", s.signinForm(c, gin.H{"Title": "Sign in", "Next": auth.SafeNext(c.Query("next"))}))
}

func (s *Server) loginSubmit(c *gin.Context) {
	next := auth.SafeNext(c.PostForm("next"))
	email := c.PostForm("email")
	if !s.signinFormValid(c, "login.html", gin.H{"Title": "Sign in", "Next": next, "Email": email}) {
		return
	}
	_, tok, err := s.st.Login(c.Request.Context(), email, c.PostForm("password"))
	if errors.Is(err, store.ErrBadLogin) || errors.Is(err, store.ErrLocked) {
		msg, status := "The email or password is wrong.", http.StatusUnauthorized
		if errors.Is(err, store.ErrLocked) {
			msg, status = "Too many failed sign-ins. The account is locked for 15 minutes.", http.StatusTooManyRequests
			c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.st.Now())))
		}
		s.render(c, status, "login.html", s.signinForm(c, gin.H{"Title": "Sign in", "Next": next, "Email": email, "Error": msg}))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	auth.SetCookie(c, sessionCookie, tok, int(store.SessionTTL.Seconds()), s.cfg.SecureCookies)
	c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) logout(c *gin.Context) {
	tok, _ := c.Cookie(sessionCookie)
	_ = s.st.Logout(c.Request.Context(), tok)
	auth.SetCookie(c, sessionCookie, "", -1, s.cfg.SecureCookies)
	c.Redirect(http.StatusSeeOther, "/login")
}

// setupPage creates the first Program Director account; it exists only
// until there is one account.
func (s *Server) setupPage(c *gin.Context) {
	if n, err := s.st.UserCount(c.Request.Context()); err != nil || n > 0 {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	s.render(c, http.StatusOK, "setup.html", s.signinForm(c, gin.H{"Title": "Set up this site"}))
}

func (s *Server) setupSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	if n, err := s.st.UserCount(ctx); err != nil || n > 0 {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	name, email, pw := c.PostForm("name"), c.PostForm("email"), c.PostForm("password")
	data := gin.H{"Title": "Set up this site", "Name": name, "Email": email}
	if !s.signinFormValid(c, "setup.html", data) {
		return
	}
	s.signinForm(c, data)
	if pw != c.PostForm("password2") {
		data["Error"] = "The two passwords differ."
		s.render(c, http.StatusUnprocessableEntity, "setup.html", data)
		return
	}
	if _, err := s.st.AddFirstUser(ctx, email, name, pw); err != nil {
		if errors.Is(err, store.ErrSetUp) {
			c.Redirect(http.StatusSeeOther, "/login")
			return
		}
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			data["Error"] = strings.ReplaceAll(ve.Field, "_", " ") + " " + ve.Msg
			s.render(c, http.StatusUnprocessableEntity, "setup.html", data)
			return
		}
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}
