package main

import (
	"context"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/cli"
)

type globals struct {
	db       string
	dataDir  string
	logLevel string
}

func (g *globals) dsn() string { return cli.DataPath(g.db, g.dataDir, "hub.db") }

func (g *globals) open(ctx context.Context) (*store.Store, *slog.Logger, error) {
	return cli.OpenLogged(ctx, g.logLevel, g.dsn(), store.Open)
}

// with runs a command with the hub's store open.
func (g *globals) with(run func(cmd *cobra.Command, st *store.Store) error) func(*cobra.Command, []string) error {
	return cli.WithLogged(g.open, run)
}

func rootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "hub",
		Short: "The It's My Life national hub",
		Long: `The hub enrolls implementing organizations' sites, receives their
de-identified outcomes through the sync protocol, publishes program releases
and shows national staff the aggregated results.

The database is a SQLite file under --data-dir by default, or PostgreSQL when
--db is a postgres:// URL. Every flag can also be set from the environment
variable named in its help: IML_HUB_<FLAG> for the flags above and those of
serve, IML_HUB_<COMMAND>_<FLAG> for those of the other commands (for hub
site add --token-ttl, IML_HUB_SITE_ADD_TOKEN_TTL). The command line wins.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.db, "db", "", "database: a SQLite file path or a postgres:// URL (default <data-dir>/hub.db)")
	root.PersistentFlags().StringVar(&g.dataDir, "data-dir", "data/hub", "directory for the hub's files")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	cli.EnvAlias(root.PersistentFlags(), "log-level", "IML_LOG_LEVEL")
	serve := serveCmd(g)
	root.AddCommand(serve, orgCmd(g), siteCmd(g), userCmd(g), releaseCmd(g), certCmd(g), generationCmd(g), backupCmd(g), rollupsCmd(g))
	cli.BindEnv(root, "IML_HUB", serve)
	return root
}
