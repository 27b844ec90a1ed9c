package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/syncer"
	"github.com/itsmylife/iml/pkg/cli"
)

func enrollCmd(g *globals) *cobra.Command {
	var hub, token string
	var force bool
	cmd := &cobra.Command{
		Use:   "enroll",
		Short: "Enroll this agent with the hub using a one-time token",
		Long: `Exchange the one-time enrollment token the national office gave you for this
site's credential, and store it in the agent's database. The token works once.`,
		Example: `  agent enroll --hub https://hub.example.org --token imlenr_...`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := cli.SignalContext()
			defer stop()
			st, log, err := g.create(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if e, err := st.Enrollment(ctx); err == nil && !force {
				return fmt.Errorf("already enrolled as site %q with %s; use --force to enroll again (a replaced credential)", e.SiteName, e.HubURL)
			}
			e, err := syncer.Enroll(ctx, st, strings.TrimRight(hub, "/"), token, log)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "enrolled as site %q of %s with %s\n", e.SiteName, e.OrgName, e.HubURL)
			return nil
		},
	}
	cmd.Flags().StringVar(&hub, "hub", "", "the hub's URL (required)")
	cli.EnvAlias(cmd.Flags(), "hub", "IML_HUB_URL")
	cmd.Flags().StringVar(&token, "token", "", "the one-time enrollment token (required)")
	cmd.Flags().BoolVar(&force, "force", false, "enroll again although already enrolled")
	_ = cmd.MarkFlagRequired("token")
	return cmd
}
