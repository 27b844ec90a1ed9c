// Package server is the agent's HTTP side: the local API and the
// server-rendered pages staff use to run the program at the site.
package server

import (
	"log/slog"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/obs"
	"github.com/itsmylife/iml/pkg/problem"
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
	// Clock shows times in the site's time zone (the machine's when its
	// Loc is nil).
	Clock webui.Clock
	// Metrics, when set, counts and times every request by route pattern
	// (and logs slow ones).
	Metrics *obs.HTTP
}

// Limits on what anyone may send without a session, per client address (a
// token bucket each, ratelimit.PerMinute: n at once, then n a minute).
//
// Sign-in (staff and participants together): the lock-out stops guessing
// one account's secret; this stops one address from trying a few on every
// account in turn, while a cohort signing in to their journals one after
// the other on a shared tablet still can.
//
// The anonymous survey: anyone who can reach the survey page can send it,
// so one address must not be able to fill the site's figures with made-up
// answers, while a whole cohort filling in the survey on one tablet (one
// address) at the end of a meeting still can.
const (
	DefaultSignInPerMinute = 30
	DefaultSurveyPerMinute = 30
)

// Server is the agent's HTTP server: the shared plumbing (web.App) and the
// handlers of each capability, assembled by the routes table (routes.go).
type Server struct {
	*web.App
	// SyncNow asks the sync worker for a round (nil when none runs).
	SyncNow func()
	h       handlers
	metrics *obs.HTTP
}

// New builds the server.
func New(cfg Config, st *store.Store, log *slog.Logger) *Server {
	if cfg.SignInPerMinute <= 0 {
		cfg.SignInPerMinute = DefaultSignInPerMinute
	}
	if cfg.SurveyPerMinute <= 0 {
		cfg.SurveyPerMinute = DefaultSurveyPerMinute
	}
	s := &Server{}
	a := web.New(st, log, cfg.SecureCookies, cfg.SignInPerMinute, cfg.SurveyPerMinute, cfg.Clock, &s.SyncNow)
	s.App, s.h, s.metrics = a, newHandlers(a), cfg.Metrics
	return s
}

// Handler returns the routes: the middleware every request passes, the
// answers to unknown addresses and methods, and the routes table.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if s.metrics != nil {
		r.Use(s.metrics.Middleware())
	}
	routes := s.routes()
	r.Use(auth.SecurityHeaders(s.SecureCookies), problem.Recovery(s.Log), s.accessLog(), problem.TrackBody(), s.Refusals().LimitBody(maxRequestBytes, nil), web.Language(s.SecureCookies), textx.FormGuard(s.RefuseText), textx.SingleFields(s.Refusals().Query, ownRepeats(routes), "skills", "present", "participant_id"), textx.QueryGuard(s.Refusals().Query, web.IsAPI), webui.NewOnce().Handler(s.Refusals().SentAlready, s.Refusals().SentChanged))
	r.HandleMethodNotAllowed = true
	// The client address (for the rate limits): X-Forwarded-For counts
	// only from a reverse proxy on this machine.
	_ = r.SetTrustedProxies([]string{"127.0.0.1", "::1"})
	r.NoMethod(s.Refusals().MethodNotAllowed)
	r.NoRoute(func(c *gin.Context) {
		if web.IsAPI(c) {
			problem.NotFoundHandler(c)
			return
		}
		s.Render(c, http.StatusNotFound, "error.html", gin.H{"Title": i18n.M("Not found"), "Message": i18n.M("There is no page at this address.")})
	})
	webui.Static(r)
	groups := map[area]gin.IRoutes{
		anyone:      r,
		staffAPI:    r.Group("/api/v1", s.RequireUser(false)),
		staffPages:  r.Group("", s.RequireUser(true)),
		participant: r.Group("/journal", s.h.ownJournal.RequireParticipant),
	}
	for _, rt := range routes {
		// The action runs with writes barred when its form held a
		// character no one types (web.RefuseText).
		hs := rt.chain.handlers
		groups[rt.area].Handle(rt.method, rt.path, slices.Concat(hs[:len(hs)-1], []gin.HandlerFunc{dbx.BarMarked}, hs[len(hs)-1:])...)
	}
	return r
}

// areaPrefix is the prefix of an area's paths.
var areaPrefix = map[area]string{staffAPI: "/api/v1", participant: "/journal"}

// ownRepeats tells the forms that report a field sent twice next to the
// field themselves (web.RepeatedFields): the routes the table marks so
// (repeatsOwn); every other form sending a field twice is refused whole
// (textx.SingleFields).
func ownRepeats(rs []route) func(c *gin.Context) bool {
	own := map[string]bool{}
	for _, rt := range rs {
		if rt.chain.ownsRepeats {
			own[rt.method+" "+areaPrefix[rt.area]+rt.path] = true
		}
	}
	return func(c *gin.Context) bool { return own[c.Request.Method+" "+c.FullPath()] }
}
