package obs

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/ratelimit"
)

// Push results, the result label of iml_hub_pushes_total.
const (
	PushOK      = "ok"      // answered 200 with every record's fate
	PushRefused = "refused" // the client's mistake (4xx): credential, body, sequence
	PushBusy    = "busy"    // turned away with Retry-After: the hub was at its bound
	PushFailed  = "failed"  // the hub's failure (5xx)
)

// Hub is what the hub counts as it works, besides HTTP.
type Hub struct {
	// Pushes counts push requests by result (PushOK, ...).
	Pushes *prometheus.CounterVec
	// Records counts pushed records by fate (stored, duplicate, stale,
	// conflict, rejected).
	Records *prometheus.CounterVec
	// PushDuration times push requests from arrival to answer, the wait
	// for a slot included.
	PushDuration prometheus.Histogram
	// Projected counts records the projector has folded into the rollups.
	Projected prometheus.Counter
}

// HubState is what the hub reads at a scrape.
type HubState struct {
	// Backlog is the records stored and not yet projected (after the
	// projector's watermark); Oldest the time the first of them in the
	// projector's order was stored (zero when there are none).
	Backlog int64
	Oldest  time.Time
	// PublishedAt is when the outcomes publication staff read was made
	// (zero before the first).
	PublishedAt time.Time
	// Sites are the enrolled, unrevoked sites with the time each last
	// pushed or pulled (zero if never).
	Sites []SiteSync
}

// SiteSync is a site and when it last synced.
type SiteSync struct {
	ID       string
	LastSync time.Time
}

// NewHub registers the hub's metrics with reg. read gives the figures
// read at a scrape; now is the clock the ages are measured with.
func NewHub(reg prometheus.Registerer, read func(ctx context.Context) (HubState, error), now func() time.Time) *Hub {
	h := &Hub{
		Pushes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "hub", Name: "pushes_total",
			Help: "Push requests, by result: ok, refused (the client's mistake), busy (turned away with Retry-After), failed (the hub's failure)."}, []string{"result"}),
		Records: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "hub", Name: "records_total",
			Help: "Pushed records, by fate: stored, duplicate, stale, conflict, rejected."}, []string{"fate"}),
		PushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "hub", Name: "push_duration_seconds",
			Help:    "Time from a push's arrival to its answer, the wait for a slot included.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2, 5, 10, 30}}),
		Projected: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "hub", Name: "projected_records_total",
			Help: "Records the projector has folded into the outcomes rollups."}),
	}
	reg.MustRegister(h.Pushes, h.Records, h.PushDuration, h.Projected)
	// Every result and fate is there from the start, at 0: a rate over a
	// series that appears with its first push would miss that push, and
	// an alert on it would have nothing to read before.
	for _, r := range []string{PushOK, PushRefused, PushBusy, PushFailed} {
		h.Pushes.WithLabelValues(r)
	}
	for _, f := range []contract.Fate{contract.FateStored, contract.FateDuplicate, contract.FateStale, contract.FateConflict, contract.FateRejected} {
		h.Records.WithLabelValues(string(f))
	}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "hub", name), help, labels, nil)
	}
	NewScraped(reg, "hub", &Scraped{
		Descs: []*prometheus.Desc{
			desc("projector_backlog_records", "Records stored and not yet projected into the outcomes rollups (after the projector's watermark)."),
			desc("projector_lag_seconds", "Age of the first record after the projector's watermark, the oldest waiting (0 when none waits)."),
			desc("publication_age_seconds", "Age of the outcomes publication national staff read."),
			desc("site_last_sync_timestamp_seconds", "When each enrolled site last pushed or pulled (Unix time; 0 if never).", "site"),
			desc("sites_enrolled", "Enrolled sites that are not revoked."),
		},
		Types: []prometheus.ValueType{prometheus.GaugeValue, prometheus.GaugeValue, prometheus.GaugeValue, prometheus.GaugeValue, prometheus.GaugeValue},
		Read: func(ctx context.Context, emit func(int, float64, ...string)) error {
			st, err := read(ctx)
			if err != nil {
				return err
			}
			t := now()
			emit(0, float64(st.Backlog))
			emit(1, ageSeconds(t, st.Oldest))
			if !st.PublishedAt.IsZero() {
				emit(2, ageSeconds(t, st.PublishedAt))
			}
			for _, s := range st.Sites {
				emit(3, unixSeconds(s.LastSync), s.ID)
			}
			emit(4, float64(len(st.Sites)))
			return nil
		},
	})
	return h
}

// WatchGate shows the state of the gates pushes pass (ratelimit.Gate),
// g of all pushes and bulk of the bulk ones: slots in use, pushes waiting
// for one, and their size.
func (h *Hub) WatchGate(reg prometheus.Registerer, g, bulk *ratelimit.Gate) {
	gauge := func(g *ratelimit.Gate, name, help string, f func(ratelimit.Stats) int) prometheus.GaugeFunc {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "hub", Name: name, Help: help},
			func() float64 { return float64(f(g.Stats())) })
	}
	inUse := func(s ratelimit.Stats) int { return s.InUse }
	slots := func(s ratelimit.Stats) int { return s.Slots }
	reg.MustRegister(
		gauge(g, "push_slots_in_use", "Pushes being worked on now.", inUse),
		gauge(g, "push_slots", "Pushes the hub works on at once at most (--max-pushes).", slots),
		gauge(g, "push_waiting", "Pushes waiting for a slot now.", func(s ratelimit.Stats) int { return s.Waiting }),
		gauge(bulk, "push_bulk_slots_in_use", "Bulk pushes (resends, first syncs) being worked on now.", inUse),
		gauge(bulk, "push_bulk_slots", "Bulk pushes the hub works on at once at most (--max-bulk-pushes).", slots),
	)
}

// SyncSteps are the steps a failed sync round is counted by, the step
// label of iml_agent_sync_errors_total.
var SyncSteps = []string{"status", "pull", "outbox", "push", "other"}

// Agent is what an agent counts as it works, besides HTTP.
type Agent struct {
	// SyncRounds counts sync rounds by result: ok or failed.
	SyncRounds *prometheus.CounterVec
	// SyncErrors counts failed sync rounds by what failed (SyncSteps):
	// status, pull, outbox (building it), push or other.
	SyncErrors *prometheus.CounterVec
	// Pushed counts records the hub acknowledged.
	Pushed prometheus.Counter
}

// AgentState is what an agent reads at a scrape.
type AgentState struct {
	// Outbox is the records waiting to be pushed.
	Outbox int64
	// LastSuccess is when a sync round last succeeded (zero if never).
	LastSuccess time.Time
}

// NewAgent registers an agent's metrics with reg.
func NewAgent(reg prometheus.Registerer, read func(ctx context.Context) (AgentState, error)) *Agent {
	a := &Agent{
		SyncRounds: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "agent", Name: "sync_rounds_total",
			Help: "Sync rounds with the hub, by result: ok or failed."}, []string{"result"}),
		SyncErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "agent", Name: "sync_errors_total",
			Help: "Failed sync rounds, by the step that failed: status, pull, outbox, push or other."}, []string{"step"}),
		Pushed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "agent", Name: "pushed_records_total",
			Help: "Records the hub acknowledged."}),
	}
	reg.MustRegister(a.SyncRounds, a.SyncErrors, a.Pushed)
	for _, r := range []string{"ok", "failed"} {
		a.SyncRounds.WithLabelValues(r)
	}
	for _, s := range SyncSteps {
		a.SyncErrors.WithLabelValues(s)
	}
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "agent", name), help, nil, nil)
	}
	NewScraped(reg, "agent", &Scraped{
		Descs: []*prometheus.Desc{
			desc("outbox_records", "Records waiting to be pushed to the hub."),
			desc("last_sync_success_timestamp_seconds", "When a sync round last succeeded (Unix time; 0 if never)."),
		},
		Types: []prometheus.ValueType{prometheus.GaugeValue, prometheus.GaugeValue},
		Read: func(ctx context.Context, emit func(int, float64, ...string)) error {
			st, err := read(ctx)
			if err != nil {
				return err
			}
			emit(0, float64(st.Outbox))
			emit(1, unixSeconds(st.LastSuccess))
			return nil
		},
	})
	return a
}

func ageSeconds(now, t time.Time) float64 {
	if t.IsZero() || t.After(now) {
		return 0
	}
	return now.Sub(t).Seconds()
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
