package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/demo"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/cli"
)

func demoCmd(g *globals) *cobra.Command {
	var n int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "demo-seed",
		Short: "Fill this agent with synthetic participants (for trying it out)",
		Long: `Add made-up participants with POM interviews, for demonstrations and
tests. Never run it on a site's real database.`,
		Args: cobra.NoArgs,
		// Trying the agent out may start from nothing.
		RunE: cli.WithStore(func(ctx context.Context) (*store.Store, error) {
			st, _, err := g.create(ctx)
			return st, err
		}, func(cmd *cobra.Command, st *store.Store) error {
			if err := st.MarkStarted(cmd.Context()); err != nil {
				return err
			}
			made, err := demo.Seed(cmd.Context(), st, n, seed)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d synthetic participants added\n", made)
			return nil
		}),
	}
	cmd.Flags().IntVar(&n, "participants", 40, "how many participants")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed (same seed, same people)")
	return cmd
}
