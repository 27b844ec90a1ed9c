package obs_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/goccy/go-yaml"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/itsmylife/iml/pkg/obs"
	"github.com/itsmylife/iml/pkg/ratelimit"
)

// metricNames lists the metric names both programs expose, with each
// histogram's _bucket, _sum and _count series.
func metricNames(t *testing.T, gs ...prometheus.Gatherer) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, g := range gs {
		fams, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			names[f.GetName()] = true
			if f.GetType().String() == "HISTOGRAM" {
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					names[f.GetName()+s] = true
				}
			}
		}
	}
	return names
}

func programs(t *testing.T) []prometheus.Gatherer {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }
	hubReg := obs.NewRegistry()
	httpHub := obs.NewHTTP(hubReg, "hub", 0, nil)
	h := obs.NewHub(hubReg, func(context.Context) (obs.HubState, error) {
		return obs.HubState{Backlog: 5, Oldest: now().Add(-time.Minute), PublishedAt: now().Add(-time.Hour), Sites: []obs.SiteSync{{ID: "s1", LastSync: now()}}}, nil
	}, now)
	h.WatchGate(hubReg, ratelimit.NewGate(4, time.Second, time.Second), ratelimit.NewGate(2, time.Second, time.Second))
	// Every vector gets a child, so that Gather lists it.
	h.Pushes.WithLabelValues(obs.PushOK).Inc()
	h.Records.WithLabelValues("stored").Inc()
	h.PushDuration.Observe(0.1)
	agentReg := obs.NewRegistry()
	httpAgent := obs.NewHTTP(agentReg, "agent", 0, nil)
	a := obs.NewAgent(agentReg, func(context.Context) (obs.AgentState, error) { return obs.AgentState{Outbox: 3}, nil })
	a.SyncRounds.WithLabelValues("ok").Inc()
	a.SyncErrors.WithLabelValues("push").Inc()
	for _, m := range []*obs.HTTP{httpHub, httpAgent} {
		r := gin.New()
		r.Use(m.Middleware())
		r.GET("/x", func(c *gin.Context) { c.Status(http.StatusOK) })
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	}
	return []prometheus.Gatherer{hubReg, agentReg}
}

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

var metricRef = regexp.MustCompile(`\b((?:iml|process|go)_[a-z0-9_]+)`)

// TestDeployNamesExistingMetrics: every metric the alert rules and the
// Grafana dashboard in deploy/ name is one the programs expose.
func TestDeployNamesExistingMetrics(t *testing.T) {
	names := metricNames(t, programs(t)...)
	var exprs []string
	// Alert rules.
	raw, err := os.ReadFile("../../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert, Expr string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatal(err)
	}
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			exprs = append(exprs, r.Expr)
		}
	}
	for _, want := range []string{"SiteSilent", "ProjectorLagging", "HubServerErrors"} {
		if !alerts[want] {
			t.Errorf("alerts.yml has no %s alert", want)
		}
	}
	// Dashboard.
	raw, err = os.ReadFile("../../deploy/grafana/iml-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	if len(dash.Panels) < 8 {
		t.Errorf("dashboard has %d panels", len(dash.Panels))
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	checked := 0
	for _, e := range exprs {
		refs := metricRef.FindAllString(e, -1)
		if len(refs) == 0 {
			t.Errorf("expression names no metric: %s", e)
		}
		for _, n := range refs {
			checked++
			if !names[n] {
				t.Errorf("%q names %s, which neither program exposes", strings.TrimSpace(e), n)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d metric references checked", checked)
	}
}

// TestNoIdentifyingLabels: the only label values a program's metrics carry
// are fixed words, route patterns, status codes and site ids.
func TestNoIdentifyingLabels(t *testing.T) {
	allowed := map[string]bool{"program": true, "route": true, "method": true, "code": true, "result": true, "fate": true, "step": true, "site": true,
		"version": true} // version: go_info's Go version
	for _, g := range programs(t) {
		fams, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if !allowed[l.GetName()] {
						t.Errorf("%s has label %s", f.GetName(), l.GetName())
					}
				}
			}
		}
	}
}

// TestHTTPMetricsUseRoutePattern: a request is counted under its route's
// pattern, never its path; an unknown path under "unmatched"; a slow one
// is logged with the pattern.
func TestHTTPMetricsUseRoutePattern(t *testing.T) {
	gin.SetMode(gin.TestMode)
	reg := prometheus.NewRegistry()
	var logged strings.Builder
	m := obs.NewHTTP(reg, "agent", time.Nanosecond, slog.New(slog.NewJSONHandler(&logged, nil)))
	r := gin.New()
	r.Use(m.Middleware())
	r.GET("/participants/:id", func(c *gin.Context) { c.Status(http.StatusOK) })
	for _, p := range []string{"/participants/3f1c-secret-id", "/nowhere/jane-doe"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	srv := httptest.NewServer(obs.Handler(reg))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{`route="/participants/:id"`, `route="unmatched"`, `code="404"`, `program="agent"`} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s:\n%s", want, text)
		}
	}
	for _, leak := range []string{"secret-id", "jane-doe"} {
		if strings.Contains(text, leak) || strings.Contains(logged.String(), leak) {
			t.Errorf("a path (%s) leaked into metrics or the log", leak)
		}
	}
	if !strings.Contains(logged.String(), `"route":"/participants/:id"`) || !strings.Contains(logged.String(), "slow request") {
		t.Errorf("slow request not logged with its pattern: %s", logged.String())
	}
}

// TestScrapeFailureShowsNothingStale: when the figures cannot be read the
// scrape leaves them out and counts the failure; ages come from the clock.
func TestScrapeFailureShowsNothingStale(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	fail := errors.New("database gone")
	var readErr error
	reg := prometheus.NewRegistry()
	obs.NewHub(reg, func(context.Context) (obs.HubState, error) {
		return obs.HubState{Backlog: 7, Oldest: now.Add(-90 * time.Second), PublishedAt: now.Add(-time.Hour),
			Sites: []obs.SiteSync{{ID: "a", LastSync: now.Add(-time.Hour)}, {ID: "b"}}}, readErr
	}, func() time.Time { return now })
	value := func(name string) (float64, bool) {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() == name {
				m := f.GetMetric()[0]
				if m.GetGauge() != nil {
					return m.GetGauge().GetValue(), true
				}
				return m.GetCounter().GetValue(), true
			}
		}
		return 0, false
	}
	if v, ok := value("iml_hub_projector_lag_seconds"); !ok || v != 90 {
		t.Errorf("lag %v %v, want 90", v, ok)
	}
	if v, ok := value("iml_hub_publication_age_seconds"); !ok || v != 3600 {
		t.Errorf("publication age %v %v", v, ok)
	}
	if v, ok := value("iml_hub_sites_enrolled"); !ok || v != 2 {
		t.Errorf("sites %v %v", v, ok)
	}
	readErr = fail
	if _, ok := value("iml_hub_projector_backlog_records"); ok {
		t.Error("a failed read showed a backlog")
	}
	// Two scrapes failed: the one above and this one.
	if v, _ := value("iml_hub_scrape_errors_total"); v != 2 {
		t.Errorf("scrape errors %v, want 2", v)
	}
}

// TestListenServesMetrics: the metrics listener binds its own address.
func TestListenServesMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := obs.NewRegistry()
	addr, err := obs.Listen(ctx, "127.0.0.1:0", reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("status %d body %.200s", resp.StatusCode, body)
	}
	if _, err := obs.Listen(ctx, addr.String(), reg, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a second listener bound a busy address")
	}
}

// TestCountersStartAtZero: before the first push or sync round, every
// result, fate and step of the counters is listed at 0, so that a rate or
// an alert over them reads from the start.
func TestCountersStartAtZero(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }
	hubReg, agentReg := obs.NewRegistry(), obs.NewRegistry()
	obs.NewHub(hubReg, func(context.Context) (obs.HubState, error) { return obs.HubState{}, nil }, now)
	obs.NewAgent(agentReg, func(context.Context) (obs.AgentState, error) { return obs.AgentState{}, nil })
	want := map[string][]string{
		"iml_hub_pushes_total":        {obs.PushOK, obs.PushRefused, obs.PushBusy, obs.PushFailed},
		"iml_hub_records_total":       {"stored", "duplicate", "stale", "conflict", "rejected"},
		"iml_agent_sync_rounds_total": {"ok", "failed"},
		"iml_agent_sync_errors_total": obs.SyncSteps,
	}
	got := map[string][]string{}
	for _, g := range []prometheus.Gatherer{hubReg, agentReg} {
		mfs, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if _, ok := want[mf.GetName()]; !ok {
				continue
			}
			for _, m := range mf.GetMetric() {
				if v := m.GetCounter().GetValue(); v != 0 {
					t.Errorf("%s starts at %v", mf.GetName(), v)
				}
				got[mf.GetName()] = append(got[mf.GetName()], m.GetLabel()[0].GetValue())
			}
		}
	}
	for name, labels := range want {
		if len(got[name]) != len(labels) {
			t.Fatalf("%s lists %v, want %v", name, got[name], labels)
		}
		for _, l := range labels {
			if !slices.Contains(got[name], l) {
				t.Fatalf("%s lists %v, without %q", name, got[name], l)
			}
		}
	}
}
