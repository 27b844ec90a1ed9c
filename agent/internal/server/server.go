// Package server is the agent's HTTP side: the local API and the
// server-rendered pages staff use to run the program at the site.
package server

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/ratelimit"
	"github.com/itsmylife/iml/pkg/textx"
	"github.com/itsmylife/iml/pkg/webui"
)

// Config tunes the server.
type Config struct {
	// SecureCookies marks cookies Secure; set it when served over HTTPS.
	SecureCookies bool
	// SignInPerMinute bounds sign-in attempts (staff and participants,
	// forms and API) per client address: that many at once, then that
	// many a minute (DefaultSignInPerMinute when 0).
	SignInPerMinute int
	// SurveyPerMinute bounds anonymous surveys sent per client address:
	// that many at once, then that many a minute (DefaultSurveyPerMinute
	// when 0).
	SurveyPerMinute int
}

// Server is the agent's HTTP server.
type Server struct {
	cfg   Config
	st    *store.Store
	log   *slog.Logger
	pages *template.Template
	// SyncNow asks the sync worker for a round (nil when none runs).
	SyncNow func()
	// Sections add data to the participant and cohort pages; each feature
	// registers its own when the routes are set up.
	participantSections []participantSection
	cohortSections      []cohortSection
	// signin guards the forms sent before a session (staff and
	// participant sign-in, first-run set-up) against login CSRF.
	signin auth.FormGuard
	// limits bound sign-in attempts and anonymous surveys per client.
	limits limits
}

// participantSection adds a feature's data to a participant's page.
type participantSection func(c *gin.Context, p store.Participant, data gin.H) error

// cohortSection adds a feature's data to a cohort's page.
type cohortSection func(c *gin.Context, v store.CohortView, data gin.H) error

//go:embed web
var webFS embed.FS

const (
	sessionCookie = "iml_agent_session"
	ctxUser       = "iml.user"
	ctxSession    = "iml.session"
)

var funcs = template.FuncMap{
	"answer": func(m map[string]bool, code string) string {
		v, ok := m[code]
		switch {
		case !ok:
			return "–"
		case v:
			return "present"
		default:
			return "not present"
		}
	},
	"cents": dollars,
	// arr packs arguments for a sub-template.
	"arr": func(v ...any) []any { return v },
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
}

// New builds the server.
func New(cfg Config, st *store.Store, log *slog.Logger) *Server {
	tpl := webui.Templates(funcs, webFS, "web/templates/*.html")
	if cfg.SignInPerMinute <= 0 {
		cfg.SignInPerMinute = DefaultSignInPerMinute
	}
	if cfg.SurveyPerMinute <= 0 {
		cfg.SurveyPerMinute = DefaultSurveyPerMinute
	}
	return &Server{cfg: cfg, st: st, log: log, pages: tpl, signin: auth.FormGuard{Cookie: "iml_agent_signin", Secure: cfg.SecureCookies},
		limits: limits{signIn: ratelimit.PerMinute(cfg.SignInPerMinute), survey: ratelimit.PerMinute(cfg.SurveyPerMinute)}}
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(auth.SecurityHeaders(s.cfg.SecureCookies), problem.Recovery(s.log), s.accessLog(), problem.TrackBody(), limitBody(maxRequestBytes), textx.FormGuard(s.refuseText))
	r.HandleMethodNotAllowed = true
	// The client address (for the rate limits): X-Forwarded-For counts
	// only from a reverse proxy on this machine.
	_ = r.SetTrustedProxies([]string{"127.0.0.1", "::1"})
	r.NoMethod(func(c *gin.Context) {
		if isAPI(c) {
			problem.Write(c, problem.New(http.StatusMethodNotAllowed, problem.TypeBadRequest, "This method is not allowed here."))
			return
		}
		s.render(c, http.StatusMethodNotAllowed, "error.html", gin.H{"Title": "Not allowed", "Message": "This page cannot be used that way."})
	})
	r.NoRoute(func(c *gin.Context) {
		if isAPI(c) {
			problem.NotFoundHandler(c)
			return
		}
		s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no page at this address."})
	})
	webui.Static(r)
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })

	r.GET("/setup", s.setupPage)
	r.POST("/setup", s.setupSubmit)
	r.GET("/login", s.loginPage)
	staffSignIn := s.limitSignIn("login.html", func(c *gin.Context) gin.H {
		return gin.H{"Title": "Sign in", "Next": auth.SafeNext(c.PostForm("next")), "Email": c.PostForm("email")}
	})
	r.POST("/login", staffSignIn, s.loginSubmit)
	api := r.Group("/api/v1")
	api.POST("/auth/login", staffSignIn, s.apiLogin)
	a := api.Group("", s.requireUser(false))
	a.GET("/participants", s.apiParticipants)
	a.POST("/participants", s.apiAddParticipant)
	a.GET("/participants/:id", s.participantAccess("view"), s.apiParticipant)
	a.PUT("/participants/:id", s.participantAccess("update"), s.apiUpdateParticipant)
	a.POST("/participants/:id/withdraw", s.participantAccess("withdraw"), s.apiWithdraw)
	a.GET("/participants/:id/interviews", s.participantAccess("view"), s.apiInterviews)
	a.PUT("/participants/:id/interviews/:timepoint", s.participantAccess("record_interview"), s.apiRecordInterview)
	a.GET("/coaches", s.apiCoaches)
	a.POST("/coaches", s.requireRole(store.RoleDirector), s.apiAddCoach)
	a.PUT("/coaches/:cid", s.apiUpdateCoach)
	a.POST("/coaches/:cid/certification", s.requireRole(store.RoleDirector), s.apiCertify)
	a.GET("/cohorts", s.apiCohorts)
	a.POST("/cohorts", s.requireRole(store.RoleDirector), s.apiAddCohort)
	a.GET("/cohorts/:cid", s.cohortAccess, s.apiCohort)
	a.POST("/cohorts/:cid/members", s.cohortAccess, s.apiAddMember)
	a.POST("/cohorts/:cid/members/:pid/leave", s.cohortAccess, s.apiRemoveMember)
	a.GET("/audit", s.requireRole(store.RoleDirector), s.apiAudit)
	a.POST("/import/:kind", s.requireRole(store.RoleDirector), s.apiImport)
	a.GET("/release", s.apiRelease)
	a.GET("/sync", s.apiSyncStatus)
	a.POST("/sync/run", s.apiSyncRun)

	p := r.Group("", s.requireUser(true))
	p.POST("/logout", s.logout)
	p.GET("/", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/participants") })
	p.GET("/participants", s.participantsPage)
	p.POST("/participants", s.addParticipantSubmit)
	p.GET("/participants/:id", s.participantAccess("view"), s.participantPage)
	p.POST("/participants/:id/interviews", s.participantAccess("record_interview"), s.interviewSubmit)
	p.POST("/participants/:id/withdraw", s.participantAccess("withdraw"), s.withdrawSubmit)
	p.GET("/coaches", s.coachesPage)
	p.POST("/coaches", s.requireRole(store.RoleDirector), s.addCoachSubmit)
	p.POST("/coaches/:cid/certification", s.requireRole(store.RoleDirector), s.certifySubmit)
	p.GET("/cohorts", s.cohortsPage)
	p.POST("/cohorts", s.requireRole(store.RoleDirector), s.addCohortSubmit)
	p.GET("/cohorts/:cid", s.cohortAccess, s.cohortPage)
	p.POST("/cohorts/:cid/members", s.cohortAccess, s.addMemberSubmit)
	p.GET("/audit", s.requireRole(store.RoleDirector), s.auditPage)
	p.GET("/import", s.requireRole(store.RoleDirector), s.importPage)
	p.POST("/import", s.requireRole(store.RoleDirector), s.importSubmit)
	// Features each register their API routes (under /api/v1) and pages.
	s.meetingRoutes(a, p)
	s.stipendRoutes(a, p)
	s.pairRoutes(a, p)
	s.taRoutes(a, p)
	s.outcomeRoutes(r, a, p)
	s.ownJournalRoutes(r, a, p)
	s.hubCertRoutes(a, p)
	p.GET("/sync", s.syncPage)
	p.POST("/sync", s.syncSubmit)
	return r
}

// refuseText answers a form whose field holds a control or invisible
// formatting character: nothing was read or changed.
func (s *Server) refuseText(c *gin.Context, field string) {
	if isAPI(c) {
		problem.Write(c, problem.UncleanText(field))
		return
	}
	s.render(c, http.StatusUnprocessableEntity, "error.html", gin.H{"Title": "Check what you typed",
		"Message": "The field \"" + field + "\" " + textx.Problem + ". Nothing was saved: go back, type it again and send the form."})
	c.Abort()
}

func isAPI(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/api/") }

// maxRequestBytes bounds every request body before anything reads it (the
// sign-in and CSRF checks parse forms): the largest legitimate one is a
// receipt upload, which the stipend rules bound more tightly.
const maxRequestBytes = 12 << 20

func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			if isAPI(c) {
				problem.Write(c, problem.New(http.StatusRequestEntityTooLarge, problem.TypeTooLarge, "The request is too large."))
			} else {
				c.AbortWithStatus(http.StatusRequestEntityTooLarge)
			}
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// surveyRoute tells the routes of the anonymous survey (the survey page,
// its thanks, the staff's survey page and API): they are not logged, so
// that the log's times of surveys cannot be set beside the audit log's.
func surveyRoute(path string) bool {
	return strings.HasPrefix(path, "/survey") || strings.HasPrefix(path, "/api/v1/survey")
}

// accessLog logs method, path template, status and time: never a body, a
// query or a participant's id.
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		path := c.FullPath()
		if path == "" {
			path = "(unmatched)"
		}
		if surveyRoute(path) {
			return // when a survey came in is not kept anywhere
		}
		if problem.GoneUnlogged(c) {
			// The body broke off: the client went away mid-request,
			// whatever the handler made of what it could read.
			problem.LogGone(c, s.log, io.ErrUnexpectedEOF)
		}
		s.log.Info("http", "method", c.Request.Method, "route", path, "status", c.Writer.Status(), "ms", time.Since(start).Milliseconds())
	}
}

func (s *Server) requireUser(page bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok := auth.Bearer(c)
		viaBearer := tok != ""
		if !viaBearer {
			tok, _ = c.Cookie(sessionCookie)
		}
		u, sess, err := s.st.SessionUser(c.Request.Context(), tok)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.fail(c, err)
			return
		}
		if err != nil {
			if page {
				if n, _ := s.st.UserCount(c.Request.Context()); n == 0 {
					c.Redirect(http.StatusSeeOther, "/setup")
				} else {
					c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
				}
				c.Abort()
				return
			}
			problem.Write(c, problem.New(http.StatusUnauthorized, problem.TypeUnauthorized, "Sign in first (POST /api/v1/auth/login) and send the token as a Bearer token."))
			return
		}
		if !viaBearer && !auth.Safe(c.Request.Method) && !auth.CSRFValid(c, sess.CSRF) {
			if page {
				s.render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Form expired", "Message": "This form is out of date. Go back, reload the page and try again."})
				c.Abort()
				return
			}
			problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, "The CSRF token is missing or wrong."))
			return
		}
		c.Set(ctxUser, u)
		c.Set(ctxSession, sess)
		c.Next()
	}
}

// signinForm gives a page with a form sent before a session (sign-in,
// set-up) its token against login CSRF (auth.FormGuard).
func (s *Server) signinForm(c *gin.Context, data gin.H) gin.H {
	data["CSRF"] = s.signin.Token(c)
	return data
}

// signinFormValid checks the token of such a form; without it, the form
// is shown again (page, data) with a message, to be sent again.
func (s *Server) signinFormValid(c *gin.Context, page string, data gin.H) bool {
	if s.signin.Valid(c) {
		return true
	}
	data["Error"] = "The form had expired. Please send it again."
	s.renderOwn(c, http.StatusForbidden, page, s.signinForm(c, data))
	return false
}

// fail answers an unexpected error: logged in full, shown without detail.
// A client that went away (its body broke off, or it closed the connection
// while the request ran) is not a failure: it is logged at Info as a
// disconnect, and on the survey's routes not at all.
func (s *Server) fail(c *gin.Context, err error) {
	if problem.ClientGone(c, err) {
		if surveyRoute(c.FullPath()) {
			c.AbortWithStatus(problem.StatusClientClosed)
			return
		}
		problem.Gone(c, s.log, err)
		return
	}
	if isAPI(c) {
		problem.Internal(c, s.log, err)
		return
	}
	s.log.Error("page failed", "route", c.FullPath(), "err", err)
	s.render(c, http.StatusInternalServerError, "error.html", gin.H{"Title": "Something went wrong", "Message": "The page could not be shown. The failure has been logged."})
	c.Abort()
}

func (s *Server) render(c *gin.Context, status int, name string, data gin.H) {
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
