// Command demo is what `make run` starts: a hub on embedded SQLite and two
// agents filled with synthetic participants, enrolled and syncing, all as
// real processes on this machine. It prints where to look and how to sign
// in, and stops everything on Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/itsmylife/iml/pkg/cluster"
)

const (
	adminEmail    = "admin@example.org"
	adminPassword = "demo-admin-password"
	dirPassword   = "demo-director-password"
)

type demoSite struct {
	org, orgType, state, site string
	participants              int
	seed                      uint64
	port                      int
}

func main() {
	bin := flag.String("bin", "bin", "directory holding the hub and agent binaries")
	dir := flag.String("dir", ".run/demo", "directory for the demo's databases and logs (emptied at start)")
	port := flag.Int("port", 8080, "hub port; the agents take the next ones")
	flag.Parse()
	if err := run(*bin, *dir, *port); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(bin, dir string, port int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "hub"), 0o750); err != nil {
		return err
	}
	hub := &cluster.Hub{Bin: filepath.Join(bin, "hub"), DataDir: filepath.Join(dir, "hub"), Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	fmt.Println("starting the hub on embedded SQLite…")
	if err := hub.Start(ctx); err != nil {
		return err
	}
	defer func() {
		if err := hub.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the hub:", err)
		}
	}()
	if _, err := hub.CLI(ctx, adminPassword+"\n", "user", "add", "--email", adminEmail, "--name", "Demo Admin", "--role", "admin", "--password-stdin"); err != nil {
		return err
	}
	if err := addDemoOrgs(ctx, hub); err != nil {
		return err
	}
	sites := []demoSite{
		{"Riverside Peer Center (demo)", "peer_run", "VA", "Riverside downtown", 60, 1, port + 1},
		{"Blue Ridge Community Services Board (demo)", "csb_mhc", "VA", "Blue Ridge north", 45, 2, port + 2},
	}
	var agents []*cluster.Agent
	defer func() {
		for _, a := range agents {
			_ = a.Stop()
		}
	}()
	for i, site := range sites {
		a, err := startAgent(ctx, hub, bin, dir, i, site)
		if err != nil {
			return err
		}
		agents = append(agents, a)
	}
	fmt.Println("putting the demo organizations at their lifecycle stages…")
	if err := stageAffiliates(ctx, hub, agents, dirPassword); err != nil {
		return err
	}
	fmt.Println("waiting for both sites' records to reach the hub…")
	tok, err := cluster.Login(ctx, hub.URL(), adminEmail, adminPassword)
	if err != nil {
		return err
	}
	fmt.Println("certifying the demo coaches at the hub; the agents pull their certifications…")
	for _, s := range sites {
		if err := certifyDemoCoaches(ctx, hub.URL(), tok, s.org); err != nil {
			return err
		}
	}
	if err := waitSynced(ctx, hub, tok, sites, agents); err != nil {
		return err
	}
	printBanner(hub, sites, agents, dir)
	select {
	case <-ctx.Done():
	case <-exited(hub.Proc, agents):
		fmt.Fprintln(os.Stderr, "a process stopped unexpectedly; see the logs in", dir)
	}
	fmt.Println("\nstopping…")
	return nil
}

// demoCoaches are the coaches the agent's demo-seed adds at each site
// (agent/internal/demo); the agents match the hub's certifications to them
// by email.
var demoCoaches = []struct{ name, email string }{
	{"Casey Morgan (demo)", "casey.morgan@demo.example.org"},
	{"Robin Okafor (demo)", "robin.okafor@demo.example.org"},
}

// trainingModules are the six modules a Peer Life Coach completes.
var trainingModules = []string{"peer_support", "self_directed_care", "psychiatric_rehabilitation", "life_coaching", "motivational_interviewing", "shared_decision_making"}

// certifyDemoCoaches registers an organization's demo coaches at the hub,
// records their six modules and certifies them, through the staff API.
func certifyDemoCoaches(ctx context.Context, hubURL, tok, orgName string) error {
	var orgs []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if _, err := cluster.JSON(ctx, http.MethodGet, hubURL+"/api/v1/organizations", tok, nil, &orgs); err != nil {
		return err
	}
	orgID := ""
	for _, o := range orgs {
		if o.Name == orgName {
			orgID = o.ID
		}
	}
	if orgID == "" {
		return fmt.Errorf("no organization %q at the hub", orgName)
	}
	expect := func(st int, err error, want int, what string) error {
		if err == nil && st != want {
			err = fmt.Errorf("%s: status %d", what, st)
		}
		return err
	}
	for _, c := range demoCoaches {
		var person struct {
			ID string `json:"id"`
		}
		st, err := cluster.JSON(ctx, http.MethodPost, hubURL+"/api/v1/trainees", tok, map[string]string{"org_id": orgID, "name": c.name, "email": c.email, "role": "coach"}, &person)
		if err := expect(st, err, http.StatusCreated, "register "+c.name); err != nil {
			return err
		}
		for _, m := range trainingModules {
			st, err := cluster.JSON(ctx, http.MethodPost, hubURL+"/api/v1/trainees/"+person.ID+"/modules", tok, map[string]string{"module": m}, nil)
			if err := expect(st, err, http.StatusOK, "module "+m); err != nil {
				return err
			}
		}
		st, err = cluster.JSON(ctx, http.MethodPost, hubURL+"/api/v1/trainees/"+person.ID+"/certification", tok, map[string]string{}, nil)
		if err := expect(st, err, http.StatusCreated, "certify "+c.name); err != nil {
			return err
		}
	}
	return nil
}

// exited closes when any of the processes ends.
func exited(hub *cluster.Proc, agents []*cluster.Agent) <-chan struct{} {
	ch := make(chan struct{})
	var once sync.Once
	watch := func(p *cluster.Proc) {
		_ = p.Wait()
		once.Do(func() { close(ch) })
	}
	go watch(hub)
	for _, a := range agents {
		go watch(a.Proc)
	}
	return ch
}

// startAgent adds a demo site at the hub, enrolls its agent, gives it a
// director and synthetic participants, and starts it.
func startAgent(ctx context.Context, hub *cluster.Hub, bin, dir string, i int, s demoSite) (*cluster.Agent, error) {
	tok, err := hub.AddSite(ctx, s.org, s.orgType, s.state, s.site)
	if err != nil {
		return nil, err
	}
	a := &cluster.Agent{Name: s.site, Bin: filepath.Join(bin, "agent"), DataDir: filepath.Join(dir, fmt.Sprintf("agent%d", i+1)), Addr: fmt.Sprintf("127.0.0.1:%d", s.port)}
	if err := os.MkdirAll(a.DataDir, 0o750); err != nil {
		return nil, err
	}
	fmt.Printf("site %q: enrolling its agent and adding %d synthetic participants…\n", s.site, s.participants)
	if err := a.Enroll(ctx, hub.URL(), tok); err != nil {
		return nil, err
	}
	if _, err := a.CLI(ctx, dirPassword+"\n", "user", "add", "--email", fmt.Sprintf("director%d@example.org", i+1), "--name", "Demo Director", "--role", "director", "--password-stdin"); err != nil {
		return nil, err
	}
	if _, err := a.CLI(ctx, "", "demo-seed", "--participants", fmt.Sprint(s.participants), "--seed", fmt.Sprint(s.seed)); err != nil {
		return nil, err
	}
	if err := a.Start(ctx, 30*time.Second); err != nil {
		return nil, err
	}
	return a, nil
}

// waitSynced waits until every agent has sent all it may and the hub
// shows participants.
func waitSynced(ctx context.Context, hub *cluster.Hub, tok string, sites []demoSite, agents []*cluster.Agent) error {
	// The agents send what their sites' privacy rules let leave (not those
	// enrolled this month, nor a year of too few people): wait until each
	// has sent everything and the hub shows participants.
	var agentToks []string
	for i, a := range agents {
		at, err := cluster.Login(ctx, a.URL(), fmt.Sprintf("director%d@example.org", i+1), dirPassword)
		if err != nil {
			return err
		}
		agentToks = append(agentToks, at)
	}
	return cluster.WaitFor(ctx, 2*time.Minute, "the synced POM table", func() error {
		for i, a := range agents {
			var st struct {
				Outbox struct{ Total, Pending int }
			}
			if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/sync", agentToks[i], nil, &st); err != nil {
				return err
			}
			if st.Outbox.Total == 0 || st.Outbox.Pending != 0 {
				return fmt.Errorf("site %q: %d of %d records still to send", sites[i].site, st.Outbox.Pending, st.Outbox.Total)
			}
		}
		var rep struct {
			Participants int `json:"participants"`
		}
		if _, err := cluster.JSON(ctx, http.MethodGet, hub.URL()+"/api/v1/outcomes/pom", tok, nil, &rep); err != nil {
			return err
		}
		if rep.Participants == 0 {
			return fmt.Errorf("no participants at the hub so far")
		}
		return nil
	})
}

// printBanner says where to look and how to sign in.
func printBanner(hub *cluster.Hub, sites []demoSite, agents []*cluster.Agent, dir string) {
	fmt.Printf(`
It's My Life is running.

  National hub     %s
    Outcomes       %s/outcomes
    POM table      %s/outcomes/pom
    Affiliates     %s/affiliates
    kits           %s/kits
    training       %s/training
    verify a code  %s/verify (no sign-in)
    sign in        %s / %s
    My TA work     %s/ta  (sign in %s / %s)

`, hub.URL(), hub.URL(), hub.URL(), hub.URL(), hub.URL(), hub.URL(), hub.URL(), adminEmail, adminPassword, hub.URL(), taEmail, taPassword)
	for i, a := range agents {
		fmt.Printf("  Site %-11q %s\n    sign in        director%d@example.org / %s\n\n", sites[i].site, a.URL(), i+1, dirPassword)
	}
	fmt.Printf("Data and logs are in %s. The agents sync every 30 seconds and after each change.\nPress Ctrl-C to stop.\n", dir)
}
