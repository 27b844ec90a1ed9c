package cluster_test

import (
	"context"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/cluster"
)

// TestOlderTokensThroughTheCommands: with the hub's and the agent's
// commands, a token replaced by `hub site token` and a token from before
// `hub site revoke` and `hub site reinstate` no longer enroll an agent;
// the token the reinstatement prints does, and the agent syncs.
func TestOlderTokensThroughTheCommands(t *testing.T) {
	eachHubDB(t, func(t *testing.T, h *cluster.Hub) {
		ctx := context.Background()
		first, err := h.AddSite(ctx, "Org T", "peer_run", "VA", "Site T")
		if err != nil {
			t.Fatal(err)
		}
		out, err := h.CLI(ctx, "", "site", "token", "--site", "Site T")
		if err != nil {
			t.Fatal(err)
		}
		second, err := cluster.TokenFrom(out)
		if err != nil {
			t.Fatal(err)
		}
		a := &cluster.Agent{Name: "t", Bin: agentBin, DataDir: t.TempDir()}
		refused := func(what, tok string) {
			t.Helper()
			if err := a.Enroll(ctx, h.URL(), tok); err == nil || !strings.Contains(err.Error(), "already used or expired") {
				t.Fatalf("enrolling with %s: %v", what, err)
			}
		}
		refused("the token replaced by hub site token", first)
		if _, err := h.CLI(ctx, "", "site", "revoke", "--site", "Site T", "--reason", "machine replaced"); err != nil {
			t.Fatal(err)
		}
		out, err = h.CLI(ctx, "", "site", "reinstate", "--site", "Site T")
		if err != nil {
			t.Fatal(err)
		}
		third, err := cluster.TokenFrom(out)
		if err != nil {
			t.Fatal(err)
		}
		refused("a token from before the revocation", second)
		refused("the first token", first)
		if err := a.Enroll(ctx, h.URL(), third); err != nil {
			t.Fatalf("the reinstatement's token: %v", err)
		}
		if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "2"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CLI(ctx, "", "sync"); err != nil {
			t.Fatalf("sync after enrolling with the new token: %v", err)
		}
		assertHubHoldsExactly(t, h, a)
	})
}
