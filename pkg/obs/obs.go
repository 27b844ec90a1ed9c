// Package obs is what both programs show operators: Prometheus metrics
// (github.com/prometheus/client_golang) on a listen address of their own,
// HTTP request counts and durations by route pattern, and a structured log
// line for every slow request.
//
// No metric carries an identifying label: routes are patterns
// ("/api/v1/participants/:id", never the path), and the only per-thing
// label in either program is a hub's site id, which names an
// organization's site, not a person.
package obs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric of both programs.
const Namespace = "iml"

// NewRegistry makes a registry with the Go runtime's and the process's
// collectors (memory, CPU, open files) besides the program's own.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// HTTP counts a program's requests and times them, by route pattern.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	slow     time.Duration
	log      *slog.Logger
}

// NewHTTP registers the request metrics of a program ("hub" or "agent")
// with reg. A request that takes longer than slow (0: never) is logged.
func NewHTTP(reg prometheus.Registerer, program string, slow time.Duration, log *slog.Logger) *HTTP {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help:        "HTTP requests answered, by route pattern, method and status code.",
			ConstLabels: prometheus.Labels{"program": program},
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:        "Time to answer an HTTP request, by route pattern and method.",
			ConstLabels: prometheus.Labels{"program": program},
			Buckets:     []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		slow: slow,
		log:  log,
	}
	reg.MustRegister(h.requests, h.duration)
	return h
}

// Route is the label of a request's route: its pattern, or "unmatched"
// for a path no route has (never the path itself, which may hold ids).
func Route(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// Middleware counts and times every request; it logs one that was slow.
func (h *HTTP) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		took := time.Since(start)
		route, method := Route(c), c.Request.Method
		h.requests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
		h.duration.WithLabelValues(route, method).Observe(took.Seconds())
		if h.slow > 0 && took >= h.slow && h.log != nil {
			h.log.Warn("slow request", "method", method, "route", route, "status", c.Writer.Status(), "took_ms", took.Milliseconds())
		}
	}
}

// Handler serves a registry's metrics in Prometheus's text format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, MaxRequestsInFlight: 4, Timeout: 30 * time.Second})
}

// Listen binds addr and serves /metrics there until ctx ends: a listen
// address of its own, so that metrics can be kept off the public one. It
// returns once the address is bound (or could not be).
func Listen(ctx context.Context, addr string, reg *prometheus.Registry, log *slog.Logger) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", Handler(reg))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	return ln.Addr(), nil
}

// Scraped is a collector whose figures are read when Prometheus scrapes
// (a depth, an age, the last time something happened), not counted as
// things happen. Read must return one value per desc of Descs, in order,
// with its label values.
type Scraped struct {
	Descs []*prometheus.Desc
	Types []prometheus.ValueType
	// Read reads the figures; a failure is counted in errs and the scrape
	// shows none of them rather than stale ones.
	Read    func(ctx context.Context, emit func(i int, v float64, labels ...string)) error
	Timeout time.Duration
	errs    prometheus.Counter
}

// NewScraped makes a Scraped collector and registers it and its error
// counter (<namespace>_<subsystem>_scrape_errors_total) with reg.
func NewScraped(reg prometheus.Registerer, subsystem string, s *Scraped) *Scraped {
	s.errs = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: subsystem, Name: "scrape_errors_total",
		Help: "Scrapes whose figures could not be read (the figures were left out of that scrape)."})
	if s.Timeout == 0 {
		s.Timeout = 10 * time.Second
	}
	reg.MustRegister(s)
	return s
}

// Describe implements prometheus.Collector.
func (s *Scraped) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range s.Descs {
		ch <- d
	}
	s.errs.Describe(ch)
}

// Collect implements prometheus.Collector.
func (s *Scraped) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	var out []prometheus.Metric
	err := s.Read(ctx, func(i int, v float64, labels ...string) {
		m, err := prometheus.NewConstMetric(s.Descs[i], s.Types[i], v, labels...)
		if err == nil {
			out = append(out, m)
		}
	})
	// The error counter goes out after the read, so a scrape that failed
	// counts itself (registered apart, it could be gathered first).
	defer s.errs.Collect(ch)
	if err != nil {
		s.errs.Inc()
		return
	}
	for _, m := range out {
		ch <- m
	}
}

// ServeMetrics makes a registry and serves it on addr (Listen), or
// returns nil when addr is empty (no metrics kept).
func ServeMetrics(ctx context.Context, addr string, log *slog.Logger) (*prometheus.Registry, error) {
	if addr == "" {
		return nil, nil
	}
	reg := NewRegistry()
	bound, err := Listen(ctx, addr, reg, log)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	log.Info("metrics listening", "url", "http://"+bound.String()+"/metrics")
	return reg, nil
}
