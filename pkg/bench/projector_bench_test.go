package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/contract/contracttest"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/program"
)

// gzBatch encodes records as one gzipped push body.
func gzBatch(siteID string, recs []contract.Record) []byte {
	raw, err := json.Marshal(contract.PushRequest{SiteID: siteID, Records: recs})
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	return buf.Bytes()
}

// siteBatch is a push body and the site that sends it.
type siteBatch struct {
	site *loadSite
	body []byte
}

// siteBatches makes per records for each site, in batches of at most
// size, whole participants each, in random order.
func siteBatches(rng *rand.Rand, rel *program.Release, sites []*loadSite, per, size int) []siteBatch {
	var out []siteBatch
	for _, s := range sites {
		var recs []contract.Record
		for made := 0; made < per; {
			p := contracttest.ParticipantYear(rng, rel)
			recs = append(recs, p...)
			made += len(p)
			if len(recs) >= size || made >= per {
				out = append(out, siteBatch{s, gzBatch(s.id, recs)})
				recs = nil
			}
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// projectedMark reads the projector's watermark.
func projectedMark(ctx context.Context, conn *pgx.Conn) (int64, string, error) {
	var x int64
	var id string
	err := conn.QueryRow(ctx, "SELECT xact, record_id FROM record_marks WHERE name = 'projected'").Scan(&x, &id)
	return x, id, err
}

// BenchmarkProjectorCatchUp measures the projector against ingest on
// PostgreSQL through the real hub. (1) Catch-up: IML_BENCH_PROJ_SITES
// sites (100) push IML_BENCH_PROJ_RECORDS records (100,000; 2,000,000 at
// full scale) of whole participants while the benchmark holds the
// projector's lock (as after a restore or a full resend), then the hub
// projects them all: projector/ingest is the projection rate over the
// ingest rate of the same records (target at least 1). (2) Sustained: the
// sites push IML_BENCH_PROJ_RATE records a second (1,000) for
// IML_BENCH_PROJ_SECONDS (30) with the projector running, and the time
// from each push's commit (its answer) to the watermark passing its
// records, which is when they are in the rollups, is measured: p50 and
// p99 (target p99 at most 5 s).
func BenchmarkProjectorCatchUp(b *testing.B) {
	hubBin, _ := build(b)
	ctx := context.Background()
	nRecords := envInt("IML_BENCH_PROJ_RECORDS", 100_000)
	nSites := envInt("IML_BENCH_PROJ_SITES", 100)
	rate := envInt("IML_BENCH_PROJ_RATE", 1000)
	secs := time.Duration(envInt("IML_BENCH_PROJ_SECONDS", 30)) * time.Second
	def := program.Default()
	rel := &def
	for i := 0; i < b.N; i++ {
		dsn := dbtest.PostgresDSN(b)
		h := &cluster.Hub{Bin: hubBin, DataDir: b.TempDir(), DB: dsn, ServeArgs: []string{"--background-every", "200ms"}, Env: profileEnv("projector-hub", i)}
		if _, err := h.CLI(ctx, "", "org", "list"); err != nil { // migrates
			b.Fatal(err)
		}
		sites := seedSites(b, dsn, nSites)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Start(ctx); err != nil {
			b.Fatal(err)
		}
		ingest, project := catchUp(b, conn, h.URL(), sites, rel, nRecords)
		lat, pushed := sustained(b, conn, h.URL(), sites, rel, rate, secs)
		_ = h.Stop()
		conn.Close(ctx)

		ratio := ingest.Seconds() / project.Seconds()
		b.ReportMetric(ratio, "projector/ingest")
		b.ReportMetric(float64(nRecords)/ingest.Seconds(), "ingest-rec/s")
		b.ReportMetric(float64(nRecords)/project.Seconds(), "project-rec/s")
		b.ReportMetric(lat(0.5).Seconds(), "commit-to-rollup-p50-s")
		b.ReportMetric(lat(0.99).Seconds(), "commit-to-rollup-p99-s")
		fmt.Fprintf(os.Stderr, "\nprojector on PostgreSQL (%d sites):\n"+
			"  (1) catch-up: %d records ingested in %s (%.0f records/s), projected in %s (%.0f records/s): projector/ingest %.2f (target >= 1)\n"+
			"  (2) sustained %d records/s for %s (%d records pushed): commit to rollups p50 %.2f s, p99 %.2f s, max %.2f s (target p99 <= 5 s)\n",
			nSites, nRecords, ingest.Round(time.Millisecond), float64(nRecords)/ingest.Seconds(), project.Round(time.Millisecond), float64(nRecords)/project.Seconds(), ratio,
			rate, secs, pushed, lat(0.5).Seconds(), lat(0.99).Seconds(), lat(1).Seconds())
	}
}

// catchUp pushes n records while the projector is held off, then lets it
// go, and returns the time ingest took and the time projection took.
func catchUp(b *testing.B, conn *pgx.Conn, base string, sites []*loadSite, rel *program.Release, n int) (ingest, project time.Duration) {
	b.Helper()
	ctx := context.Background()
	bodies := siteBatches(rand.New(rand.NewPCG(1, 2)), rel, sites, max(1, n/len(sites)), 1000)
	// The projector's lock (intake's projectLock), held by the benchmark.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(74120192, hashtext(current_schema()))"); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 2 * time.Minute}
	st := &loadStats{}
	work := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				st.add(push(ctx, client, base, bodies[k].site, rel.Version, bodies[k].body, time.Now().Add(5*time.Minute)))
			}
		}()
	}
	for k := range bodies {
		work <- k
	}
	close(work)
	wg.Wait()
	ingest = time.Since(start)
	if st.errs > 0 || st.gaveUp > 0 {
		b.Fatalf("catch-up ingest: %d errors, %d pushes unsent (%v)", st.errs, st.gaveUp, st.firstErr)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(74120192, hashtext(current_schema()))"); err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	err := cluster.WaitFor(ctx, 30*time.Minute, "the projector to catch up", func() error { return projectedAll(ctx, conn) })
	if err != nil {
		b.Fatal(err)
	}
	return ingest, time.Since(start)
}

// sustained pushes rate records a second for d, in batches of whole
// participants from random sites, with the projector running, and returns
// the quantiles of the time from each push's answer to the watermark
// passing its records (weighted by records), and how many it pushed.
func sustained(b *testing.B, conn *pgx.Conn, base string, sites []*loadSite, rel *program.Release, rate int, d time.Duration) (func(q float64) time.Duration, int) {
	b.Helper()
	ctx := context.Background()
	w := &watch{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 2 * time.Minute}
	rng := rand.New(rand.NewPCG(3, 4))
	const perPush = 90 // five participants
	lookup, err := pgx.Connect(ctx, conn.Config().ConnString())
	if err != nil {
		b.Fatal(err)
	}
	defer lookup.Close(ctx)
	stop := make(chan struct{})
	watched := make(chan error, 1)
	go func() { watched <- w.run(ctx, conn, stop) }()
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) * perPush / float64(rate)))
	for end := time.Now().Add(d); time.Now().Before(end); <-tick.C {
		var recs []contract.Record
		for len(recs) < perPush {
			recs = append(recs, contracttest.ParticipantYear(rng, rel)...)
		}
		s := sites[rng.IntN(len(sites))]
		body := gzBatch(s.id, recs)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := push(ctx, client, base, s, rel.Version, body, time.Now().Add(time.Minute))
			at := time.Now()
			if r.err != nil || r.status != http.StatusOK {
				b.Errorf("push: %d %v", r.status, r.err)
				return
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			p := &pushed{at: at, records: len(recs)}
			if err := lookup.QueryRow(ctx, "SELECT xact FROM records WHERE id = $1", recs[0].ID).Scan(&p.xact); err != nil {
				b.Errorf("the pushed record: %v", err)
				return
			}
			w.pushes = append(w.pushes, p)
		}()
	}
	tick.Stop()
	wg.Wait()
	close(stop)
	if err := <-watched; err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	total := 0
	for _, p := range w.pushes {
		total += p.records
		for range p.records {
			lat = append(lat, p.seen)
		}
	}
	slices.Sort(lat)
	return func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}, total
}

// pushed is one push of the sustained phase: when it was answered, its
// transaction's mark, and when the watermark passed its records.
type pushed struct {
	at      time.Time
	xact    int64
	records int
	seen    time.Duration
}

// watch follows the projector's watermark and notes when it passes each
// push.
type watch struct {
	mu     sync.Mutex
	pushes []*pushed
}

// run polls the watermark every 20 ms until stop is closed and every push
// is passed.
func (w *watch) run(ctx context.Context, conn *pgx.Conn, stop chan struct{}) error {
	deadline := time.Now().Add(30 * time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	stopped := false
	for time.Now().Before(deadline) {
		x, _, err := projectedMark(ctx, conn)
		if err != nil {
			return err
		}
		now := time.Now()
		w.mu.Lock()
		left := 0
		for _, p := range w.pushes {
			if p.seen == 0 && p.xact == x {
				// The watermark is within this push: passed once none of
				// its records is after it.
				var after int
				if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM records r, record_marks m WHERE m.name = 'projected' AND r.xact = $1
AND (r.xact, r.id) > (m.xact, m.record_id)`, x).Scan(&after); err != nil {
					w.mu.Unlock()
					return err
				}
				if after == 0 {
					p.seen = max(now.Sub(p.at), time.Nanosecond)
				}
			}
			if p.seen == 0 && p.xact < x {
				p.seen = max(now.Sub(p.at), time.Nanosecond)
			}
			if p.seen == 0 {
				left++
			}
		}
		w.mu.Unlock()
		if stopped && left == 0 {
			return nil
		}
		select {
		case <-stop:
			stopped, stop = true, nil
		case <-tick.C:
		}
	}
	return fmt.Errorf("the watermark did not pass every push in 30 minutes")
}
