package cluster_test

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	_ "github.com/Shopify/toxiproxy/v2/toxics" // registers the toxics
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/itsmylife/iml/pkg/cluster"
)

const faultBatch = 200

// seedMany fills an agent with n synthetic participants (about three
// records each) and edits some, so records have several versions.
func seedMany(t *testing.T, a *cluster.Agent, n int, seed int) {
	t.Helper()
	if _, err := a.CLI(context.Background(), "", "demo-seed", "--participants", strconv.Itoa(n), "--seed", strconv.Itoa(seed)); err != nil {
		t.Fatal(err)
	}
}

var pushLogRE = regexp.MustCompile(`"msg":"push".*?"records":(\d+),"stored":(\d+)`)

// resentRecords counts, from the hub's log, records that arrived again
// after the hub already held them.
func resentRecords(log string) (sent, resent int) {
	for _, m := range pushLogRE.FindAllStringSubmatch(log, -1) {
		r, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		sent += r
		resent += r - s
	}
	return sent, resent
}

// TestKillAgentDuringSync kills `agent sync` with SIGKILL at random moments,
// many times, while new records keep arriving; after it resumes the hub
// holds each record exactly once and nothing is lost, and each kill made at
// most one batch travel twice.
func TestKillAgentDuringSync(t *testing.T) {
	eachHubDB(t, func(t *testing.T, h *cluster.Hub) {
		a := enrolledAgent(t, h, h.URL(), "Kill site")
		seedMany(t, a, 1500, 11)
		rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
		kills := 0
		for round := 0; round < 25; round++ {
			if round == 12 {
				seedMany(t, a, 300, 12) // more work arrives mid-way
			}
			p, err := cluster.Start("agent sync", agentBin, []string{"sync", "--quiet", "--batch-records", strconv.Itoa(faultBatch), "--data-dir", a.DataDir, "--log-level", "warn"},
				nil, a.DataDir+"/sync.log")
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-time.After(time.Duration(20+rnd.IntN(400)) * time.Millisecond):
				p.Kill()
				kills++
			case <-waitChan(p):
			}
		}
		out, err := a.CLI(context.Background(), "", "sync", "--batch-records", strconv.Itoa(faultBatch))
		if err != nil {
			t.Fatalf("final sync: %v\n%s", err, out)
		}
		n := assertHubHoldsExactly(t, h, a)
		sent, resent := resentRecords(h.Proc.Log())
		t.Logf("%d records, %d kills, %d records sent, %d sent again", n, kills, sent, resent)
		if n < 4000 {
			t.Fatalf("only %d records: the test did not exercise much", n)
		}
		if resent > kills*faultBatch {
			t.Errorf("%d records sent again after %d kills: more than one batch per interruption", resent, kills)
		}
	})
}

func waitChan(p *cluster.Proc) <-chan struct{} {
	ch := make(chan struct{})
	go func() { _ = p.Wait(); close(ch) }()
	return ch
}

// TestFaultyNetwork puts toxiproxy between agent and hub: connections reset,
// latency, and responses cut off after the hub committed. The agent retries
// with its own policy; in the end the hub holds every record exactly once.
func TestFaultyNetwork(t *testing.T) {
	eachHubDB(t, func(t *testing.T, h *cluster.Hub) {
		srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
		proxy := toxiproxy.NewProxy(srv, "hub", "127.0.0.1:0", h.Addr)
		if err := proxy.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(proxy.Stop)
		// In front of toxiproxy, a hop that loses the hub's answer to a
		// push after the hub committed it.
		cutter := &answerCutter{target: "http://" + proxy.Listen, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2)), p: 0.3}
		front := httptest.NewServer(cutter)
		t.Cleanup(front.Close)
		a := enrolledAgent(t, h, front.URL, "Faulty site")
		seedMany(t, a, 700, 21)

		toxics := []string{
			`{"name":"latency","type":"latency","stream":"downstream","toxicity":1,"attributes":{"latency":40,"jitter":40}}`,
			// Some connections are reset by the peer as soon as data flows.
			`{"name":"reset","type":"reset_peer","stream":"upstream","toxicity":0.3,"attributes":{"timeout":0}}`,
			// Some answers stop after a few bytes.
			`{"name":"cut","type":"limit_data","stream":"downstream","toxicity":0.2,"attributes":{"bytes":100}}`,
		}
		for _, tx := range toxics {
			if _, err := proxy.Toxics.AddToxicJson(strings.NewReader(tx)); err != nil {
				t.Fatal(err)
			}
		}
		failures := 0
		for i := 0; i < 6; i++ {
			if _, err := a.CLI(context.Background(), "", "sync", "--batch-records", strconv.Itoa(faultBatch)); err != nil {
				failures++
				t.Logf("sync through faults failed (will resume): %v", firstLine(err.Error()))
				continue
			}
			break
		}
		for _, name := range []string{"cut", "reset"} {
			if err := proxy.Toxics.RemoveToxic(context.Background(), name); err != nil {
				t.Fatal(err)
			}
		}
		cutter.setP(0)
		if _, err := a.CLI(context.Background(), "", "sync", "--batch-records", strconv.Itoa(faultBatch)); err != nil {
			t.Fatal(err)
		}
		n := assertHubHoldsExactly(t, h, a)
		sent, resent := resentRecords(h.Proc.Log())
		t.Logf("%d records; %d sent in all, %d sent again; %d rounds failed outright", n, sent, resent, failures)
		if cutter.cuts() == 0 || resent == 0 {
			t.Errorf("%d answers cut, %d records sent again: the faults did not bite, the test proves nothing", cutter.cuts(), resent)
		}
		if resent > cutter.cuts()*faultBatch+failures*faultBatch {
			t.Errorf("%d records sent again after %d lost answers: more than one batch per interruption", resent, cutter.cuts())
		}
	})
}

// answerCutter forwards requests; with probability p it lets the hub
// process a push fully, then drops the connection instead of answering.
type answerCutter struct {
	target string
	mu     sync.Mutex
	rnd    *rand.Rand
	p      float64
	n      int
	pushes int
}

func (c *answerCutter) setP(p float64) { c.mu.Lock(); c.p = p; c.mu.Unlock() }
func (c *answerCutter) cuts() int      { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

func (c *answerCutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, c.target+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		// Pass a connection failure on as one.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	c.mu.Lock()
	// The first committed push always loses its answer, the others at random.
	cut := err == nil && strings.HasSuffix(r.URL.Path, "/push") && resp.StatusCode == http.StatusOK && c.p > 0 && (c.pushes == 0 || c.rnd.Float64() < c.p)
	if err == nil && strings.HasSuffix(r.URL.Path, "/push") && resp.StatusCode == http.StatusOK {
		c.pushes++
	}
	if cut {
		c.n++
	}
	c.mu.Unlock()
	if cut || err != nil {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
