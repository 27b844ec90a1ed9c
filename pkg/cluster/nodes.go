package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Hub is a hub process with its data directory and database.
type Hub struct {
	Bin     string
	DataDir string
	// DB is a postgres:// URL, or empty for SQLite under DataDir.
	DB   string
	Addr string
	Env  []string
	// ServeArgs are more flags for hub serve.
	ServeArgs []string
	Proc      *Proc
}

// URL is the hub's base URL.
func (h *Hub) URL() string { return "http://" + h.Addr }

func (h *Hub) flags() []string {
	f := []string{"--data-dir", h.DataDir, "--log-level", "warn"}
	if h.DB != "" {
		f = append(f, "--db", h.DB)
	}
	return f
}

// CLI runs a hub command against the same database.
func (h *Hub) CLI(ctx context.Context, stdin string, args ...string) (string, error) {
	return Run(ctx, h.Bin, h.Env, stdin, append(args, h.flags()...)...)
}

// Start runs `hub serve` and waits until it is ready.
func (h *Hub) Start(ctx context.Context) error {
	if h.Addr == "" {
		a, err := FreeAddr()
		if err != nil {
			return err
		}
		h.Addr = a
	}
	args := []string{"serve", "--addr", h.Addr, "--data-dir", h.DataDir, "--log-level", "info"}
	if h.DB != "" {
		args = append(args, "--db", h.DB)
	}
	args = append(args, h.ServeArgs...)
	p, err := Start("hub", h.Bin, args, h.Env, filepath.Join(h.DataDir, "hub.log"))
	if err != nil {
		return err
	}
	h.Proc = p
	return WaitHealthy(ctx, h.URL()+"/readyz", p, 60*time.Second)
}

// Stop ends `hub serve`.
func (h *Hub) Stop() error {
	if h.Proc == nil {
		return nil
	}
	return h.Proc.Stop(20 * time.Second)
}

// AddSite adds an organization (when new) and a site, and returns the
// site's one-time enrollment token.
func (h *Hub) AddSite(ctx context.Context, org, orgType, state, site string) (string, error) {
	if _, err := h.CLI(ctx, "", "org", "add", "--name", org, "--type", orgType, "--state", state); err != nil && !strings.Contains(err.Error(), "exists") {
		return "", err
	}
	out, err := h.CLI(ctx, "", "site", "add", "--org", org, "--name", site)
	if err != nil {
		return "", err
	}
	return TokenFrom(out)
}

// Agent is an agent process with its data directory.
type Agent struct {
	Name    string
	Bin     string
	DataDir string
	Addr    string
	Env     []string
	Proc    *Proc
}

// URL is the agent's base URL.
func (a *Agent) URL() string { return "http://" + a.Addr }

// CLI runs an agent command against the same database.
func (a *Agent) CLI(ctx context.Context, stdin string, args ...string) (string, error) {
	return Run(ctx, a.Bin, a.Env, stdin, append(args, "--data-dir", a.DataDir, "--log-level", "warn")...)
}

// Start runs `agent serve` and waits until it is ready.
func (a *Agent) Start(ctx context.Context, syncEvery time.Duration) error {
	if a.Addr == "" {
		addr, err := FreeAddr()
		if err != nil {
			return err
		}
		a.Addr = addr
	}
	p, err := Start("agent "+a.Name, a.Bin, []string{"serve", "--addr", a.Addr, "--data-dir", a.DataDir, "--sync-every", syncEvery.String()},
		a.Env, filepath.Join(a.DataDir, "agent.log"))
	if err != nil {
		return err
	}
	a.Proc = p
	return WaitHealthy(ctx, a.URL()+"/healthz", p, 60*time.Second)
}

// Stop ends `agent serve`.
func (a *Agent) Stop() error {
	if a.Proc == nil {
		return nil
	}
	return a.Proc.Stop(20 * time.Second)
}

// Enroll runs `agent enroll`.
func (a *Agent) Enroll(ctx context.Context, hubURL, token string) error {
	out, err := a.CLI(ctx, "", "enroll", "--hub", hubURL, "--token", token)
	if err != nil {
		return err
	}
	if !strings.Contains(out, "enrolled") {
		return fmt.Errorf("unexpected enroll output: %s", out)
	}
	return nil
}
