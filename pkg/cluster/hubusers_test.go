package cluster_test

import (
	"context"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/cluster"
)

// TestHubUserCommands: accounts and roles from the command line, with clear
// refusals that change nothing.
func TestHubUserCommands(t *testing.T) {
	ctx := context.Background()
	h := &cluster.Hub{Bin: hubBin, DataDir: t.TempDir()}
	run := func(args ...string) (string, error) { return h.CLI(ctx, "", args...) }
	if _, err := run("org", "add", "--name", "Riverside Peer Center", "--type", "peer_run", "--state", "VA"); err != nil {
		t.Fatal(err)
	}
	out, err := run("user", "add", "--email", "sam@example.org", "--name", "Sam Lee", "--role", "trainer")
	if err != nil || !strings.Contains(out, "password (shown once): ") || !strings.Contains(out, "(trainer)") {
		t.Fatalf("user add: %s %v", out, err)
	}
	if _, err := run("user", "assign", "--user", "sam@example.org", "--role", "director", "--org", "Riverside Peer Center"); err != nil {
		t.Fatal(err)
	}
	list := func() string {
		t.Helper()
		out, err := run("user", "list")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if l := list(); !strings.Contains(l, "sam@example.org") || !strings.Contains(l, "trainer,director:") || !strings.Contains(l, "local") {
		t.Fatalf("user list: %s", l)
	}
	before := list()
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"user", "assign", "--user", "sam@example.org", "--role", "director", "--org", "Nowhere"}, `organization "Nowhere": not found`},
		{[]string{"user", "assign", "--user", "sam@example.org", "--role", "superuser"}, "role: Choose one of admin, analyst, ta, trainer, director"},
		{[]string{"user", "assign", "--user", "nobody@example.org", "--role", "ta"}, `user "nobody@example.org": not found`},
		{[]string{"user", "assign", "--user", "sam@example.org", "--role", "analyst", "--org", "Riverside Peer Center"}, "Choose no organization: only a Program Director is tied to one"},
		{[]string{"user", "unassign", "--user", "sam@example.org", "--role", "admin"}, "holds no admin role given at the hub"},
		{[]string{"user", "add", "--email", "sam@example.org", "--name", "Again", "--role", "ta"}, "Use another email: an account with this one exists"},
		{[]string{"user", "add", "--email", "pd@example.org", "--name", "PD", "--role", "director"}, "Choose the organization the Program Director belongs to"},
		{[]string{"user", "add", "--email", "x@example.org", "--name", "X", "--no-password", "--password-stdin"}, "none of the others can be"},
	} {
		out, err := run(tc.args...)
		if err == nil || !strings.Contains(err.Error()+out, tc.says) {
			t.Errorf("%v: %v %s, want it to say %q", tc.args, err, out, tc.says)
		}
	}
	if after := list(); after != before {
		t.Fatalf("refused commands changed the accounts:\n%s\n%s", before, after)
	}
	if _, err := run("user", "unassign", "--user", "sam@example.org", "--role", "trainer"); err != nil {
		t.Fatal(err)
	}
	if l := list(); strings.Contains(l, "trainer") {
		t.Fatalf("after unassign: %s", l)
	}
}
