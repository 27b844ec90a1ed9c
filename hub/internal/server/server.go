// Package server is the hub's HTTP side: the sync API agents talk to, the
// staff API and the server-rendered pages, and the background projector that
// keeps the reporting tables current.
package server

import (
	"context"
	"embed"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/kits"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/hub/internal/training"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/obs"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/ratelimit"
	"github.com/itsmylife/iml/pkg/textx"
	"github.com/itsmylife/iml/pkg/webui"
)

// Config is what the hub's server needs to know.
type Config struct {
	// SecureCookies marks cookies Secure; set it when served over HTTPS.
	SecureCookies bool
	// ProjectEvery is how often the projector looks for work it was not
	// told about (records stored by another replica), and how often a
	// replica that does not run the background work tries to take it over.
	ProjectEvery time.Duration
	// OIDC configures sign-in through an OpenID Connect provider; nil
	// means local accounts only.
	OIDC *OIDCConfig
	// Replica names this process in the record of background job runs
	// (default host name and process id).
	Replica string
	// FidelityFlags lists the sites outcome fidelity flags for "My TA
	// work"; nil means the outcome reports' own flags (store.FlaggedSites
	// with Fidelity's thresholds and MinCell).
	FidelityFlags ta.FidelityFlags
	// Certs is how long a certification lasts and how far ahead its
	// expiry is flagged (default training.DefaultCertPolicy).
	Certs training.CertPolicy
	// VerifyPerMinute bounds public verification requests per client
	// address: that many at once, then that many a minute (default 30).
	VerifyPerMinute int
	// SignInPerMinute bounds sign-in attempts (the form, the API, the
	// start of a provider sign-in) per client address: that many at once,
	// then that many a minute (default DefaultSignInPerMinute).
	SignInPerMinute int
	// MinCell is the smallest number of participants (or surveys) a
	// figure of the outcomes report may rest on (outcomes.DefaultMinCell
	// when 0).
	MinCell int
	// Fidelity are the thresholds below which a site is flagged for
	// technical assistance (outcomes.DefaultFidelity when zero).
	Fidelity outcomes.FidelityThresholds
	// Metrics, when set, is where the hub's Prometheus metrics are
	// registered (served by the caller on an address of its own).
	Metrics *prometheus.Registry
	// SlowRequest: a request taking longer is logged (0: never).
	SlowRequest time.Duration
	// MaxPushes bounds the pushes worked on at once (DefaultMaxPushes when
	// 0); a push waits at most PushWait (DefaultPushWait when 0) for a
	// slot, and is then answered 503 with a Retry-After.
	MaxPushes int
	PushWait  time.Duration
	// MaxBulkPushes bounds, within MaxPushes, the bulk pushes (bodies over
	// BulkPushBytes: resends, first syncs) worked on at once
	// (DefaultMaxBulkPushes() when 0), so that the many small daily pushes
	// always find a slot.
	MaxBulkPushes int
}

// Back-pressure defaults: pushes at once, and how long one waits for a
// slot before it is turned away.
const (
	DefaultMaxPushes = 16
	DefaultPushWait  = 500 * time.Millisecond
	// BulkPushBytes: a push whose body (as sent, compressed) is larger,
	// or of unknown length, is a bulk push. A day's push of 50 records is
	// about 6 KiB; a batch of 5,000 about 500 KiB.
	BulkPushBytes = 64 << 10
)

// DefaultMaxBulkPushes is the bound on bulk pushes at once: half the
// hub's CPU cores, at least 1. A bulk push keeps a core busy (decoding,
// checking, and its database backend); the rest are left to the small
// pushes and the projector.
func DefaultMaxBulkPushes() int { return max(1, runtime.NumCPU()/2) }

// OIDCConfig configures sign-in through an OpenID Connect provider.
type OIDCConfig = staff.OIDCConfig

// RoleMapping grants a role to the members of a provider group.
type RoleMapping = staff.RoleMapping

// ParseRoleMap reads a role map (see staff.ParseRoleMap).
func ParseRoleMap(s string) ([]RoleMapping, error) { return staff.ParseRoleMap(s) }

// ResolveRoleMap checks a role map's organizations (see
// staff.ResolveRoleMap).
func ResolveRoleMap(ctx context.Context, st *store.Store, m []RoleMapping) error {
	return staff.ResolveRoleMap(ctx, st, m)
}

// DefaultSignInPerMinute is how many sign-in attempts one client address
// may make at once, and then a minute.
const DefaultSignInPerMinute = 20

// Server is the hub's HTTP server.
type Server struct {
	*web.Base
	cfg Config
	// h are the capabilities' HTTP surfaces (routes.go lists their routes).
	h handlers
	// The capabilities' queries over st.
	staff    *staff.Store
	intake   *intake.Store
	outcomes *outcomes.Store
	project  chan struct{}
	jobs     []Job
	// limits bound public verification and sign-in per client.
	limits limits
	// gate bounds the pushes worked on at once, and bulk the bulk pushes
	// among them; httpm and hubm are the metrics (nil when none are kept).
	gate  *ratelimit.Gate
	bulk  *ratelimit.Gate
	httpm *obs.HTTP
	hubm  *obs.Hub
}

//go:embed web
var webFS embed.FS

// New builds the server.
func New(cfg Config, st *store.Store, log *slog.Logger) *Server {
	if cfg.ProjectEvery <= 0 {
		cfg.ProjectEvery = 5 * time.Second
	}
	if cfg.Replica == "" {
		host, _ := os.Hostname()
		cfg.Replica = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	if cfg.Certs.ValidMonths <= 0 {
		cfg.Certs.ValidMonths = training.DefaultCertPolicy.ValidMonths
	}
	if cfg.Certs.WarnDays <= 0 {
		cfg.Certs.WarnDays = training.DefaultCertPolicy.WarnDays
	}
	if cfg.VerifyPerMinute <= 0 {
		cfg.VerifyPerMinute = 30
	}
	if cfg.SignInPerMinute <= 0 {
		cfg.SignInPerMinute = DefaultSignInPerMinute
	}
	if cfg.MinCell <= 0 {
		cfg.MinCell = outcomes.DefaultMinCell
	}
	if cfg.Fidelity == (outcomes.FidelityThresholds{}) {
		cfg.Fidelity = outcomes.DefaultFidelity()
	}
	if cfg.FidelityFlags == nil {
		th, minCell := cfg.Fidelity, cfg.MinCell
		cfg.FidelityFlags = func(ctx context.Context) ([]outcomes.SiteFlag, error) {
			return outcomes.New(st).FlaggedSites(ctx, th, minCell)
		}
	}
	if cfg.MaxPushes <= 0 {
		cfg.MaxPushes = DefaultMaxPushes
	}
	if cfg.PushWait <= 0 {
		cfg.PushWait = DefaultPushWait
	}
	if cfg.MaxBulkPushes <= 0 {
		cfg.MaxBulkPushes = DefaultMaxBulkPushes()
	}
	cfg.MaxBulkPushes = min(cfg.MaxBulkPushes, cfg.MaxPushes)
	tpl := webui.Templates(funcs, webFS, "web/templates/*.html")
	s := &Server{Base: &web.Base{St: st, Log: log, Pages: tpl}, cfg: cfg, project: make(chan struct{}, 1),
		staff: staff.New(st), intake: intake.New(st), outcomes: outcomes.New(st),
		limits: newLimits(cfg)}
	s.h = handlers{
		kits:       kits.NewHandlers(s.Base),
		training:   training.NewHandlers(s.Base, cfg.Certs),
		affiliates: affiliates.NewHandlers(s.Base),
		ta:         ta.NewHandlers(s.Base, cfg.FidelityFlags),
		outcomes:   outcomes.NewHandlers(s.Base, cfg.MinCell, cfg.Fidelity),
		staff:      staff.NewHandlers(s.Base, cfg.SecureCookies, cfg.OIDC),
	}
	s.h.intake = intake.NewHandlers(s.Base, s.h.ta, s.wakeProjector)
	s.gate = ratelimit.NewGate(cfg.MaxPushes, cfg.PushWait, 2*time.Second)
	s.bulk = ratelimit.NewGate(cfg.MaxBulkPushes, cfg.PushWait, 2*time.Second)
	s.observe(cfg)
	s.AddJob(Job{Name: "prune-expired", Every: time.Hour, Run: s.staff.PruneExpired})
	return s
}

// handlers are the capabilities' HTTP surfaces.
type handlers struct {
	kits       *kits.Handlers
	training   *training.Handlers
	affiliates *affiliates.Handlers
	ta         *ta.Handlers
	outcomes   *outcomes.Handlers
	staff      *staff.Handlers
	intake     *intake.Handlers
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if s.httpm != nil {
		r.Use(s.httpm.Middleware())
	}
	r.Use(auth.SecurityHeaders(s.cfg.SecureCookies), problem.Recovery(s.Log), s.accessLog(), problem.TrackBody(), s.audit(), limitUploads(kits.MaxKitFileBytes+1<<20), s.refusals().LimitBody(maxPageBytes, s.pageForm), textx.FormGuard(s.refuseText), textx.SingleFields(s.refusals().Query, web.PageForm), web.MarkRepeated, textx.QueryGuard(s.refusals().Query, s.refusals().IsAPI), webui.NewOnce().Handler(s.refusals().SentAlready, s.refusals().SentChanged))
	r.HandleMethodNotAllowed = true
	// The client address in the audit log: X-Forwarded-For counts only
	// from a reverse proxy on this machine.
	_ = r.SetTrustedProxies([]string{"127.0.0.1", "::1"})
	r.NoRoute(s.notFound)
	r.NoMethod(s.refusals().MethodNotAllowed)

	webui.Static(r)
	s.register(r)
	return r
}

func (s *Server) notFound(c *gin.Context) {
	if web.IsAPI(c) {
		problem.NotFoundHandler(c)
		return
	}
	s.Render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no page at this address."})
}

// refuseText answers a form whose fields hold a control or invisible
// formatting character (textx.FormGuard): the API with a problem naming
// the field; a page goes on to its handler, the form cleaned and its
// writes barred (web.MarkUnclean), to be shown again with the message. A
// field whose name holds one (no page's form sends that) gets the error
// page: nothing was read or changed.
func (s *Server) refuseText(c *gin.Context, fields []textx.Unclean) {
	if s.refusals().IsAPI(c) {
		problem.Write(c, problem.UncleanText(fields[0].Field))
		return
	}
	for _, f := range fields {
		if f.Field == textx.NameField {
			s.refusals().TextPage(c, f.Field)
			return
		}
	}
	web.MarkUnclean(c, fields)
}

// refusals are the hub's answers to what its guards refuse
// (webui.Refusals): the sync routes, as the API, with problems.
func (s *Server) refusals() webui.Refusals {
	return webui.Refusals{Render: s.Render, IsAPI: func(c *gin.Context) bool {
		return web.IsAPI(c) || strings.HasPrefix(c.Request.URL.Path, "/sync/")
	}}
}

func (s *Server) ready(c *gin.Context) {
	if _, err := s.St.Generation(c.Request.Context()); err != nil {
		s.Log.Error("readiness: database", "err", err)
		problem.Write(c, problem.New(http.StatusServiceUnavailable, problem.TypeUnavailable, "The database does not answer."))
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// accessLog logs each request's method, path, status and duration; never a
// body or a query value. A request whose body broke off (its client went
// away mid-upload) is said to be so, whatever the handler made of what it
// could read.
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if problem.GoneUnlogged(c) {
			problem.LogGone(c, s.Log, io.ErrUnexpectedEOF)
		}
		// The route pattern, not the path: a path is the client's to write
		// (any text, of any length) and may hold ids.
		route := c.FullPath()
		if route == "" {
			route = "(unmatched)"
		}
		s.Log.Info("http", "method", c.Request.Method, "route", route, "status", c.Writer.Status(),
			"ms", time.Since(start).Milliseconds(), "site", c.GetString(web.CtxSiteID))
	}
}

// quietPeriod is how long after the last push the projector waits before
// a round of passes, and maxDefer how long it gives way at most: a pass
// costs in proportion to the records it folds in, so the national figures
// stay within seconds of ingest even while agents push without pause.
const (
	quietPeriod = 300 * time.Millisecond
	maxDefer    = time.Second
)

// waitQuiet returns once no push is in flight or has ended within
// quietPeriod, or after maxDefer.
func (s *Server) waitQuiet(ctx context.Context) {
	deadline := time.Now().Add(maxDefer)
	for time.Now().Before(deadline) {
		if s.h.intake.Quiet(quietPeriod) {
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
// comes first: while agents push, a round of projection waits a moment
// (see waitQuiet), and the reports say how many records are still being
// added.
//
// With several replicas on one PostgreSQL database only one runs the
// projector and the jobs (AddJob): it holds a session advisory lock on a
// connection of its own (RunBackground). The others serve requests and try
// to take the lock over every ProjectEvery, so the work moves on when the
// holder stops.
func (s *Server) RunProjector(ctx context.Context) { s.RunBackground(ctx) }

// minPass and maxPass bound the records of one projection pass.
const (
	minPass = 2000
	maxPass = 16000
)

// projectOnce folds every pending record into the reporting tables, pass
// after pass, and records the round when it did something.
func (s *Server) projectOnce(ctx context.Context) (int, error) {
	start := s.St.Now()
	total := 0
	s.waitQuiet(ctx)
	// Passes grow while each finds as many records as it may take (a
	// backlog, as after a restore or a full resend): a pass's fixed costs
	// (the watermark, the all-sites rollups, statistics, the commit) are
	// then shared by more records. A round starts small again, so the
	// records of a sustained trickle are folded in within a short pass.
	for size := minPass; ; {
		n, err := s.intake.ProjectPending(ctx, size)
		if err != nil {
			return total, err
		}
		if s.hubm != nil {
			s.hubm.Projected.Add(float64(n))
		}
		total += n
		if n == 0 {
			break
		}
		if n == size {
			size = min(2*size, maxPass)
		}
	}
	// Publish the outcomes reports of new data (or, after a start, of the
	// data as it is) now, so no request waits for them; the projector does
	// not wait for the build either, once there is a publication.
	if err := s.outcomes.StartPublication(ctx, s.cfg.MinCell); err != nil {
		return total, err
	}
	if total > 0 {
		if err := s.St.RecordJobRun(ctx, store.JobRun{Job: "projector", Replica: s.cfg.Replica, StartedAt: start, FinishedAt: s.St.Now(), Items: total}); err != nil {
			return total, err
		}
	}
	return total, nil
}

func (s *Server) wakeProjector() {
	select {
	case s.project <- struct{}{}:
	default:
	}
}
