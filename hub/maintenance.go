package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx"
)

func rollupsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "rollups", Short: "Manage the outcomes report's rollups"}
	cmd.AddCommand(&cobra.Command{
		Use:   "rebuild",
		Short: "Recompute every rollup from the projected records",
		Long: `The serving hub keeps the rollups current as records arrive. Rebuild them
after loading projected rows by other means (a bulk import), or to check: the
report reads the same figures afterwards.`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			start := time.Now()
			if err := outcomes.New(st).RebuildRollups(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rollups rebuilt in %s\n", time.Since(start).Round(time.Millisecond))
			return nil
		}),
	})
	return cmd
}

func generationCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "generation", Short: "Show or rotate the hub's generation id"}
	show := &cobra.Command{
		Use: "show", Short: "Print the generation id", Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			gen, err := st.Generation(cmd.Context())
			fmt.Fprintln(cmd.OutOrStdout(), gen)
			return err
		}),
	}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Give the hub a new generation id: every agent resends all its records",
		Long: `Rotate the generation id. Every agent notices at its next sync and resends
all its records; the hub's idempotent storage absorbs what it already holds.
A restore from an older backup does not need this (agents detect the missing
batches by themselves); use it when the database was rebuilt by other means.`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			gen, err := st.RotateGeneration(cmd.Context())
			if err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "new generation %s\n", gen)
			}
			return err
		}),
	}
	cmd.AddCommand(show, rotate)
	return cmd
}

func backupCmd(g *globals) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent copy of an embedded (SQLite) hub database",
		Long: `Write a consistent copy of the SQLite database while the hub runs
(VACUUM INTO). For PostgreSQL use pg_dump; see docs/operations.md.`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			if st.Dialect() != "sqlite" {
				return errors.New("the hub runs on PostgreSQL: back it up with pg_dump (docs/operations.md)")
			}
			if err := dbx.BackupSQLite(st.DB, to); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup written to %s\n", to)
			return nil
		}),
	}
	cmd.Flags().StringVar(&to, "to", "", "file to write (required, must not exist)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}
