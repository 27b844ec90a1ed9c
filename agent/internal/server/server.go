// Package server is the agent's HTTP side: the local API and the
// server-rendered pages staff use to run the program at the site.
package server

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

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

// Server is the agent's HTTP server: the shared plumbing (app) and the
// handlers of each capability, assembled by the routes table (routes.go).
type Server struct {
	*app
	// SyncNow asks the sync worker for a round (nil when none runs).
	SyncNow func()
	h       handlers
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
	s := &Server{}
	a := &app{cfg: cfg, st: st, log: log, pages: tpl, syncNow: &s.SyncNow, signin: auth.FormGuard{Cookie: "iml_agent_signin", Secure: cfg.SecureCookies},
		limits: limits{signIn: ratelimit.PerMinute(cfg.SignInPerMinute), survey: ratelimit.PerMinute(cfg.SurveyPerMinute)}}
	s.app, s.h = a, newHandlers(a)
	return s
}

// Handler returns the routes: the middleware every request passes, the
// answers to unknown addresses and methods, and the routes table.
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
	groups := map[area]gin.IRoutes{
		anyone:      r,
		staffAPI:    r.Group("/api/v1", s.requireUser(false)),
		staffPages:  r.Group("", s.requireUser(true)),
		participant: r.Group("/journal", s.h.ownJournal.requireParticipant),
	}
	for _, rt := range s.routes() {
		groups[rt.area].Handle(rt.method, rt.path, rt.chain...)
	}
	return r
}
