package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/server"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/syncer"
	"github.com/itsmylife/iml/pkg/cli"
	"github.com/itsmylife/iml/pkg/obs"
	"github.com/itsmylife/iml/pkg/webui"
)

// serveOptions are the settings of agent serve.
type serveOptions struct {
	addr                                          string
	surveyBatch, signInPerMinute, surveyPerMinute int
	every, slow                                   time.Duration
	secure                                        bool
	metricsAddr                                   string
	// zone is the site's time zone (--time-zone); clock, made from it by
	// check, shows the pages' times in it.
	zone  string
	clock webui.Clock
}

func (o *serveOptions) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&o.addr, "addr", "127.0.0.1:8090", "address to listen on")
	fl.DurationVar(&o.every, "sync-every", 5*time.Minute, "how often to sync in the background")
	addSurveyBatch(cmd, &o.surveyBatch)
	fl.BoolVar(&o.secure, "secure-cookies", false, "mark cookies Secure (behind HTTPS) [IML_AGENT_SECURE_COOKIES=true]")
	fl.IntVar(&o.signInPerMinute, "signin-per-minute", server.DefaultSignInPerMinute, "sign-in attempts (staff and participants) allowed per client address at once, and then per minute")
	fl.IntVar(&o.surveyPerMinute, "survey-per-minute", server.DefaultSurveyPerMinute, "anonymous surveys allowed per client address at once, and then per minute")
	fl.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at /metrics on this address of its own (off when empty)")
	fl.StringVar(&o.zone, "time-zone", "", "the site's time zone, an IANA name such as America/Chicago: the pages show times in it (default: the machine's)")
	fl.DurationVar(&o.slow, "slow-request", 2*time.Second, "log requests that take longer than this (0: never)")
}

// check refuses settings out of range before anything starts.
func (o *serveOptions) check() error {
	if o.signInPerMinute < 1 || o.surveyPerMinute < 1 {
		return fmt.Errorf("--signin-per-minute (IML_AGENT_SIGNIN_PER_MINUTE) and --survey-per-minute (IML_AGENT_SURVEY_PER_MINUTE) must be at least 1")
	}
	if o.slow < 0 {
		return fmt.Errorf("--slow-request (IML_AGENT_SLOW_REQUEST) %s: must not be negative", o.slow)
	}
	if o.every <= 0 {
		return fmt.Errorf("--sync-every (IML_AGENT_SYNC_EVERY) %s: must be more than 0", o.every)
	}
	clock, err := webui.NewClock(o.zone)
	if err != nil {
		return fmt.Errorf("--time-zone (IML_AGENT_TIME_ZONE): %w; use an IANA name such as America/Chicago", err)
	}
	o.clock = clock
	return checkSurveyBatch(o.surveyBatch)
}

// server makes the agent's server and its background sync from the
// settings, as agent serve runs them.
func (o *serveOptions) server(st *store.Store, log *slog.Logger, reg *prometheus.Registry) (*server.Server, *syncer.Worker) {
	cfg := server.Config{SecureCookies: o.secure, SignInPerMinute: o.signInPerMinute, SurveyPerMinute: o.surveyPerMinute, Clock: o.clock}
	s := syncer.New(st, log)
	if reg != nil {
		cfg.Metrics = obs.NewHTTP(reg, "agent", o.slow, log)
		s.Metrics = obs.NewAgent(reg, agentState(st))
	} else if o.slow > 0 {
		cfg.Metrics = obs.NewHTTP(prometheus.NewRegistry(), "agent", o.slow, log) // slow requests logged, nothing served
	}
	srv := server.New(cfg, st, log)
	s.SurveyBatch = o.surveyBatch
	w := syncer.NewWorker(s, o.every)
	srv.SyncNow = w.Trigger
	return srv, w
}

func serveCmd(g *globals) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the site's web pages, local API and background sync",
		Long: `Serve the site's pages and local API, and sync with the hub in the
background every --sync-every and soon after each change. The site keeps
working when the hub is unreachable. Stops cleanly on SIGINT or SIGTERM.

On first start, open the printed address to create the Program Director's
account (or use 'agent user add').`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.check(); err != nil {
				return err
			}
			ctx, stop := cli.SignalContext()
			defer stop()
			// The address first: an agent that cannot listen creates no
			// database and starts no sync. A first start may create the
			// database (docs/operations.md).
			return cli.OpenServe(ctx, o.addr, o.metricsAddr, g.create, func(op cli.Opened[*store.Store]) error {
				st, log := op.Store, op.Log
				// The database holds an agent from now on, enrolled or not
				// (store.HoldsAgent).
				if err := st.MarkStarted(ctx); err != nil {
					return err
				}
				srv, w := o.server(st, log, op.Metrics)
				defer cli.Background(ctx, w.Run)()
				log.Info("background sync started", "every", o.every.String())
				url := cli.URLFor(op.Listener.Addr())
				log.Info("agent listening", "url", url)
				fmt.Fprintf(cmd.OutOrStdout(), "agent listening on %s\n", url)
				if _, err := st.Enrollment(ctx); errors.Is(err, store.ErrNotEnrolled) {
					fmt.Fprintf(cmd.OutOrStdout(), "not enrolled with a hub yet (%s): the site works, and syncs once 'agent enroll' has run\n", st.Path)
				}
				return cli.ServeOn(ctx, op.Listener, srv.Handler(), log)
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}

// agentState reads what the agent's metrics show at a scrape: the outbox's
// depth and the last successful sync.
func agentState(st *store.Store) func(ctx context.Context) (obs.AgentState, error) {
	return func(ctx context.Context) (obs.AgentState, error) {
		stats, err := st.Outbox.Outbox(ctx)
		if err != nil {
			return obs.AgentState{}, err
		}
		out := obs.AgentState{Outbox: stats.Pending}
		if v, err := st.Meta(ctx, store.MetaLastSuccess); err == nil && v != "" {
			out.LastSuccess, _ = time.Parse(time.RFC3339, v)
		}
		return out, nil
	}
}
