package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/server"
	"github.com/itsmylife/iml/agent/internal/syncer"
	"github.com/itsmylife/iml/pkg/cli"
)

func serveCmd(g *globals) *cobra.Command {
	var addr string
	var surveyBatch, signInPerMinute, surveyPerMinute int
	var every time.Duration
	var secure bool
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
			if signInPerMinute < 1 || surveyPerMinute < 1 {
				return fmt.Errorf("--signin-per-minute and --survey-per-minute must be at least 1")
			}
			ctx, stop := cli.SignalContext()
			defer stop()
			st, log, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			srv := server.New(server.Config{SecureCookies: secure, SignInPerMinute: signInPerMinute, SurveyPerMinute: surveyPerMinute}, st, log)
			s := syncer.New(st, log)
			s.SurveyBatch = surveyBatch
			w := syncer.NewWorker(s, every)
			srv.SyncNow = w.Trigger
			wctx, wcancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { w.Run(wctx); close(done) }()
			defer func() { wcancel(); <-done }()
			return cli.Serve(ctx, addr, srv.Handler(), log, func(a net.Addr) {
				log.Info("agent listening", "url", cli.URLFor(a))
				fmt.Fprintf(cmd.OutOrStdout(), "agent listening on %s\n", cli.URLFor(a))
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", cli.Env("IML_AGENT_ADDR", "127.0.0.1:8090"), "address to listen on [IML_AGENT_ADDR]")
	cmd.Flags().DurationVar(&every, "sync-every", 5*time.Minute, "how often to sync in the background")
	cmd.Flags().IntVar(&surveyBatch, "survey-batch", surveyBatchDefault(), "anonymous surveys that must be waiting before they are sent, together and shuffled [IML_SURVEY_BATCH]")
	cmd.Flags().BoolVar(&secure, "secure-cookies", cli.Env("IML_AGENT_SECURE_COOKIES", "") == "true", "mark cookies Secure (behind HTTPS) [IML_AGENT_SECURE_COOKIES=true]")
	cmd.Flags().IntVar(&signInPerMinute, "signin-per-minute", cli.EnvInt("IML_AGENT_SIGNIN_PER_MINUTE", server.DefaultSignInPerMinute), "sign-in attempts (staff and participants) allowed per client address at once, and then per minute [IML_AGENT_SIGNIN_PER_MINUTE]")
	cmd.Flags().IntVar(&surveyPerMinute, "survey-per-minute", cli.EnvInt("IML_AGENT_SURVEY_PER_MINUTE", server.DefaultSurveyPerMinute), "anonymous surveys allowed per client address at once, and then per minute [IML_AGENT_SURVEY_PER_MINUTE]")
	return cmd
}
