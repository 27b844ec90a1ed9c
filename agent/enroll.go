package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/store"
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
site's credential, and store it in the agent's database. The token works once.
An enroll that fails leaves the data directory as it found it: a database it
created is removed again.`,
		Example: `  agent enroll --hub https://hub.example.org --token imlenr_...`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := cli.SignalContext()
			defer stop()
			// An enroll that fails leaves the data directory as it found
			// it: a database it created (and its folders) is removed, so
			// that the other commands still see no agent there.
			made := g.absent()
			e, err := enroll(ctx, g, hub, token, force)
			if err != nil {
				made.remove()
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

// enroll opens (creating if need be) the agent's store and enrolls it; the
// store is closed when it returns.
func enroll(ctx context.Context, g *globals, hub, token string, force bool) (store.Enrollment, error) {
	st, log, err := g.create(ctx)
	if err != nil {
		return store.Enrollment{}, err
	}
	defer st.Close()
	if e, err := st.Enrollment(ctx); err == nil && !force {
		return store.Enrollment{}, fmt.Errorf("already enrolled as site %q with %s; use --force to enroll again (a replaced credential)", e.SiteName, e.HubURL)
	}
	return syncer.Enroll(ctx, st, strings.TrimRight(hub, "/"), token, log)
}
