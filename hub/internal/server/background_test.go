package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// poll waits for check to pass, failing the test at the deadline.
func poll(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type replica struct {
	*hub
	ticks  atomic.Int64
	cancel context.CancelFunc
	done   chan struct{}
}

func startReplica(t *testing.T, dsn, name string) *replica {
	t.Helper()
	r := &replica{done: make(chan struct{})}
	r.hub = newHubWith(t, dsn, func(string) server.Config {
		return server.Config{Replica: name, ProjectEvery: 50 * time.Millisecond}
	})
	r.server.AddJob(server.Job{Name: "tick", Every: 10 * time.Millisecond, Run: func(context.Context) (int, error) {
		r.ticks.Add(1)
		return 1, nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.server.RunBackground(ctx); close(r.done) }()
	t.Cleanup(r.stop)
	return r
}

func (r *replica) stop() {
	r.cancel()
	<-r.done
}

// jobRuns sums the items of job runs per replica.
func jobRuns(t *testing.T, st *store.Store, job string) map[string]int {
	t.Helper()
	var rows []store.JobRun
	if err := st.DB.Where("job = ?", job).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Replica] += r.Items
	}
	return out
}

func pushInterviews(t *testing.T, h *hub, site store.Site, cred string, seq int64, n int) {
	t.Helper()
	var recs []contract.Record
	for i := 0; i < n; i++ {
		recs = append(recs, interview(t, newID(), 1, true))
	}
	resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: pushHeaders(cred, seq), body: gz(t, batch(t, site.ID, recs...))})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("push: %d %s", resp.StatusCode, b)
	}
}

// waitProjected waits until nothing is pending and the job runs account
// for want records in all (a pass is recorded once it is over).
func waitProjected(t *testing.T, st *store.Store, want int) {
	t.Helper()
	poll(t, 30*time.Second, "records projected", func() error {
		n, err := st.PendingProjection(context.Background())
		if err != nil {
			return err
		}
		total := 0
		for _, items := range jobRuns(t, st, "projector") {
			total += items
		}
		if n > 0 || total < want {
			return fmt.Errorf("%d records pending, %d of %d recorded as projected", n, total, want)
		}
		return nil
	})
}

// Two replicas on one PostgreSQL database: both take pushes, one runs the
// projector and the jobs, each record is projected once; when that replica
// stops, the other takes the work over.
func TestBackgroundWorkRunsOnOneReplica(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	a := startReplica(t, dsn, "replica-a")
	poll(t, 10*time.Second, "replica a runs the jobs", func() error {
		if a.ticks.Load() == 0 {
			return errors.New("no tick yet")
		}
		return nil
	})
	b := startReplica(t, dsn, "replica-b")
	site, cred := a.site("Both", nil)
	pushInterviews(t, a.hub, site, cred, 1, 30)
	pushInterviews(t, b.hub, site, cred, 2, 20)
	waitProjected(t, a.st, 50)
	if runs := jobRuns(t, a.st, "projector"); len(runs) != 1 || runs["replica-a"] != 50 {
		t.Fatalf("projector runs by replica: %v, want replica-a 50", runs)
	}
	if n := b.ticks.Load(); n != 0 {
		t.Fatalf("replica b ran the job %d times while a held the lock", n)
	}
	var projected int64
	a.st.DB.Table("pom_interviews").Count(&projected)
	if projected != 50 {
		t.Fatalf("%d interviews projected, want 50", projected)
	}

	a.stop()
	pushInterviews(t, b.hub, site, cred, 3, 7)
	waitProjected(t, b.st, 57)
	runs := jobRuns(t, b.st, "projector")
	if runs["replica-a"] != 50 || runs["replica-b"] != 7 {
		t.Fatalf("projector runs after a stopped: %v, want replica-b 7 more", runs)
	}
	poll(t, 10*time.Second, "replica b runs the jobs", func() error {
		if b.ticks.Load() == 0 {
			return errors.New("no tick yet")
		}
		return nil
	})
}

// On SQLite one process runs everything without a lock.
func TestBackgroundWorkOnSQLite(t *testing.T) {
	r := startReplica(t, dbtest.SQLitePath(t), "only")
	site, cred := r.site("Solo", nil)
	pushInterviews(t, r.hub, site, cred, 1, 5)
	waitProjected(t, r.st, 5)
	if runs := jobRuns(t, r.st, "projector"); runs["only"] != 5 {
		t.Fatalf("projector runs: %v", runs)
	}
	poll(t, 10*time.Second, "the job runs", func() error {
		if r.ticks.Load() == 0 {
			return errors.New("no tick yet")
		}
		return nil
	})
}
