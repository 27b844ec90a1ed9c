// Package server is the hub's HTTP side: the sync API agents talk to, the
// staff API and the server-rendered pages, and the background projector that
// keeps the reporting tables current.
package server

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/webui"
)

// Config is what the hub's server needs to know.
type Config struct {
	// SecureCookies marks cookies Secure; set it when served over HTTPS.
	SecureCookies bool
	// ProjectEvery is how often the projector looks for work it was not
	// told about (records stored by another replica).
	ProjectEvery time.Duration
	// MinCell is the smallest number of participants (or surveys) a
	// figure of the outcomes report may rest on (store.DefaultMinCell
	// when 0).
	MinCell int
	// Fidelity are the thresholds below which a site is flagged for
	// technical assistance (store.DefaultFidelity when zero).
	Fidelity store.FidelityThresholds
}

// Server is the hub's HTTP server.
type Server struct {
	cfg     Config
	st      *store.Store
	log     *slog.Logger
	pages   *template.Template
	project chan struct{}
	// pushes in flight and the end of the last one (unix nanoseconds): the
	// projector gives way to ingest.
	pushing  atomic.Int64
	lastPush atomic.Int64
}

//go:embed web
var webFS embed.FS

// New builds the server.
func New(cfg Config, st *store.Store, log *slog.Logger) *Server {
	if cfg.ProjectEvery <= 0 {
		cfg.ProjectEvery = 5 * time.Second
	}
	if cfg.MinCell <= 0 {
		cfg.MinCell = store.DefaultMinCell
	}
	if cfg.Fidelity == (store.FidelityThresholds{}) {
		cfg.Fidelity = store.DefaultFidelity()
	}
	tpl := webui.Templates(funcs, webFS, "web/templates/*.html")
	return &Server{cfg: cfg, st: st, log: log, pages: tpl, project: make(chan struct{}, 1)}
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(problem.Recovery(s.log), s.accessLog())
	r.HandleMethodNotAllowed = true
	r.NoRoute(s.notFound)
	r.NoMethod(func(c *gin.Context) {
		problem.Write(c, problem.New(http.StatusMethodNotAllowed, problem.TypeBadRequest, "This method is not allowed here."))
	})

	webui.Static(r)
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)

	sync := r.Group("/api/v1/sync", s.requireProtocol)
	sync.POST("/enroll", s.enroll)
	site := sync.Group("", s.requireSite)
	site.GET("/status", s.status)
	site.POST("/push", s.push)
	site.GET("/pull", s.pull)

	api := r.Group("/api/v1")
	api.POST("/auth/login", s.apiLogin)
	staff := api.Group("", s.requireStaff(false))
	staff.GET("/me", s.apiMe)
	staff.GET("/organizations", s.apiOrganizations)
	staff.GET("/sites", s.apiSites)
	staff.GET("/outcomes/pom", s.requireRole(store.RoleAdmin, store.RoleAnalyst, store.RoleTA, store.RoleTrainer, store.RoleDirector), s.apiPOM)
	staff.GET("/outcomes/report", s.requireRole(reportRoles...), s.apiOutcomes)
	staff.GET("/outcomes/fidelity", s.requireRole(reportRoles...), s.apiFidelity)

	r.GET("/login", s.loginPage)
	r.POST("/login", s.loginSubmit)
	pages := r.Group("", s.requireStaff(true))
	pages.POST("/logout", s.logout)
	pages.GET("/", s.homePage)
	pages.GET("/outcomes/pom", s.requireRole(store.RoleAdmin, store.RoleAnalyst, store.RoleTA, store.RoleTrainer, store.RoleDirector), s.pomPage)
	pages.GET("/outcomes", s.requireRole(reportRoles...), s.outcomesPage)
	pages.GET("/outcomes/print", s.requireRole(reportRoles...), s.printPage)
	pages.GET("/outcomes/fidelity", s.requireRole(reportRoles...), s.fidelityPage)
	pages.GET("/outcomes/export/:table", s.requireRole(reportRoles...), s.exportCSV)
	return r
}

func (s *Server) notFound(c *gin.Context) {
	if isAPI(c) {
		problem.NotFoundHandler(c)
		return
	}
	s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no page at this address."})
}

func isAPI(c *gin.Context) bool {
	p := c.Request.URL.Path
	return len(p) >= 5 && p[:5] == "/api/"
}

func (s *Server) ready(c *gin.Context) {
	if _, err := s.st.Generation(c.Request.Context()); err != nil {
		s.log.Error("readiness: database", "err", err)
		problem.Write(c, problem.New(http.StatusServiceUnavailable, problem.TypeUnavailable, "The database does not answer."))
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// accessLog logs each request's method, path, status and duration; never a
// body or a query value.
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		s.log.Info("http", "method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(),
			"ms", time.Since(start).Milliseconds(), "site", c.GetString(ctxSiteID))
	}
}

// quietPeriod is how long after the last push the projector waits, and
// maxDefer how long it gives way at most, so reports never fall far behind.
const (
	quietPeriod = 300 * time.Millisecond
	maxDefer    = 20 * time.Second
)

// waitQuiet returns once no push is in flight or has ended within
// quietPeriod, or after maxDefer.
func (s *Server) waitQuiet(ctx context.Context) {
	deadline := time.Now().Add(maxDefer)
	for time.Now().Before(deadline) {
		if s.pushing.Load() == 0 && time.Since(time.Unix(0, s.lastPush.Load())) >= quietPeriod {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(quietPeriod / 3):
		}
	}
}

// RunProjector keeps the reporting tables current until ctx ends. Ingest
// comes first: while agents push, projection waits (see waitQuiet), and
// the reports say how many records are still being added.
func (s *Server) RunProjector(ctx context.Context) {
	t := time.NewTicker(s.cfg.ProjectEvery)
	defer t.Stop()
	for {
		for {
			s.waitQuiet(ctx)
			n, err := s.st.ProjectPending(ctx, 2000)
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					s.log.Error("projector", "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.project:
		case <-t.C:
		}
	}
}

func (s *Server) wakeProjector() {
	select {
	case s.project <- struct{}{}:
	default:
	}
}
