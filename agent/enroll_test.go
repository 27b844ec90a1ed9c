package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/syncer"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// closedHub is the URL of a port nothing listens on.
func closedHub(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	_ = l.Close()
	return url
}

// refusingHub answers every enrollment as the hub answers a used token.
func refusingHub(t *testing.T) string {
	t.Helper()
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != contract.PathEnroll {
			http.NotFound(w, r)
			return
		}
		p := problem.New(http.StatusUnauthorized, problem.TypeTokenInvalid, "The enrollment token is unknown, already used or expired. Ask the national office for a new one.")
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(p)
	}))
	t.Cleanup(h.Close)
	return h.URL
}

// TestFailedEnrollLeavesNoAgent: an enroll that fails, against a hub that
// cannot be reached or with a token the hub refuses, leaves a new data
// directory as it found it, so that the other commands still refuse it;
// it never removes an existing agent's database.
func TestFailedEnrollLeavesNoAgent(t *testing.T) {
	saved := syncer.DefaultClientConfig
	syncer.DefaultClientConfig = syncer.ClientConfig{RetryMax: 0, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond, Timeout: 5 * time.Second}
	t.Cleanup(func() { syncer.DefaultClientConfig = saved })

	base := t.TempDir()
	hubs := map[string]struct{ url, says string }{
		"unreachable": {closedHub(t), "could not be reached"},
		"used token":  {refusingHub(t), "already used or expired"},
	}
	for name, hub := range hubs {
		t.Run(name, func(t *testing.T) {
			// An empty data directory, and one that does not exist yet.
			empty := filepath.Join(base, name, "empty")
			if err := os.MkdirAll(empty, 0o750); err != nil {
				t.Fatal(err)
			}
			missing := filepath.Join(base, name, "new", "agent")
			for _, dir := range []string{empty, missing} {
				_, err := agentCmd("enroll", "--hub", hub.url, "--token", "imlenr_used", "--data-dir", dir)
				if err == nil || !strings.Contains(err.Error(), hub.says) {
					t.Fatalf("enroll in %s: %v, want an error saying %q", dir, err, hub.says)
				}
				if dir == empty {
					if got := entries(t, dir); len(got) > 0 {
						t.Errorf("the failed enroll left %v in the empty data directory", got)
					}
				} else if got := entries(t, filepath.Join(base, name, "new")); got[0] != "missing" {
					t.Errorf("the failed enroll left %v where there was nothing", got)
				}
				_, err = agentCmd("user", "add", "--email", "dir@example.org", "--name", "Dana", "--role", "director", "--password-stdin", "--data-dir", dir)
				if err == nil || !strings.Contains(err.Error(), "no agent in") {
					t.Errorf("user add after a failed enroll in %s: %v, want no agent in", dir, err)
				}
			}

			// An agent that exists keeps its database.
			site := filepath.Join(base, name, "site")
			if out, err := agentCmd("demo-seed", "--participants", "2", "--data-dir", site); err != nil {
				t.Fatalf("demo-seed: %v %s", err, out)
			}
			before := entries(t, site)
			if _, err := agentCmd("enroll", "--hub", hub.url, "--token", "imlenr_used", "--data-dir", site); err == nil {
				t.Fatal("enroll with a refused token succeeded")
			}
			if got := entries(t, site); !slices.Contains(got, "agent.db") {
				t.Errorf("a failed enroll removed the existing agent's database: %v (was %v)", got, before)
			}
			if out, err := agentCmd("user", "add", "--email", "dir@example.org", "--name", "Dana", "--role", "director", "--password-stdin", "--data-dir", site); err != nil {
				t.Errorf("user add on the existing agent after a failed enroll: %v %s", err, out)
			}
		})
	}
}

// TestDatabaseWithoutAgentRefused: a database that holds no agent (not
// enrolled, never served, no accounts or participants: what a failed
// enroll of an earlier version left) is refused like a missing one; once
// agent serve has run on it, or an account exists, it holds an agent.
func TestDatabaseWithoutAgentRefused(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "agent")
	st, err := store.Open(ctx, filepath.Join(dir, "agent.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	for _, args := range [][]string{
		{"user", "add", "--email", "dir@example.org", "--name", "Dana", "--role", "director", "--password-stdin"},
		{"sync"},
		{"backup", "--to", filepath.Join(t.TempDir(), "b.db")},
	} {
		_, err := agentCmd(append(args, "--data-dir", dir)...)
		if err == nil || !strings.Contains(err.Error(), "no agent in") || !strings.Contains(err.Error(), "agent enroll") {
			t.Errorf("agent %s on a database without an agent: %v", args[0], err)
		}
	}
	if _, err := agentCmd("user", "add", "--email", "dir@example.org", "--name", "Dana", "--password-stdin", "--db", filepath.Join(dir, "agent.db")); err == nil || !strings.Contains(err.Error(), "not enrolled and holds no site data") {
		t.Errorf("user add --db on a database without an agent: %v", err)
	}

	// What agent serve records on its first start makes it an agent.
	st, err = store.Open(ctx, filepath.Join(dir, "agent.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkStarted(ctx); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	if out, err := agentCmd("user", "add", "--email", "dir@example.org", "--name", "Dana", "--role", "director", "--password-stdin", "--data-dir", dir); err != nil {
		t.Errorf("user add on an agent agent serve started: %v %s", err, out)
	}
}
