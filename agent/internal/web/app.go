package web

import (
	"bytes"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/jsonx"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/ratelimit"
	"github.com/itsmylife/iml/pkg/webui"
)

// App is what every capability's handlers share: the store, the log, the
// pages, the sign-in guard and limits, and the sections of the participant
// and cohort pages (set once, when the server is made).
type App struct {
	St  *store.Store
	Log *slog.Logger
	// SecureCookies marks cookies Secure (served over HTTPS).
	SecureCookies bool
	// SignInLimit bounds sign-in attempts (staff and participants) and
	// SurveyLimit anonymous surveys, per client address.
	SignInLimit, SurveyLimit *ratelimit.Limiter
	// Clock shows times in the site's time zone (agent serve --time-zone).
	Clock webui.Clock
	pages *template.Template
	// syncNow asks the sync worker for a round (the server's SyncNow,
	// which may be set after the App is made).
	syncNow *func()
	// signin guards the forms sent before a session (staff and
	// participant sign-in, first-run set-up) against login CSRF.
	signin auth.FormGuard
	// shown holds the secrets a page shows once (KeepShown, TakeShown).
	shown shown
	// The sections every feature adds to the participant and cohort
	// pages, and those pages, which a feature's form shows again with its
	// errors.
	ParticipantTabs []ParticipantTab
	CohortSections  []CohortSection
	ShowParticipant func(c *gin.Context, status int, data gin.H)
	ShowCohort      func(c *gin.Context, status int, data gin.H)
}

// ParticipantSection adds a feature's data to a participant's page.
type ParticipantSection func(c *gin.Context, p store.Participant, data gin.H) error

// CohortSection adds a feature's data to a cohort's page.
type CohortSection func(c *gin.Context, v store.CohortView, data gin.H) error

// New makes the App; syncNow is read when a change asks for a sync. The
// clock's zone is the site's; its Now is the store's.
func New(st *store.Store, log *slog.Logger, secureCookies bool, signInPerMinute, surveyPerMinute int, clock webui.Clock, syncNow *func()) *App {
	if clock.Loc == nil {
		clock.Loc = time.Local
	}
	clock.Now = func() time.Time { return st.Now() }
	return &App{St: st, Log: log, SecureCookies: secureCookies, Clock: clock, pages: Pages(clock), syncNow: syncNow,
		signin:      auth.FormGuard{Cookie: "iml_agent_signin", Secure: secureCookies},
		SignInLimit: ratelimit.PerMinute(signInPerMinute), SurveyLimit: ratelimit.PerMinute(surveyPerMinute)}
}

// BindJSON reads the request's JSON body into v; when it cannot, it
// answers the problem and returns false.
func BindJSON(c *gin.Context, v any) bool {
	if c.ContentType() != "application/json" {
		problem.Write(c, problem.New(http.StatusUnsupportedMediaType, problem.TypeUnsupportedMedia, "Send the body as application/json."))
		return false
	}
	var te *jsonx.TextError
	var ne *jsonx.NumberError
	err := jsonx.Read(c.Request.Body, 1<<20, v)
	switch {
	case errors.As(err, &te):
		problem.Write(c, problem.UncleanText(te.Field))
		return false
	case errors.As(err, &ne):
		// A number a whole-number field cannot hold is a mistake in the
		// field, as a number out of its range is.
		problem.Write(c, problem.FromInvalid(&problem.Invalid{Field: ne.Field, Msg: ne.Msg}))
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

// NudgeSync asks the sync worker for a round, when one runs.
func (s *App) NudgeSync() {
	if f := *s.syncNow; f != nil {
		f()
	}
}

// ConfirmPage asks before a removal: what goes, a button that posts to
// action, and a way back.
func (s *App) ConfirmPage(c *gin.Context, title, what, action, back string) {
	s.Render(c, http.StatusOK, "confirm.html", gin.H{"Title": title, "What": what, "Action": action, "Back": back})
}

// EditPage shows the page name that corrects a record: find gives the
// record (having answered 404 or failed itself when there is none, ok
// false) and fill adds what the page shows of it to data.
func EditPage[T any](s *App, c *gin.Context, status int, name string, data gin.H, find func(*gin.Context) (T, bool), fill func(*gin.Context, T, gin.H) error) {
	r, ok := find(c)
	if !ok {
		return
	}
	if err := fill(c, r, data); err != nil {
		s.Respond(c, err)
		return
	}
	s.Render(c, status, name, data)
}

// RenderOwn draws a participant page: their name and the session's CSRF
// token, never the staff menu.
func (s *App) RenderOwn(c *gin.Context, status int, name string, data gin.H) {
	if p, ok := c.Get(CtxParticipant); ok {
		data["Participant"] = p
	}
	if sess, ok := c.Get(CtxPartSession); ok {
		data["CSRF"] = sess.(store.ParticipantSession).CSRF
	}
	s.Render(c, status, name, data)
}

// ParticipantFormErr shows the participant page again with a form's
// errors, or fails on an unexpected error.
func (s *App) ParticipantFormErr(c *gin.Context, err error, key string, data gin.H) {
	fe, ok := FieldErrors(c, err)
	if !ok {
		s.Respond(c, err)
		return
	}
	data[key] = fe
	s.ShowParticipant(c, http.StatusUnprocessableEntity, data)
}

// Refusals are the site's answers to what its guards refuse (webui.Refusals).
func (s *App) Refusals() webui.Refusals { return webui.Refusals{IsAPI: IsAPI, Render: s.Render} }

// IsAPI tells a request to the API (under /api/), answered with problems.
func IsAPI(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/api/") }

// SigninForm gives a page with a form sent before a session (sign-in,
// set-up) its token against login CSRF (auth.FormGuard).
func (s *App) SigninForm(c *gin.Context, data gin.H) gin.H {
	data["CSRF"] = s.signin.Token(c)
	return data
}

// SigninFormValid checks the token of such a form; without it, the form
// is shown again (page, data) with a message, to be sent again.
func (s *App) SigninFormValid(c *gin.Context, page string, data gin.H) bool {
	if s.signin.Valid(c) {
		return true
	}
	data["Error"] = T(c, "The form had expired. Please send it again.")
	s.RenderOwn(c, http.StatusForbidden, page, s.SigninForm(c, data))
	return false
}

// Draw draws a part of a page (a template of the pages) on its own, for
// a page to show as it is ({{.Part}}) where the part's template would
// have been called, in HTML text; a part drawn once can be kept between
// requests (store.Kept).
func (s *App) Draw(name string, data any) (template.HTML, error) {
	var b strings.Builder
	if err := s.pages.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil //nolint:gosec // drawn, and escaped, by the page's own template
}

// Render draws a page: the user, the CSRF token and the site name added
// to data, and its language (Lang; on a participant's page, the language
// switch, LangLinks).
func (s *App) Render(c *gin.Context, status int, name string, data gin.H) {
	if status >= http.StatusBadRequest {
		// A form shown again never sends a huge value back.
		webui.ShortenKept(data)
	}
	data["Lang"] = Lang(c)
	if ParticipantPath(c.Request.URL.Path) {
		data["LangLinks"] = langLinks(c)
		// The error page's way back: the participant's own start.
		data["Home"] = "/journal"
		if strings.HasPrefix(c.Request.URL.Path, "/survey") {
			data["Home"] = "/survey"
		}
	}
	if u, ok := c.Get(ctxUser); ok {
		data["User"] = u
	}
	if sess, ok := c.Get(ctxSession); ok {
		data["CSRF"] = sess.(store.Session).CSRF
	}
	if e, err := s.St.Enrollment(c.Request.Context()); err == nil {
		data["SiteName"] = e.SiteName
	}
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.Log.Error("template", "name", name, "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("The page could not be drawn. The failure has been logged."))
		return
	}
	// The other security headers are auth.SecurityHeaders'.
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}
