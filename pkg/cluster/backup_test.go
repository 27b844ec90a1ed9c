package cluster_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/cluster"
)

// TestAgentBackupWhileServing: `agent backup` makes a consistent copy while
// `agent serve` is busy writing, and `agent restore` brings it back.
func TestAgentBackupWhileServing(t *testing.T) {
	ctx := context.Background()
	a := &cluster.Agent{Name: "backup", Bin: agentBin, DataDir: t.TempDir()}
	if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "20"); err != nil {
		t.Fatal(err)
	}
	// A receipt file, as the stipend pages store them.
	if err := os.MkdirAll(filepath.Join(a.DataDir, "receipts"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.DataDir, "receipts", "r1"), []byte("%PDF-1.4 receipt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	tok := directorToken(t, a)
	// Keep adding participants through the API while the backup runs.
	stop := make(chan struct{})
	added := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				added <- n
				return
			default:
			}
			st, err := cluster.JSON(ctx, http.MethodPost, a.URL()+"/api/v1/participants", tok, map[string]any{
				"first_name": fmt.Sprint("Busy", n), "last_name": "Writer", "birth_date": "1980-01-01", "enrolled_on": "2026-01-05",
				"informed_consent": true, "manages_finances": true, "sets_goals": true, "accepts_responsibilities": true, "agreement_signed_on": "2026-01-05"}, nil)
			if err == nil && st == http.StatusCreated {
				n++
			}
		}
	}()
	backup := filepath.Join(t.TempDir(), "agent-backup.db")
	out, err := a.CLI(ctx, "", "backup", "--to", backup)
	close(stop)
	writes := <-added
	if err != nil || !strings.Contains(out, "backup written") {
		t.Fatalf("backup while serving: %v %s", err, out)
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if writes == 0 {
		t.Fatal("no writes happened during the backup: the test proves nothing")
	}
	// Restore into a fresh agent and count what the copy holds: the seeded
	// participants and some prefix of the busy writer's, never a torn state.
	b := &cluster.Agent{Name: "restored", Bin: agentBin, DataDir: t.TempDir()}
	if _, err := b.CLI(ctx, "", "restore", "--from", backup); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Stop() })
	var people []struct {
		FirstName string `json:"first_name"`
	}
	if st, err := cluster.JSON(ctx, http.MethodGet, b.URL()+"/api/v1/participants", tok, nil, &people); err != nil || st != 200 {
		t.Fatalf("list after restore: %d %v", st, err)
	}
	busy := 0
	for _, p := range people {
		if strings.HasPrefix(p.FirstName, "Busy") {
			busy++
		}
	}
	if len(people)-busy != 20 || busy > writes {
		t.Fatalf("restored %d seeded and %d busy participants (of %d written)", len(people)-busy, busy, writes)
	}
	if b, err := os.ReadFile(filepath.Join(b.DataDir, "receipts", "r1")); err != nil || string(b) != "%PDF-1.4 receipt" {
		t.Fatalf("receipt after restore: %q %v", b, err)
	}
	// Every restored participant is whole: their outbox record is there too.
	var ob struct {
		Outbox struct{ Total int }
	}
	if _, err := cluster.JSON(ctx, http.MethodGet, b.URL()+"/api/v1/sync", tok, nil, &ob); err != nil || ob.Outbox.Total < len(people) {
		t.Fatalf("outbox holds %d records for %d participants", ob.Outbox.Total, len(people))
	}
}
