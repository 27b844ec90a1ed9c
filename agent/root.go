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

// open opens the agent's store.
func (g *globals) open(ctx context.Context) (*store.Store, *slog.Logger, error) {
	return g.create(ctx)
}

// create opens the agent's store, making the database if there is none:
// for the commands that may start from nothing.
func (g *globals) create(ctx context.Context) (*store.Store, *slog.Logger, error) {
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

Every flag can also be set from the environment variable named in its help:
IML_AGENT_<FLAG> for the flags above and those of serve,
IML_AGENT_<COMMAND>_<FLAG> for those of the other commands (for agent sync
--batch-records, IML_AGENT_SYNC_BATCH_RECORDS). The command line wins.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.db, "db", "", "SQLite database file (default <data-dir>/agent.db)")
	root.PersistentFlags().StringVar(&g.dataDir, "data-dir", "data/agent", "directory for the agent's files")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	cli.EnvVar(root.PersistentFlags(), "log-level", "IML_LOG_LEVEL")
	serve := serveCmd(g)
	root.AddCommand(enrollCmd(g), serve, syncCmd(g), userCmd(g), importCmd(g), demoCmd(g), backupCmd(g), restoreCmd(g))
	cli.BindEnv(root, "IML_AGENT", serve)
	return root
}
