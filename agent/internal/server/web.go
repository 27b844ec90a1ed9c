package server

import (
	"bytes"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/jsonx"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/textx"
)

// app is what every capability's handlers share: the store, the log, the
// pages, the sign-in guard and limits, and the sections of the participant
// and cohort pages (set once, when the server is made).
type app struct {
	cfg   Config
	st    *store.Store
	log   *slog.Logger
	pages *template.Template
	// syncNow is the server's SyncNow, set after New.
	syncNow *func()
	// signin guards the forms sent before a session (staff and
	// participant sign-in, first-run set-up) against login CSRF.
	signin auth.FormGuard
	// limits bound sign-in attempts and anonymous surveys per client.
	limits limits
	// The sections every feature adds to the participant and cohort
	// pages, and those pages, which a feature's form shows again with its
	// errors.
	participantSections []participantSection
	cohortSections      []cohortSection
	showParticipant     func(c *gin.Context, status int, data gin.H)
	showCohort          func(c *gin.Context, status int, data gin.H)
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

func (s *app) nudgeSync() {
	if f := *s.syncNow; f != nil {
		f()
	}
}

// confirmPage asks before a removal: what goes, a button that posts to
// action, and a way back.
func (s *app) confirmPage(c *gin.Context, title, what, action, back string) {
	s.render(c, http.StatusOK, "confirm.html", gin.H{"Title": title, "What": what, "Action": action, "Back": back})
}

// renderOwn draws a participant page: their name and the session's CSRF
// token, never the staff menu.
func (s *app) renderOwn(c *gin.Context, status int, name string, data gin.H) {
	if p, ok := c.Get(ctxParticipant); ok {
		data["Participant"] = p
	}
	if sess, ok := c.Get(ctxPartSession); ok {
		data["CSRF"] = sess.(store.ParticipantSession).CSRF
	}
	s.render(c, status, name, data)
}

// participantFormErr shows the participant page again with a form's
// errors, or fails on an unexpected error.
func (s *app) participantFormErr(c *gin.Context, err error, key string, data gin.H) {
	fe, ok := fieldErrors(err)
	if !ok {
		s.respond(c, err)
		return
	}
	data[key] = fe
	s.showParticipant(c, http.StatusUnprocessableEntity, data)
}

// refuseText answers a form whose field holds a control or invisible
// formatting character: nothing was read or changed.
func (s *app) refuseText(c *gin.Context, field string) {
	if isAPI(c) {
		problem.Write(c, problem.UncleanText(field))
		return
	}
	s.render(c, http.StatusUnprocessableEntity, "error.html", gin.H{"Title": "Check what you typed",
		"Message": "The field \"" + field + "\" " + textx.Problem + ". Nothing was saved: go back, type it again and send the form."})
	c.Abort()
}

func isAPI(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/api/") }

// signinForm gives a page with a form sent before a session (sign-in,
// set-up) its token against login CSRF (auth.FormGuard).
func (s *app) signinForm(c *gin.Context, data gin.H) gin.H {
	data["CSRF"] = s.signin.Token(c)
	return data
}

// signinFormValid checks the token of such a form; without it, the form
// is shown again (page, data) with a message, to be sent again.
func (s *app) signinFormValid(c *gin.Context, page string, data gin.H) bool {
	if s.signin.Valid(c) {
		return true
	}
	data["Error"] = "The form had expired. Please send it again."
	s.renderOwn(c, http.StatusForbidden, page, s.signinForm(c, data))
	return false
}

func (s *app) render(c *gin.Context, status int, name string, data gin.H) {
	if u, ok := c.Get(ctxUser); ok {
		data["User"] = u
	}
	if sess, ok := c.Get(ctxSession); ok {
		data["CSRF"] = sess.(store.Session).CSRF
	}
	if e, err := s.st.Enrollment(c.Request.Context()); err == nil {
		data["SiteName"] = e.SiteName
	}
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("template", "name", name, "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("The page could not be drawn. The failure has been logged."))
		return
	}
	// The other security headers are auth.SecurityHeaders'.
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}
