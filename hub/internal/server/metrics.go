package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/obs"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/ratelimit"
)

// observe sets up the hub's metrics (Config.Metrics) and the slow request
// log (Config.SlowRequest).
func (s *Server) observe(cfg Config) {
	reg := cfg.Metrics
	if reg == nil {
		if cfg.SlowRequest <= 0 {
			return
		}
		// Slow requests are logged; the counts go nowhere.
		s.httpm = obs.NewHTTP(prometheus.NewRegistry(), "hub", cfg.SlowRequest, s.Log)
		return
	}
	s.httpm = obs.NewHTTP(reg, "hub", cfg.SlowRequest, s.Log)
	s.hubm = obs.NewHub(reg, s.state, s.St.Now)
	s.hubm.WatchGate(reg, s.gate, s.bulk)
	s.h.intake.OnFates = func(fates map[contract.Fate]int) {
		for f, n := range fates {
			s.hubm.Records.WithLabelValues(string(f)).Add(float64(n))
		}
	}
}

// state reads what the hub's metrics show at a scrape.
func (s *Server) state(ctx context.Context) (obs.HubState, error) {
	var st obs.HubState
	var err error
	if st.Backlog, st.Oldest, err = s.St.Waiting(ctx); err != nil {
		return st, err
	}
	st.PublishedAt = s.outcomes.PublishedAt(s.cfg.MinCell)
	sites, err := s.St.SitesLastSync(ctx)
	if err != nil {
		return st, err
	}
	st.Sites = make([]obs.SiteSync, len(sites))
	for i, si := range sites {
		st.Sites[i].ID = si.ID
		if si.LastSeen != nil {
			st.Sites[i].LastSync = *si.LastSeen
		}
	}
	return st, nil
}

// pushGate lets a push through the gate of pushes at once (a bulk push
// first through the narrower gate of bulk pushes), or turns it away with
// 503 and a Retry-After; pushes are counted and timed from here (after
// the credential check), the wait for a slot included.
func (s *Server) pushGate() []gin.HandlerFunc {
	refuse := ratelimit.Lanes(s.gate, s.bulk, isBulk, func(c *gin.Context, secs int) {
		problem.Write(c, problem.New(http.StatusServiceUnavailable, problem.TypeUnavailable,
			"The hub is working on as many pushes as it takes at once. Send the batch again after "+strconv.Itoa(secs)+" seconds; nothing of it was stored."))
	})
	if s.hubm == nil {
		return []gin.HandlerFunc{refuse}
	}
	count := func(c *gin.Context) {
		start := time.Now()
		c.Next()
		s.hubm.PushDuration.Observe(time.Since(start).Seconds())
		st := c.Writer.Status()
		result := obs.PushOK
		switch {
		case st == http.StatusServiceUnavailable || st == http.StatusTooManyRequests:
			result = obs.PushBusy
		case st >= 500:
			result = obs.PushFailed
		case st >= 400:
			result = obs.PushRefused
		}
		s.hubm.Pushes.WithLabelValues(result).Inc()
	}
	return []gin.HandlerFunc{count, refuse}
}

// isBulk tells a bulk push: a body over BulkPushBytes, or of a length not
// given.
func isBulk(r *http.Request) bool {
	return r.ContentLength < 0 || r.ContentLength > BulkPushBytes
}
