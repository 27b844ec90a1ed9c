package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/cli"
)

type globals struct {
	db       string
	dataDir  string
	logLevel string
}

func (g *globals) path() string {
	if g.db != "" {
		return g.db
	}
	return filepath.Join(g.dataDir, "agent.db")
}

func (g *globals) open(ctx context.Context) (*store.Store, *slog.Logger, error) {
	log, err := cli.Logger(g.logLevel)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, g.path(), log)
	return st, log, err
}

// with runs a command with the agent's store open.
func (g *globals) with(run func(cmd *cobra.Command, st *store.Store) error) func(*cobra.Command, []string) error {
	return cli.WithStore(func(ctx context.Context) (*store.Store, error) {
		st, _, err := g.open(ctx)
		return st, err
	}, run)
}

func rootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "agent",
		Short: "The It's My Life site agent",
		Long: `The agent runs the program at one site: participants, interviews and the
rest, in a SQLite file on this machine. It works without the hub; when the
hub is reachable it sends de-identified outcomes upstream and receives the
program releases. Names, birth dates, contacts and notes never leave it.

Every flag can also be set from the environment variable named in its help.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.db, "db", cli.Env("IML_AGENT_DB", ""), "SQLite database file (default <data-dir>/agent.db) [IML_AGENT_DB]")
	root.PersistentFlags().StringVar(&g.dataDir, "data-dir", cli.Env("IML_AGENT_DATA_DIR", "data/agent"), "directory for the agent's files [IML_AGENT_DATA_DIR]")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", cli.Env("IML_LOG_LEVEL", "info"), "log level: debug, info, warn, error [IML_LOG_LEVEL]")
	root.AddCommand(enrollCmd(g), serveCmd(g), syncCmd(g), userCmd(g), importCmd(g), demoCmd(g), backupCmd(g), restoreCmd(g))
	return root
}
