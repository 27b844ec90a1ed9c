package cluster_test

import (
	"context"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/contract"
)

// TestStuckSiteRecovers: a site left stuck by an older hub that took
// IML-Batch-Seq 9223372036854775807 (the hub holds that number; the agent
// adopted it and wrapped around to a negative counter) syncs again with
// these programs, without any command: the hub sets its watermark back at
// the status call, the agent numbers its batches from there, resends its
// records once and the hub holds each exactly once.
func TestStuckSiteRecovers(t *testing.T) {
	eachHubDB(t, func(t *testing.T, h *cluster.Hub) {
		ctx := context.Background()
		a := enrolledAgent(t, h, h.URL(), "Stuck site")
		if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "12", "--seed", "11"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CLI(ctx, "", "sync"); err != nil {
			t.Fatal(err)
		}
		hdb := openDB(t, hubDSN(h))
		adb := openDB(t, filepath.Join(a.DataDir, "agent.db"))
		var siteID string
		if err := adb.Raw("SELECT value FROM agent_meta WHERE key = 'site_id'").Scan(&siteID).Error; err != nil || siteID == "" {
			t.Fatalf("site id %q %v", siteID, err)
		}
		if err := hdb.Exec("UPDATE sites SET batch_seq = ? WHERE id = ?", int64(math.MaxInt64), siteID).Error; err != nil {
			t.Fatal(err)
		}
		if err := adb.Exec("UPDATE agent_meta SET value = ? WHERE key = 'batch_seq'", strconv.FormatInt(math.MinInt64, 10)).Error; err != nil {
			t.Fatal(err)
		}

		// New work at the site, then a sync: it goes through.
		if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "6", "--seed", "12"); err != nil {
			t.Fatal(err)
		}
		if out, err := a.CLI(ctx, "", "sync"); err != nil {
			t.Fatalf("sync of the stuck site: %v\n%s", err, out)
		}
		assertHubHoldsExactly(t, h, a)
		var hubSeq int64
		if err := hdb.Raw("SELECT batch_seq FROM sites WHERE id = ?", siteID).Scan(&hubSeq).Error; err != nil {
			t.Fatal(err)
		}
		var agentSeq string
		if err := adb.Raw("SELECT value FROM agent_meta WHERE key = 'batch_seq'").Scan(&agentSeq).Error; err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseInt(agentSeq, 10, 64)
		if err != nil || hubSeq < 1 || hubSeq > contract.MaxBatchSeqStep || n < hubSeq || n > hubSeq+contract.MaxBatchSeqStep {
			t.Fatalf("after the recovery the hub holds batch %d and the agent's counter is %q", hubSeq, agentSeq)
		}
		// And the next sync is an ordinary one.
		if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "6", "--seed", "13"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CLI(ctx, "", "sync"); err != nil {
			t.Fatalf("the sync after the recovery: %v", err)
		}
		assertHubHoldsExactly(t, h, a)
	})
}
