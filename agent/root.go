package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
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

func (g *globals) path() string { return cli.DataPath(g.db, g.dataDir, "agent.db") }

// exists refuses, before anything is created, a data directory (or --db)
// that holds no agent: a mistyped --data-dir would otherwise get a new,
// empty database. enroll, restore, serve and demo-seed may start from
// nothing and do not ask.
func (g *globals) exists() error {
	p := g.path()
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return nil
	}
	where := fmt.Sprintf("the data directory %s (no %s there; --data-dir, IML_AGENT_DATA_DIR)", g.dataDir, filepath.Base(p))
	if g.db != "" {
		where = fmt.Sprintf("%s (--db, IML_AGENT_DB): no such file", p)
	}
	return fmt.Errorf("no agent in %s. If that is a typo, give the right one; to set up an agent there, run 'agent enroll --hub <hub URL> --token <token>' (or 'agent restore --from <backup>') first", where)
}

// open opens the agent's store, which must exist (see exists).
func (g *globals) open(ctx context.Context) (*store.Store, *slog.Logger, error) {
	if err := g.exists(); err != nil {
		return nil, nil, err
	}
	return g.create(ctx)
}

// create opens the agent's store, making the database if there is none:
// for the commands that may start from nothing.
func (g *globals) create(ctx context.Context) (*store.Store, *slog.Logger, error) {
	return cli.OpenLogged(ctx, g.logLevel, g.path(), store.Open)
}

// with runs a command with the agent's existing store open.
func (g *globals) with(run func(cmd *cobra.Command, st *store.Store) error) func(*cobra.Command, []string) error {
	return cli.WithLogged(g.open, run)
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

enroll, restore, serve and demo-seed may start in an empty data directory;
the other commands refuse one that holds no agent.

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
	cli.EnvAlias(root.PersistentFlags(), "log-level", "IML_LOG_LEVEL")
	serve := serveCmd(g)
	root.AddCommand(enrollCmd(g), serve, syncCmd(g), userCmd(g), importCmd(g), demoCmd(g), backupCmd(g), restoreCmd(g))
	cli.BindEnv(root, "IML_AGENT", serve)
	return root
}
