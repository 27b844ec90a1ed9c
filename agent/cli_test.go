package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/cli/clitest"
)

// TestEveryFlagHasEnv: every flag of every agent command has its
// environment variable, named in its help, and the variable sets it (the
// command line winning); the operator guide's table lists those of the
// settings.
func TestEveryFlagHasEnv(t *testing.T) {
	clitest.CheckEnv(t, rootCmd)
	clitest.CheckDocumented(t, rootCmd(), filepath.Join("..", "docs", "operations.md"), nil, []string{"serve"})
}

// TestServeBusyPort: agent serve on an address another program holds
// exits non-zero saying so, before it creates a database or starts the
// background sync.
func TestServeBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	dir := filepath.Join(t.TempDir(), "agent")
	code, stdout, stderr := runMain(t, "serve", "--addr", addr, "--data-dir", dir, "--log-level", "debug")
	if code == 0 {
		t.Fatalf("agent serve on a busy address exited 0: %s %s", stdout, stderr)
	}
	if !strings.Contains(stderr, "cannot listen on "+addr) || !strings.Contains(stderr, "in use") {
		t.Errorf("no clear message about the busy address: %q", stderr)
	}
	for _, s := range []string{"background", "sync", "listening"} {
		if strings.Contains(stdout+stderr, s) {
			t.Errorf("output mentions %q although the agent could not listen: %s %s", s, stdout, stderr)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data directory was created (%v) although the agent could not listen", err)
	}
}
