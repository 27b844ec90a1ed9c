package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/cli/clitest"
)

// TestEveryFlagHasEnv: every flag of every hub command has its environment
// variable, named in its help and following the rule the help states, and
// the variable (or a deprecated alias) sets it (the command line winning);
// the operator guide's table lists those of the settings.
func TestEveryFlagHasEnv(t *testing.T) {
	clitest.CheckEnv(t, rootCmd)
	clitest.CheckRule(t, rootCmd(), "IML_HUB", "serve")
	clitest.CheckDocumented(t, rootCmd(), filepath.Join("..", "docs", "operations.md"), nil, []string{"serve"})
}

// TestEnvSatisfiesRequiredFlags: a command's required flags may come from
// the environment alone.
func TestEnvSatisfiesRequiredFlags(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("IML_HUB_DATA_DIR", dir)
	t.Setenv("IML_HUB_LOG_LEVEL", "warn")
	t.Setenv("IML_HUB_ORG_ADD_NAME", "Riverside Peer Center")
	t.Setenv("IML_HUB_ORG_ADD_STATE", "VA")
	root := rootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"org", "add"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "organization Riverside Peer Center added") {
		t.Fatalf("org add from the environment: %q", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "hub.db")); err != nil {
		t.Fatalf("IML_HUB_DATA_DIR was not used: %v", err)
	}
}

// TestUserAddDefaultRole: hub user add without --role gives the default
// role its help names.
func TestUserAddDefaultRole(t *testing.T) {
	root := rootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"user", "add", "--data-dir", t.TempDir(), "--log-level", "warn", "--email", "ana@example.org", "--name", "Ana"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "account ana@example.org (analyst) added") {
		t.Fatalf("user add: %q", out.String())
	}
}

// TestServeBusyPort: hub serve on an address another program holds exits
// non-zero saying so, before it opens the database or starts background
// work.
func TestServeBusyPort(t *testing.T) {
	clitest.CheckServeBusyPort(t, "hub", "background", "listening", "projector", "job")
}

// TestTokenTTLOutOfBoundsChangesNothing: site add with a token validity
// out of bounds (too long, too short, negative) is refused, naming the
// flag, and adds no site; a validity in bounds adds it.
func TestTokenTTLOutOfBoundsChangesNothing(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		root := rootCmd()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append(args, "--data-dir", dir, "--log-level", "warn"))
		err := root.Execute()
		return out.String(), err
	}
	if _, err := run("org", "add", "--name", "TTL Org", "--type", "peer_run", "--state", "VA"); err != nil {
		t.Fatal(err)
	}
	for _, ttl := range []string{"800h", "30s", "-5m", "721h"} {
		if _, err := run("site", "add", "--org", "TTL Org", "--name", "Site "+ttl, "--token-ttl", ttl); err == nil || !strings.Contains(err.Error(), "--token-ttl") {
			t.Fatalf("--token-ttl %s: %v", ttl, err)
		}
	}
	list, err := run("site", "list")
	if err != nil || strings.Contains(list, "Site ") {
		t.Fatalf("a refused site add added a site: %q (%v)", list, err)
	}
	if _, err := run("site", "add", "--org", "TTL Org", "--name", "Site ok", "--token-ttl", "720h"); err != nil {
		t.Fatal(err)
	}
	if list, err := run("site", "list"); err != nil || !strings.Contains(list, "Site ok") {
		t.Fatalf("site list after a good add: %q (%v)", list, err)
	}
}
