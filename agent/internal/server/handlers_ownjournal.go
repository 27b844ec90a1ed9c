package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/problem"
)

// A participant's own journal. The coach issues a personal access on the
// participant's page (a sign-in name and a one-time start code); the
// participant opens /journal/start once to choose a PIN, then signs in at
// /journal/login and fills in their weeks at /journal. Their session has
// its own cookie and table: no staff page or API accepts it, and the
// participant pages show only the signed-in participant's own journal.

const (
	participantCookie = "iml_participant_session"
	ctxParticipant    = "iml.participant"
	ctxPartSession    = "iml.participant_session"
	// ownJournalWeeks is how many recent weeks the participant's page lists.
	ownJournalWeeks = 12
)

// ownJournalRoutes registers the participant's pages on r (outside the
// staff's sign-in) and the staff's routes that issue and revoke the access
// on api and pages (signed-in staff: the director and the coach who leads
// the participant's cohort).
func (s *Server) ownJournalRoutes(r *gin.Engine, api, pages *gin.RouterGroup) {
	r.GET("/journal/start", s.ownJournalStartPage)
	r.POST("/journal/start", s.limitSignIn("journal_start.html", func(c *gin.Context) gin.H {
		return gin.H{"Title": "Start your journal", "Login": c.PostForm("login")}
	}), s.ownJournalStartSubmit)
	r.GET("/journal/login", s.ownJournalLoginPage)
	r.POST("/journal/login", s.limitSignIn("journal_login.html", func(c *gin.Context) gin.H {
		return gin.H{"Title": "Sign in to your journal", "Login": c.PostForm("login")}
	}), s.ownJournalLoginSubmit)
	me := r.Group("/journal", s.requireParticipant)
	me.GET("", s.ownJournalPage)
	me.POST("", s.ownJournalSubmit)
	me.POST("/logout", s.ownJournalLogout)

	api.GET("/participants/:id/journal-access", s.participantAccess("view"), s.apiJournalAccess)
	api.POST("/participants/:id/journal-access", s.participantAccess("issue_journal_access"), s.leadsParticipant, s.apiIssueJournalAccess)
	api.DELETE("/participants/:id/journal-access", s.participantAccess("revoke_journal_access"), s.leadsParticipant, s.apiRevokeJournalAccess)
	pages.POST("/participants/:id/journal-access", s.participantAccess("issue_journal_access"), s.leadsParticipant, s.issueJournalAccessSubmit)
	pages.POST("/participants/:id/journal-access/revoke", s.participantAccess("revoke_journal_access"), s.leadsParticipant, s.revokeJournalAccessSubmit)
}

// requireParticipant lets through a signed-in participant (checking the
// CSRF token of a form) and sends anyone else to the participant sign-in.
func (s *Server) requireParticipant(c *gin.Context) {
	tok, _ := c.Cookie(participantCookie)
	p, sess, err := s.st.ParticipantBySession(c.Request.Context(), tok)
	if errors.Is(err, store.ErrNotFound) {
		c.Redirect(http.StatusSeeOther, "/journal/login")
		c.Abort()
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if !auth.Safe(c.Request.Method) && !auth.CSRFValid(c, sess.CSRF) {
		s.renderOwn(c, http.StatusForbidden, "error.html", gin.H{"Title": "Form expired", "Message": "This form is out of date. Go back, reload the page and try again."})
		c.Abort()
		return
	}
	c.Set(ctxParticipant, p)
	c.Set(ctxPartSession, sess)
	c.Next()
}

// renderOwn draws a participant page: their name and the session's CSRF
// token, never the staff menu.
func (s *Server) renderOwn(c *gin.Context, status int, name string, data gin.H) {
	if p, ok := c.Get(ctxParticipant); ok {
		data["Participant"] = p
	}
	if sess, ok := c.Get(ctxPartSession); ok {
		data["CSRF"] = sess.(store.ParticipantSession).CSRF
	}
	s.render(c, status, name, data)
}

func (s *Server) ownJournalStartPage(c *gin.Context) {
	s.renderOwn(c, http.StatusOK, "journal_start.html", s.signinForm(c, gin.H{"Title": "Start your journal"}))
}

func (s *Server) ownJournalStartSubmit(c *gin.Context) {
	login := c.PostForm("login")
	data := gin.H{"Title": "Start your journal", "Login": login}
	if !s.signinFormValid(c, "journal_start.html", data) {
		return
	}
	s.signinForm(c, data)
	if c.PostForm("pin") != c.PostForm("pin2") {
		data["Error"] = "The two PINs differ. Type the same PIN twice."
		s.renderOwn(c, http.StatusUnprocessableEntity, "journal_start.html", data)
		return
	}
	_, tok, err := s.st.StartJournalAccess(c.Request.Context(), login, c.PostForm("code"), c.PostForm("pin"))
	var ve *store.ValidationError
	s.ownSignedIn(c, "journal_start.html", data, tok, "/journal?started=1", err, map[error]string{
		store.ErrBadStartCode: "The sign-in name or the start code is wrong, or the code has expired or was already used. Ask your coach for a new code.",
	}, errors.As(err, &ve))
}

// ownSignedIn finishes a participant's sign-in: with a session, it sets
// the cookie and goes on to next; with a known refusal (wrong, a key of
// refusals; locked; a PIN that does not do, badPIN) it shows the form
// again with the message; anything else fails.
func (s *Server) ownSignedIn(c *gin.Context, page string, data gin.H, tok, next string, err error, refusals map[error]string, badPIN bool) {
	status := 0
	for e, msg := range refusals {
		if errors.Is(err, e) {
			status, data["Error"] = http.StatusUnauthorized, msg
		}
	}
	switch {
	case badPIN:
		status, data["Error"] = http.StatusUnprocessableEntity, "Choose a PIN of at least 6 characters (digits, letters or both)."
	case errors.Is(err, store.ErrLocked):
		status, data["Error"] = http.StatusTooManyRequests, "Too many wrong tries. Your journal is locked for 15 minutes."
		c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.st.Now())))
	case status == 0 && err != nil:
		s.fail(c, err)
		return
	}
	if status != 0 {
		s.renderOwn(c, status, page, data)
		return
	}
	auth.SetCookie(c, participantCookie, tok, int(store.ParticipantSessionTTL.Seconds()), s.cfg.SecureCookies)
	c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) ownJournalLoginPage(c *gin.Context) {
	s.renderOwn(c, http.StatusOK, "journal_login.html", s.signinForm(c, gin.H{"Title": "Sign in to your journal"}))
}

func (s *Server) ownJournalLoginSubmit(c *gin.Context) {
	login := c.PostForm("login")
	data := gin.H{"Title": "Sign in to your journal", "Login": login}
	if !s.signinFormValid(c, "journal_login.html", data) {
		return
	}
	s.signinForm(c, data)
	_, tok, err := s.st.ParticipantLogin(c.Request.Context(), login, c.PostForm("pin"))
	s.ownSignedIn(c, "journal_login.html", data, tok, "/journal", err, map[error]string{store.ErrBadParticipantLogin: "The sign-in name or the PIN is wrong."}, false)
}

func (s *Server) ownJournalLogout(c *gin.Context) {
	tok, _ := c.Cookie(participantCookie)
	if err := s.st.ParticipantLogout(c.Request.Context(), tok); err != nil {
		s.fail(c, err)
		return
	}
	auth.SetCookie(c, participantCookie, "", -1, s.cfg.SecureCookies)
	c.Redirect(http.StatusSeeOther, "/journal/login")
}

// ownWeek is one week on the participant's journal page.
type ownWeek struct {
	Week, Label, State string
	Editable           bool
	Answers            []journalAnswer
}

func (s *Server) ownJournalPage(c *gin.Context) { s.showOwnJournal(c, http.StatusOK, gin.H{}) }

// showOwnJournal lists the participant's recent weeks (what they wrote,
// whether the coach has reviewed it) and the form for one week: the week
// asked for, else this week.
func (s *Server) showOwnJournal(c *gin.Context, status int, data gin.H) {
	if err := s.ownJournalData(c, data); err != nil {
		s.fail(c, err)
		return
	}
	s.renderOwn(c, status, "journal_own.html", data)
}

// ownJournalData fills the participant's journal page: their weeks and
// the form's.
func (s *Server) ownJournalData(c *gin.Context, data gin.H) error {
	ctx := c.Request.Context()
	p := c.MustGet(ctxParticipant).(store.Participant)
	if err := s.st.AuditParticipant(ctx, p, "view_own_journal", "GET /journal"); err != nil {
		return err
	}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	es, err := s.st.Journals(ctx, p.ID)
	if err != nil {
		return err
	}
	names, err := s.journalNames(c, es)
	if err != nil {
		return err
	}
	byWeek := map[string]store.JournalEntry{}
	for _, e := range es {
		byWeek[e.WeekStart] = e
	}
	enrolled, _ := time.Parse(time.DateOnly, p.EnrolledOn)
	first := rules.WeekStart(enrolled)
	if first.Before(enrolled) {
		first = first.AddDate(0, 0, 7)
	}
	var weeks []ownWeek
	for w := rules.WeekStart(s.st.Now()); !w.Before(first) && len(weeks) < ownJournalWeeks; w = w.AddDate(0, 0, -7) {
		key := w.Format(time.DateOnly)
		ow := ownWeek{Week: key, Label: w.Format("Monday 2 January 2006"), State: "Not written yet", Editable: true}
		if e, ok := byWeek[key]; ok {
			ow.Answers, ow.Editable = orderedJournalAnswers(rel, e.AnswersOf()), e.OwnEntryEditable()
			switch {
			case e.ReviewedAt != nil:
				ow.State = "Read by " + names[e.ReviewedBy] + " on " + e.ReviewedAt.Format("2 January")
			case e.EnteredByKind == store.EnteredByParticipant:
				ow.State = "Written by you; waiting for your coach to read it"
			default:
				ow.State = "Written with your coach; waiting for review"
			}
		}
		weeks = append(weeks, ow)
	}
	f, ok := data["JournalForm"].(journalForm)
	if !ok {
		f = journalForm{Week: c.Query("week"), Answers: map[string]string{}}
		// Without a week asked for, the form opens on the newest week the
		// participant may still write (one their coach entered or read is
		// not theirs to change).
		for i := 0; f.Week == "" && i < len(weeks); i++ {
			if weeks[i].Editable {
				f.Week = weeks[i].Week
			}
		}
		if e, ok := byWeek[f.Week]; ok {
			f.Answers = e.AnswersOf()
		}
	}
	var form *ownWeek
	for i := range weeks {
		if weeks[i].Week == f.Week && weeks[i].Editable {
			form = &weeks[i]
		}
	}
	data["Title"], data["Weeks"], data["Form"], data["FormWeek"], data["Prompts"] = "My journal", weeks, f, form, rel.JournalPrompts
	data["Saved"], data["Started"] = c.Query("saved"), c.Query("started") != ""
	return nil
}

func (s *Server) ownJournalSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	p := c.MustGet(ctxParticipant).(store.Participant)
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := journalForm{Week: strings.TrimSpace(c.PostForm("week_start")), Answers: map[string]string{}}
	for _, pr := range rel.JournalPrompts {
		f.Answers[pr.Code] = c.PostForm("a_" + pr.Code)
	}
	if err := s.st.AuditParticipant(ctx, p, "record_own_journal", "POST /journal week "+f.Week); err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.st.SaveOwnJournal(ctx, p.ID, f.Week, f.Answers); err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showOwnJournal(c, http.StatusUnprocessableEntity, gin.H{"Errors": journalErrorList(rel, fe), "JournalForm": f})
		return
	}
	c.Redirect(http.StatusSeeOther, "/journal?saved="+f.Week)
}

// journalAccessSection adds the participant's journal access (its state,
// and the buttons for whoever may issue it) to the staff's journal section.
func (s *Server) journalAccessSection(c *gin.Context, p store.Participant, data gin.H) error {
	ctx := c.Request.Context()
	a, err := s.st.JournalAccessOf(ctx, p.ID)
	if err != nil {
		return err
	}
	lead, err := s.st.LeadsParticipant(ctx, currentUser(c), p.ID)
	if err != nil {
		return err
	}
	data["JournalAccess"], data["CanIssueJournalAccess"] = a, lead && p.WithdrawnAt == nil
	return nil
}

func (s *Server) apiJournalAccess(c *gin.Context) {
	a, err := s.st.JournalAccessOf(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
}

func (s *Server) apiIssueJournalAccess(c *gin.Context) {
	a, code, err := s.st.IssueJournalAccess(c.Request.Context(), c.Param("id"), currentUser(c).ID)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"access": a, "start_code": code, "start_page": "/journal/start"})
}

func (s *Server) apiRevokeJournalAccess(c *gin.Context) {
	if err := s.st.RevokeJournalAccess(c.Request.Context(), c.Param("id")); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "This participant has no journal access to revoke."))
			return
		}
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// issueJournalAccessSubmit issues the access and shows the participant's
// page with the sign-in name and the start code, this once.
func (s *Server) issueJournalAccessSubmit(c *gin.Context) {
	a, code, err := s.st.IssueJournalAccess(c.Request.Context(), c.Param("id"), currentUser(c).ID)
	if err != nil {
		s.participantFormErr(c, err, "JournalErrors", gin.H{"JournalErrorList": []string{"Journal access could not be given: the participant has withdrawn."}})
		return
	}
	s.showParticipant(c, http.StatusOK, gin.H{"JournalAccessIssued": gin.H{"Login": a.Login, "Code": code, "Expires": a.CodeExpiresAt.Format("2 January 2006")}})
}

func (s *Server) revokeJournalAccessSubmit(c *gin.Context) {
	if err := s.st.RevokeJournalAccess(c.Request.Context(), c.Param("id")); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#journal-access")
}
