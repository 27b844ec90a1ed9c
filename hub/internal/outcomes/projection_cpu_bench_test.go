package outcomes_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/contract/contracttest"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/program"
)

// procCPU is the CPU time of process pid (0 when it cannot be read).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b)[strings.LastIndex(string(b), ")")+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// selfCPU is the CPU time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProjectionCPU measures the CPU time a projection takes, which
// the load of other processes on the machine hardly moves (unlike its
// wall time): IML_BENCH_PROJCPU_RECORDS records (100,000) of whole
// participants from 50 sites are pushed in batches of 1,000, then
// projected on PostgreSQL in passes that double from 2,000 records up to
// IML_BENCH_PROJCPU_PASS (16,000, the hub's largest), on one connection.
// It reports the CPU time of the Go side (this process, garbage
// collection included) and of the PostgreSQL backend, per 1,000 records.
func BenchmarkProjectionCPU(b *testing.B) {
	for range b.N {
		projectionCPU(b)
	}
}

func projectionCPU(t *testing.B) {
	t.StopTimer() // the pushes are not what is measured
	n := benchEnv("IML_BENCH_PROJCPU_RECORDS", 100_000)
	maxPass := benchEnv("IML_BENCH_PROJCPU_PASS", 16_000)
	ctx := context.Background()
	s := storetest.Open(t, dbtest.PostgresDSN(t))
	def := program.Default()
	rng := rand.New(rand.NewPCG(1, 2))
	const nSites = 50
	for i := 0; i < nSites; i++ {
		site := storetest.EnrolledSite(t, s, fmt.Sprintf("site %d", i))
		var recs []contract.Record
		for len(recs) < n/nSites {
			recs = append(recs, contracttest.ParticipantYear(rng, &def)...)
		}
		for start := 0; start < len(recs); start += 1000 {
			if _, _, err := intake.New(s).Push(ctx, site.ID, int64(1+start/1000), recs[start:min(start+1000, len(recs))], nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	sqlDB, _ := s.DB.DB()
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	var pid int
	if err := s.DB.Raw("SELECT pg_backend_pid()").Scan(&pid).Error; err != nil {
		t.Fatal(err)
	}
	t.StartTimer()
	c0, b0, w0 := selfCPU(), procCPU(pid), time.Now()
	total := 0
	for size := 2000; ; {
		k, err := intake.New(s).ProjectPending(ctx, size)
		if err != nil {
			t.Fatal(err)
		}
		total += k
		if k == 0 {
			break
		}
		if k == size {
			size = min(2*size, maxPass)
		}
	}
	wall, goCPU, pgCPU := time.Since(w0), selfCPU()-c0, procCPU(pid)-b0
	t.StopTimer()
	var again int
	if err := s.DB.Raw("SELECT pg_backend_pid()").Scan(&again).Error; err != nil || again != pid {
		t.Fatalf("the projection did not keep to backend %d (%d, %v)", pid, again, err)
	}
	per := float64(total) / 1000
	t.ReportMetric(goCPU.Seconds()*1000/per, "go-cpu-ms/krec")
	t.ReportMetric(pgCPU.Seconds()*1000/per, "pg-cpu-ms/krec")
	t.ReportMetric(wall.Seconds()*1000/per, "wall-ms/krec")
}

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
