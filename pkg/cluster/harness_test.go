package cluster_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

var hubBin, agentBin string

func TestMain(m *testing.M) {
	root, err := cluster.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "iml-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	hubBin, agentBin, err = cluster.Build(context.Background(), root, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// eachHubDB runs f with a hub on SQLite and with a hub on PostgreSQL.
func eachHubDB(t *testing.T, f func(t *testing.T, h *cluster.Hub)) {
	t.Run("sqlite", func(t *testing.T) { f(t, startHub(t, "")) })
	t.Run("postgres", func(t *testing.T) { f(t, startHub(t, dbtest.PostgresDSN(t))) })
}

func startHub(t *testing.T, dsn string) *cluster.Hub {
	t.Helper()
	// The end-to-end tests follow single participants through the POM
	// report: no small-cell suppression here (it is tested in the hub).
	h := &cluster.Hub{Bin: hubBin, DataDir: t.TempDir(), DB: dsn, Env: []string{"IML_HUB_MIN_CELL=1"}}
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Stop(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// enrolledAgent adds a site at the hub and enrolls a fresh agent with it.
func enrolledAgent(t *testing.T, h *cluster.Hub, hubURL, site string) *cluster.Agent {
	t.Helper()
	ctx := context.Background()
	tok, err := h.AddSite(ctx, "Org of "+site, "peer_run", "VA", site)
	if err != nil {
		t.Fatal(err)
	}
	a := &cluster.Agent{Name: site, Bin: agentBin, DataDir: t.TempDir()}
	if err := a.Enroll(ctx, hubURL, tok); err != nil {
		t.Fatal(err)
	}
	return a
}

func hubDSN(h *cluster.Hub) string {
	if h.DB != "" {
		return h.DB
	}
	return filepath.Join(h.DataDir, "hub.db")
}

func openDB(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	db, err := dbx.Open(dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dbx.Close(db) })
	return db
}

type syncedRow struct {
	ID      string
	Version int64
	Hash    string
	Deleted bool
}

// assertHubHoldsExactly checks the hub holds each of the agent's records
// exactly once, at the agent's version and content, and nothing else of
// the site; and that the agent has nothing left to send.
func assertHubHoldsExactly(t *testing.T, h *cluster.Hub, a *cluster.Agent) int {
	t.Helper()
	adb := openDB(t, filepath.Join(a.DataDir, "agent.db"))
	var siteID string
	if err := adb.Raw("SELECT value FROM agent_meta WHERE key = 'site_id'").Scan(&siteID).Error; err != nil || siteID == "" {
		t.Fatalf("agent site id: %q %v", siteID, err)
	}
	var want []syncedRow
	if err := adb.Raw("SELECT id, version, hash, deleted FROM sync_records").Scan(&want).Error; err != nil {
		t.Fatal(err)
	}
	var dirty int64
	adb.Raw(`SELECT COUNT(*) FROM sync_records WHERE conflict = '' AND change_seq >
  (SELECT COALESCE(MAX(CAST(value AS INTEGER)), 0) FROM agent_meta WHERE key = 'acked_upto')`).Scan(&dirty)
	if dirty != 0 {
		t.Errorf("agent still has %d records to send", dirty)
	}
	hdb := openDB(t, hubDSN(h))
	var got []syncedRow
	if err := hdb.Raw("SELECT id, version, hash, deleted FROM records WHERE site_id = ?", siteID).Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("hub holds %d records of the site, the agent has %d", len(got), len(want))
	}
	held := map[string]syncedRow{}
	for _, r := range got {
		if _, dup := held[r.ID]; dup {
			t.Errorf("record %s held twice", r.ID)
		}
		held[r.ID] = r
	}
	missing, wrong := 0, 0
	for _, w := range want {
		g, ok := held[w.ID]
		switch {
		case !ok:
			missing++
		case g != w:
			wrong++
		}
	}
	if missing > 0 || wrong > 0 {
		t.Errorf("of %d records, %d missing at the hub and %d at another version or content", len(want), missing, wrong)
	}
	return len(want)
}

// lostAtHub counts the agent's records the hub does not hold in the
// agent's version and content: what the agent's next sync must store.
func lostAtHub(t *testing.T, h *cluster.Hub, a *cluster.Agent) int {
	t.Helper()
	var want, got []syncedRow
	if err := openDB(t, filepath.Join(a.DataDir, "agent.db")).Raw("SELECT id, version, hash, deleted FROM sync_records").Scan(&want).Error; err != nil {
		t.Fatal(err)
	}
	if err := openDB(t, hubDSN(h)).Raw("SELECT id, version, hash, deleted FROM records").Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	held := map[syncedRow]bool{}
	for _, r := range got {
		held[r] = true
	}
	lost := 0
	for _, w := range want {
		if !held[w] {
			lost++
		}
	}
	return lost
}

// sentParticipants counts the participants an agent describes upstream:
// its live participant records. The quasi-identifier rule withholds a
// year of fewer than k participants of the site, and a participant
// enrolled this month leaves on the first of the next (privacy.md), so a
// site seeded with n people may send fewer.
func sentParticipants(t *testing.T, a *cluster.Agent) int {
	t.Helper()
	var n int64
	if err := openDB(t, filepath.Join(a.DataDir, "agent.db")).Raw("SELECT COUNT(*) FROM sync_records WHERE type = 'participant' AND deleted = ?", false).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// recorder keeps every byte that crosses between agent and hub, bodies
// decompressed, so tests can search it.
type recorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *recorder) write(parts ...[]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range parts {
		r.buf.Write(p)
		r.buf.WriteByte('\n')
	}
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// gunzipIf decompresses a recorded body sent with Content-Encoding enc
// (gzip, or zstd as agents push to hubs that take it).
func gunzipIf(enc string, b []byte) []byte {
	if enc == "zstd" {
		d, err := zstd.NewReader(nil)
		if err != nil {
			return b
		}
		defer d.Close()
		if out, err := d.DecodeAll(b, nil); err == nil {
			return out
		}
		return b
	}
	if enc != "gzip" {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return b
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return b
	}
	return out
}

// recordingProxy forwards to target and records the traffic.
func recordingProxy(t *testing.T, target string) (string, *recorder) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body.Close()
		hdr, _ := httputil.DumpResponse(&http.Response{StatusCode: resp.StatusCode, Header: resp.Header, ProtoMajor: 1, ProtoMinor: 1}, false)
		rec.write(hdr, gunzipIf(resp.Header.Get("Content-Encoding"), b))
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hdr, _ := httputil.DumpRequest(r, false)
		rec.write(hdr, gunzipIf(r.Header.Get("Content-Encoding"), b))
		r.Body = io.NopCloser(bytes.NewReader(b))
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, rec
}

// dumpHubDatabase returns every byte of the hub's stored data as text: the
// SQLite files as they are on disk (WAL included), or every row of every
// table of the PostgreSQL schema.
func dumpHubDatabase(t *testing.T, h *cluster.Hub) string {
	t.Helper()
	if h.DB == "" {
		var b strings.Builder
		for _, suffix := range []string{"", "-wal"} {
			data, err := os.ReadFile(filepath.Join(h.DataDir, "hub.db"+suffix))
			if err != nil && suffix == "" {
				t.Fatal(err)
			}
			b.Write(data)
		}
		return b.String()
	}
	db := openDB(t, h.DB)
	var tables []string
	if err := db.Raw("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").Scan(&tables).Error; err != nil || len(tables) < 5 {
		t.Fatalf("hub tables: %v %v", tables, err)
	}
	var b strings.Builder
	for _, tb := range tables {
		var rows []string
		if err := db.Raw(fmt.Sprintf("SELECT t::text FROM %q t", tb)).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.Join(rows, "\n"))
	}
	return b.String()
}

func waitFor(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	if err := cluster.WaitFor(context.Background(), timeout, what, check); err != nil {
		t.Fatal(err)
	}
}
