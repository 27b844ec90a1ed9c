package cluster_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// TestTwoHubReplicas runs two `hub serve` processes on one PostgreSQL
// schema. Agents push to both, a session opened at one works at the other,
// both answer reports, and the background work (the projector) runs on one
// replica only, each record projected once; when that replica stops, the
// other takes it over.
func TestTwoHubReplicas(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.PostgresDSN(t)
	replicas := map[string]*cluster.Hub{}
	for _, name := range []string{"replica-1", "replica-2"} {
		// No small-cell suppression, as in startHub: the test follows the
		// sites' participants through the report.
		h := &cluster.Hub{Bin: hubBin, DataDir: t.TempDir(), DB: dsn, ServeArgs: []string{"--replica", name, "--background-every", "200ms"}, Env: []string{"IML_HUB_MIN_CELL=1"}}
		if err := h.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = h.Stop() })
		replicas[name] = h
	}
	r1, r2 := replicas["replica-1"], replicas["replica-2"]
	a1 := enrolledAgent(t, r1, r1.URL(), "Site at replica one")
	a2 := enrolledAgent(t, r2, r2.URL(), "Site at replica two")
	seed := func(a *cluster.Agent, n, seed int) {
		t.Helper()
		if _, err := a.CLI(ctx, "", "demo-seed", "--participants", fmt.Sprint(n), "--seed", fmt.Sprint(seed)); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CLI(ctx, "", "sync"); err != nil {
			t.Fatal(err)
		}
	}
	seed(a1, 12, 1)
	seed(a2, 9, 2)
	want := sentParticipants(t, a1) + sentParticipants(t, a2)

	// A session opened at replica 1 works at replica 2: the hub keeps no
	// state of its own.
	tok := analystToken(t, r1)
	participants := func(h *cluster.Hub) (int, error) {
		var rep pomReport
		st, err := cluster.JSON(ctx, http.MethodGet, h.URL()+"/api/v1/outcomes/pom", tok, nil, &rep)
		if err == nil && st != http.StatusOK {
			err = fmt.Errorf("status %d", st)
		}
		return rep.Participants, err
	}
	for _, h := range []*cluster.Hub{r1, r2} {
		waitFor(t, 60*time.Second, "both sites' participants in the report at "+h.URL(), func() error {
			n, err := participants(h)
			if err == nil && n != want {
				err = fmt.Errorf("%d participants, want %d", n, want)
			}
			return err
		})
	}

	db := openDB(t, dsn)
	runs := func() (map[string]int, int64) {
		t.Helper()
		var rows []struct {
			Replica string
			Items   int
		}
		if err := db.Raw("SELECT replica, SUM(items) AS items FROM job_runs WHERE job = 'projector' GROUP BY replica").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, r := range rows {
			out[r.Replica] = r.Items
		}
		var records int64
		db.Raw("SELECT COUNT(*) FROM records").Scan(&records)
		return out, records
	}
	// A pass is recorded once it is over, just after the report shows it.
	waitProjectedOnce := func() {
		t.Helper()
		waitFor(t, 30*time.Second, "the projector's passes to be recorded", func() error {
			byReplica, records := runs()
			total := 0
			for _, n := range byReplica {
				total += n
			}
			if int64(total) < records {
				return fmt.Errorf("%d of %d records recorded as projected", total, records)
			}
			return nil
		})
	}
	waitProjectedOnce()
	byReplica, records := runs()
	if len(byReplica) != 1 {
		t.Fatalf("the projector ran on %d replicas: %v", len(byReplica), byReplica)
	}
	var leader string
	for name, n := range byReplica {
		leader = name
		if int64(n) != records {
			t.Fatalf("%s projected %d records, the hub holds %d: each must be projected once", name, n, records)
		}
	}
	t.Logf("background work on %s: %d records projected once", leader, records)

	// The leader stops; the other replica takes the work over and projects
	// what its site sends next.
	survivor, agent, standby := r2, a2, "replica-2"
	if leader == "replica-2" {
		survivor, agent, standby = r1, a1, "replica-1"
	}
	if err := replicas[leader].Stop(); err != nil {
		t.Fatal(err)
	}
	versions := func() map[string]int64 {
		t.Helper()
		var rows []struct {
			ID      string
			Version int64
		}
		if err := db.Raw("SELECT id, version FROM records").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, r := range rows {
			out[r.ID] = r.Version
		}
		return out
	}
	held := versions()
	seed(agent, 4, 3)
	want = sentParticipants(t, a1) + sentParticipants(t, a2)
	waitFor(t, 60*time.Second, "the new participants in the report at the survivor", func() error {
		n, err := participants(survivor)
		if err == nil && n != want {
			err = fmt.Errorf("%d participants, want %d", n, want)
		}
		return err
	})
	// The standby projects each record stored since the leader stopped,
	// once: the new ones, and the new versions of records the new people
	// made the site describe again.
	stored := 0
	for id, v := range versions() {
		if held[id] != v {
			stored++
		}
	}
	waitFor(t, 30*time.Second, "the standby's passes to be recorded", func() error {
		if after, _ := runs(); after[standby] < stored {
			return fmt.Errorf("%d of %d records recorded as projected by %s", after[standby], stored, standby)
		}
		return nil
	})
	after, total := runs()
	if after[leader] != byReplica[leader] || after[standby] != stored || after[standby] == 0 {
		t.Fatalf("after the take-over: %v for %d records, %d stored since (had %v for %d)", after, total, stored, byReplica, records)
	}
}
