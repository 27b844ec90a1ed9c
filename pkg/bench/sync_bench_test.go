package bench

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/contract/contracttest"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// syncRecords is the size of the benchmark's outbox.
const syncRecords = 100_000

func build(b *testing.B) (hub, agent string) {
	b.Helper()
	root, err := cluster.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	hub, agent, err = cluster.Build(context.Background(), root, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return hub, agent
}

// rawUpsert is the baseline: the same rows into the same table with pgx
// CopyFrom into a temporary table, then one INSERT ... ON CONFLICT.
// It returns the time taken and the CPU time of the PostgreSQL backend.
func rawUpsert(b *testing.B, dsn, siteID string, recs []contract.Record) (time.Duration, time.Duration) {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		b.Fatal(err)
	}
	cpu0 := procCPU(backend)
	rows := make([][]any, len(recs))
	for i, r := range recs {
		rows[i] = []any{r.ID, siteID, r.Type, r.Version, r.Hash, r.Deleted, string(r.Data), int64(3)}
	}
	start := time.Now()
	tx, err := conn.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE incoming (LIKE records INCLUDING DEFAULTS) ON COMMIT DROP"); err != nil {
		b.Fatal(err)
	}
	cols := []string{"id", "site_id", "type", "version", "hash", "deleted", "data", "xact"}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incoming"}, cols, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO records SELECT * FROM incoming ON CONFLICT (id) DO UPDATE SET type = excluded.type, version = excluded.version,
hash = excluded.hash, deleted = excluded.deleted, data = excluded.data, xact = excluded.xact
WHERE records.version < excluded.version`); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return time.Since(start), procCPU(backend) - cpu0
}

// fillOutbox writes records straight into an enrolled agent's outbox.
func fillOutbox(b *testing.B, agentDir string, recs []contract.Record) {
	b.Helper()
	db, err := dbx.Open(filepath.Join(agentDir, "agent.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer dbx.Close(db)
	now := time.Now().UTC()
	rows := make([][]any, len(recs))
	for i, r := range recs {
		rows[i] = []any{r.ID, r.Type, r.Version, r.Hash, false, string(r.Data), now}
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		return dbx.ExecRows(tx, "INSERT INTO sync_records (id, type, version, hash, deleted, data, updated_at) VALUES ", "", "", rows, 0)
	})
	if err != nil {
		b.Fatal(err)
	}
}

func hubRecordCount(b *testing.B, dsn string) int64 {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, "SELECT COUNT(*) FROM records").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

var pushLogRE = regexp.MustCompile(`"msg":"push".*?"records":(\d+),"stored":(\d+)`)

func resent(log string) int {
	n := 0
	for _, m := range pushLogRE.FindAllStringSubmatch(log, -1) {
		r, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		n += r - s
	}
	return n
}

// watchPeakRSS follows a process's own peak resident memory (VmHWM) until
// it exits and then sends the last value read, in KiB. (The rusage of a
// child is no good here: Linux carries the parent's high-water mark into it
// at exec, and the parent is this benchmark holding 100,000 records.)
func watchPeakRSS(p *cluster.Proc) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		path := fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid)
		for !p.Exited() {
			if b, err := os.ReadFile(path); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if strings.HasPrefix(line, "VmHWM:") {
						if v, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmHWM:"), "kB")), 10, 64); err == nil && v > peak {
							peak = v
						}
					}
				}
			}
			<-tick.C
		}
		out <- peak
	}()
	return out
}

// projectedAll says whether the projector's watermark has passed the last
// record stored.
func projectedAll(ctx context.Context, conn *pgx.Conn) error {
	var lastX int64
	var lastID string
	if err := conn.QueryRow(ctx, "SELECT xact, id FROM records ORDER BY xact DESC, id DESC LIMIT 1").Scan(&lastX, &lastID); err != nil {
		return err
	}
	x, id, err := projectedMark(ctx, conn)
	if err != nil {
		return err
	}
	if x < lastX || x == lastX && id != lastID {
		return fmt.Errorf("watermark (%d, %s), last record (%d, %s)", x, id, lastX, lastID)
	}
	return nil
}

// BenchmarkSyncEndToEnd measures, in one run on PostgreSQL: the raw
// idempotent bulk upsert of 100,000 records; the end-to-end rate of the same
// number from an agent's outbox to rows committed at the hub, with the real
// processes over HTTP; the agent's peak resident memory; and how many
// records travel twice when the agent is killed mid-sync.
func BenchmarkSyncEndToEnd(b *testing.B) {
	hubBin, agentBin := build(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		// Baseline: the median of three runs, each into a fresh table.
		type rawRun struct{ dur, pgCPU time.Duration }
		var raws []rawRun
		for k := 0; k < 3; k++ {
			rawDSN := dbtest.PostgresDSN(b)
			rawHub := &cluster.Hub{Bin: hubBin, DataDir: b.TempDir(), DB: rawDSN}
			if _, err := rawHub.CLI(ctx, "", "org", "list"); err != nil { // migrates
				b.Fatal(err)
			}
			dur, pgCPU := rawUpsert(b, rawDSN, uuid.NewString(), contracttest.Interviews(syncRecords))
			raws = append(raws, rawRun{dur, pgCPU})
			if n := hubRecordCount(b, rawDSN); n != syncRecords {
				b.Fatalf("raw upsert stored %d rows", n)
			}
		}
		slices.SortFunc(raws, func(x, y rawRun) int { return cmp.Compare(x.dur, y.dur) })
		rawDur, rawPG := raws[1].dur, raws[1].pgCPU

		// End to end.
		// IML_BENCH_PROFILE=dir writes CPU profiles of the hub (its whole
		// run) and of the measured agent sync into dir.
		// Two replicas on one database, as in production: the leader,
		// started first, runs the background work (the projector), and the
		// agent pushes to the other. So the CPU of the sync and that of
		// folding the records into the national figures are measured
		// apart.
		dsn := dbtest.PostgresDSN(b)
		lead := &cluster.Hub{Bin: hubBin, DataDir: b.TempDir(), DB: dsn, Env: profileEnv("leader", i)}
		if err := lead.Start(ctx); err != nil {
			b.Fatal(err)
		}
		if err := cluster.WaitFor(ctx, time.Minute, "the leader to take the background work", func() error {
			if !strings.Contains(lead.Proc.Log(), "background work runs on this replica") {
				return fmt.Errorf("not yet")
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		h := &cluster.Hub{Bin: hubBin, DataDir: b.TempDir(), DB: dsn, Env: profileEnv("hub", i)}
		agentEnv := profileEnv("agent", i)
		if err := h.Start(ctx); err != nil {
			b.Fatal(err)
		}
		tok, err := h.AddSite(ctx, "Bench org", "other", "VA", "Bench site")
		if err != nil {
			b.Fatal(err)
		}
		a := &cluster.Agent{Name: "bench", Bin: agentBin, DataDir: b.TempDir()}
		if err := a.Enroll(ctx, h.URL(), tok); err != nil {
			b.Fatal(err)
		}
		fillOutbox(b, a.DataDir, contracttest.Interviews(syncRecords))
		backends, err := clientBackends(ctx, h.DB, h.Proc.Cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		pg0, hub0, lead0 := backendCPU(backends), procCPU(h.Proc.Cmd.Process.Pid), procCPU(lead.Proc.Cmd.Process.Pid)
		leadBackends, err := clientBackends(ctx, dsn, lead.Proc.Cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		leadPG0 := backendCPU(leadBackends)
		start := time.Now()
		p, err := cluster.Start("agent sync", agentBin, []string{"sync", "--quiet", "--data-dir", a.DataDir, "--log-level", "warn"}, agentEnv, filepath.Join(a.DataDir, "sync.log"))
		if err != nil {
			b.Fatal(err)
		}
		peak := watchPeakRSS(p)
		if err := p.Wait(); err != nil {
			b.Fatalf("agent sync: %v\n%s", err, p.Log())
		}
		e2eDur := time.Since(start)
		maxRSS := <-peak
		agentCPU := p.Cmd.ProcessState.UserTime() + p.Cmd.ProcessState.SystemTime()
		hubCPU := procCPU(h.Proc.Cmd.Process.Pid) - hub0
		// Backends the hub opened during the sync count from zero.
		if backends, err = clientBackends(ctx, h.DB, h.Proc.Cmd.Process.Pid); err != nil {
			b.Fatal(err)
		}
		pgCPU := cpuSince(pg0, backendCPU(backends))
		if n := hubRecordCount(b, h.DB); n != syncRecords {
			b.Fatalf("the hub holds %d of %d records", n, syncRecords)
		}
		// The projector's share: the leader's CPU until every record is
		// in the rollups.
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		err = cluster.WaitFor(ctx, 10*time.Minute, "every record projected", func() error { return projectedAll(ctx, conn) })
		conn.Close(ctx)
		if err != nil {
			b.Fatal(err)
		}
		projCPU := procCPU(lead.Proc.Cmd.Process.Pid) - lead0
		if leadBackends, err = clientBackends(ctx, dsn, lead.Proc.Cmd.Process.Pid); err != nil {
			b.Fatal(err)
		}
		projPG := cpuSince(leadPG0, backendCPU(leadBackends))

		// Interruption: kill the agent mid-sync, resume, count resends.
		fillOutbox(b, a.DataDir, contracttest.Interviews(syncRecords/2))
		before := resent(h.Proc.Log())
		p, err = cluster.Start("agent sync", agentBin, []string{"sync", "--quiet", "--data-dir", a.DataDir, "--log-level", "warn"}, nil, filepath.Join(a.DataDir, "sync2.log"))
		if err != nil {
			b.Fatal(err)
		}
		if err := cluster.WaitFor(ctx, time.Minute, "half the records at the hub", func() error {
			if n := hubRecordCount(b, h.DB); n < syncRecords+syncRecords/4 {
				return fmt.Errorf("%d", n)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		p.Kill()
		if _, err := a.CLI(ctx, "", "sync", "--quiet"); err != nil {
			b.Fatal(err)
		}
		if n := hubRecordCount(b, h.DB); n != syncRecords+syncRecords/2 {
			b.Fatalf("after the interruption the hub holds %d records", n)
		}
		again := resent(h.Proc.Log()) - before
		_ = h.Stop()
		_ = lead.Stop()

		rawRate := float64(syncRecords) / rawDur.Seconds()
		e2eRate := float64(syncRecords) / e2eDur.Seconds()
		b.ReportMetric(rawRate, "raw-rows/s")
		b.ReportMetric(e2eRate, "e2e-rows/s")
		b.ReportMetric(e2eRate/rawRate, "e2e/raw")
		b.ReportMetric(float64(maxRSS)/1024, "agent-peakRSS-MB")
		b.ReportMetric(float64(again), "resent-after-kill")
		b.ReportMetric(perRecord(rawPG, syncRecords), "raw-pg-cpu-us/rec")
		b.ReportMetric(perRecord(agentCPU, syncRecords), "agent-cpu-us/rec")
		b.ReportMetric(perRecord(hubCPU, syncRecords), "hub-cpu-us/rec")
		b.ReportMetric(perRecord(pgCPU, syncRecords), "hub-pg-cpu-us/rec")
		b.ReportMetric(perRecord(agentCPU+hubCPU, syncRecords), "agent+hub-cpu-us/rec")
		b.ReportMetric(perRecord(projCPU, syncRecords), "projector-cpu-us/rec")
		b.ReportMetric(perRecord(projPG, syncRecords), "projector-pg-cpu-us/rec")
		fmt.Fprintf(os.Stderr, "\nsync of %d records on PostgreSQL:\n  raw COPY + INSERT ON CONFLICT  %8.0f rows/s (median of 3)\n  agent outbox -> hub, end to end %8.0f rows/s  (%.2f of raw; target at least 0.75)\n  agent peak resident memory      %8.1f MB (target under 80)\n  records sent twice after a kill %8d (one batch is at most %d)\n"+
			"  CPU per record: raw PostgreSQL %.1f us; end to end agent %.1f us + hub %.1f us = %.1f us (target at most 15), the hub's PostgreSQL backends %.1f us\n"+
			"  projecting them (the leader replica): %.1f us, its PostgreSQL backends %.1f us\n",
			syncRecords, rawRate, e2eRate, e2eRate/rawRate, float64(maxRSS)/1024, again, contract.MaxBatchRecords,
			perRecord(rawPG, syncRecords), perRecord(agentCPU, syncRecords), perRecord(hubCPU, syncRecords), perRecord(agentCPU+hubCPU, syncRecords), perRecord(pgCPU, syncRecords),
			perRecord(projCPU, syncRecords), perRecord(projPG, syncRecords))
	}
}
