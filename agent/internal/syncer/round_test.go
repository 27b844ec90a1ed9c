package syncer

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/demo"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
)

// fakeHub answers status, pull and push for one site and holds the first
// push until hold is closed.
type fakeHub struct {
	mu      sync.Mutex
	seq     int64
	pushes  atomic.Int32
	pushing chan struct{} // closed when the first push arrives
	hold    chan struct{}
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case contract.PathStatus:
		h.mu.Lock()
		defer h.mu.Unlock()
		_ = json.NewEncoder(w).Encode(contract.StatusResponse{Generation: "g1", SiteID: "site-1", SiteSeq: h.seq})
	case contract.PathPull:
		_ = json.NewEncoder(w).Encode(contract.PullResponse{Generation: "g1"})
	case contract.PathPush:
		if h.pushes.Add(1) == 1 {
			close(h.pushing)
			<-h.hold
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req contract.PushRequest
		if err := json.NewDecoder(zr).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		seq, _ := strconv.ParseInt(r.Header.Get(contract.HeaderBatchSeq), 10, 64)
		h.mu.Lock()
		h.seq = max(h.seq, seq)
		h.mu.Unlock()
		_ = json.NewEncoder(w).Encode(contract.PushResponse{Generation: "g1", SiteSeq: seq, Acknowledged: len(req.Records), Stored: len(req.Records), Exceptions: true, Results: []contract.RecordResult{}})
	default:
		http.NotFound(w, r)
	}
}

// TestRoundWaitsForAnother: a round (agent sync) that begins while another
// round runs on the same database (agent serve's, another process) waits
// for it instead of overlapping, and its result says that the other one
// sent the records it then found already sent.
func TestRoundWaitsForAnother(t *testing.T) {
	ctx := context.Background()
	hub := &fakeHub{pushing: make(chan struct{}), hold: make(chan struct{})}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	release := sync.OnceFunc(func() { close(hub.hold) })
	defer release() // before the server closes, which waits for the held push
	path := filepath.Join(t.TempDir(), "agent.db")
	log := slog.New(slog.DiscardHandler)
	open := func() *store.Store {
		st, err := store.Open(ctx, path, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	// Two handles on one database, as agent serve and agent sync have.
	served, cli := open(), open()
	if err := served.SaveEnrollment(ctx, store.Enrollment{HubURL: srv.URL, SiteID: "site-1", SiteName: "Site", OrgName: "Org", Credential: "cred", Generation: "g1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(ctx, served, 40, 1); err != nil {
		t.Fatal(err)
	}
	background := New(served, log)
	type outcome struct {
		res Result
		err error
	}
	first := make(chan outcome, 1)
	go func() {
		res, err := background.Round(ctx)
		first <- outcome{res, err}
	}()
	select { // the background round is sending
	case <-hub.pushing:
	case o := <-first:
		t.Fatalf("the background round ended without pushing: %+v %v", o.res, o.err)
	case <-time.After(10 * time.Second):
		t.Fatal("the background round did not push")
	}

	byHand := New(cli, log)
	waiting := make(chan struct{})
	byHand.OnProgress = func(p Progress) {
		if p.Phase == "wait" {
			close(waiting)
		}
	}
	second := make(chan outcome, 1)
	go func() {
		res, err := byHand.Round(ctx)
		second <- outcome{res, err}
	}()
	select {
	case <-waiting:
	case o := <-second:
		t.Fatalf("agent sync's round did not wait for the running one: %+v %v", o.res, o.err)
	case <-time.After(10 * time.Second):
		t.Fatal("agent sync's round neither waited nor ended")
	}
	release()
	a := <-first
	if a.err != nil || a.res.Sent == 0 {
		t.Fatalf("the background round: %+v %v", a.res, a.err)
	}
	b := <-second
	if b.err != nil {
		t.Fatal(b.err)
	}
	if b.res.Sent != 0 || !b.res.Waited || b.res.Before == nil || b.res.Before.Sent != a.res.Sent {
		t.Fatalf("agent sync's round after the background one sent %d: %+v (before: %+v)", a.res.Sent, b.res, b.res.Before)
	}
	if n := hub.pushes.Load(); n != 1 {
		t.Errorf("%d pushes, want the background round's only", n)
	}

	// A round by itself neither waits nor names another; the lease is
	// given up after each round.
	c, err := byHand.Round(ctx)
	if err != nil || c.Waited || c.Before != nil {
		t.Fatalf("a round by itself: %+v %v", c, err)
	}
	if v, _ := cli.Meta(ctx, store.MetaSyncRound); v != "" {
		t.Errorf("the round lease is still held after the rounds: %q", v)
	}
}

// TestRoundLeaseExpires: a lease its holder no longer renews (the process
// died) ends after RoundLease, and another round takes it.
func TestRoundLeaseExpires(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "agent.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if ok, err := st.Outbox.TakeSyncRound(ctx, "dead", now, now.Add(time.Minute), nil); err != nil || !ok {
		t.Fatalf("take: %v %v", ok, err)
	}
	if ok, _ := st.Outbox.TakeSyncRound(ctx, "other", now.Add(30*time.Second), now.Add(90*time.Second), nil); ok {
		t.Fatal("a lease was taken while another held it")
	}
	if ok, _ := st.Outbox.TakeSyncRound(ctx, "other", now.Add(61*time.Second), now.Add(2*time.Minute), nil); !ok {
		t.Fatal("an expired lease was not taken")
	}
}

// TestRoundOwnerGone: the lease of a round whose process ended on this
// machine (a killed agent sync) is taken at once; a live process's, or
// another machine's, is not.
func TestRoundOwnerGone(t *testing.T) {
	cmd := exec.Command("sh", "-c", "exit 0")
	if err := cmd.Run(); err != nil {
		t.Skip("no sh:", err)
	}
	ended := cmd.ProcessState.Pid()
	for _, c := range []struct {
		owner string
		gone  bool
	}{
		{fmt.Sprintf("%d@%s/x", ended, hostName()), true},
		{fmt.Sprintf("%d@%s/x", os.Getppid(), hostName()), false},
		{fmt.Sprintf("%d@%s/x", os.Getpid(), hostName()), false},
		{fmt.Sprintf("%d@another-machine/x", ended), false},
		{"nonsense", false},
	} {
		if got := processGone(c.owner); got != c.gone {
			t.Errorf("processGone(%q) = %v, want %v", c.owner, got, c.gone)
		}
	}
	// A round's own owner names this process.
	if o := roundOwner(); !strings.HasPrefix(o, fmt.Sprintf("%d@%s/", os.Getpid(), hostName())) {
		t.Errorf("roundOwner() = %q", o)
	}
}
