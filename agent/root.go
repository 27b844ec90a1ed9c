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
	return g.noAgent(fmt.Sprintf("no %s there", filepath.Base(p)), "no such file")
}

// noAgent is the error for a data directory (or --db) that holds no agent,
// with why: dirWhy for a data directory, dbWhy for --db.
func (g *globals) noAgent(dirWhy, dbWhy string) error {
	p := g.path()
	where := fmt.Sprintf("the data directory %s (%s; --data-dir, IML_AGENT_DATA_DIR)", g.dataDir, dirWhy)
	if g.db != "" {
		where = fmt.Sprintf("%s (--db, IML_AGENT_DB): %s", p, dbWhy)
	}
	return fmt.Errorf("no agent in %s. If that is a typo, give the right one; to set up an agent there, run 'agent enroll --hub <hub URL> --token <token>' (or 'agent restore --from <backup>') first", where)
}

// open opens the agent's store, which must exist (see exists) and hold an
// agent (store.HoldsAgent): a database that a failed enroll of an earlier
// version left behind is refused like a missing one.
func (g *globals) open(ctx context.Context) (*store.Store, *slog.Logger, error) {
	if err := g.exists(); err != nil {
		return nil, nil, err
	}
	st, log, err := g.create(ctx)
	if err != nil {
		return nil, nil, err
	}
	if ok, err := st.HoldsAgent(ctx); err != nil || !ok {
		_ = st.Close()
		if err == nil {
			why := fmt.Sprintf("%s there is not enrolled and holds no site data", filepath.Base(g.path()))
			err = g.noAgent(why, "not enrolled and holds no site data")
		}
		return nil, nil, err
	}
	return st, log, nil
}

// created lists what of the agent's files and folders do not exist yet, so
// that a command that may start from nothing and then fails (enroll) can
// remove what it made and leave the data directory as it found it.
type created struct{ files, dirs []string }

// absent notes what does not exist of a database that does not exist yet:
// the file, its -wal, -shm and -journal files, the receipts folder and the
// folders above it. Of an existing database it notes nothing.
func (g *globals) absent() created {
	var c created
	p := g.path()
	if !isAbsent(p) {
		// An existing database: its -wal may hold its data; nothing of it
		// is ever removed.
		return c
	}
	for _, f := range []string{p, p + "-wal", p + "-shm", p + "-journal"} {
		if isAbsent(f) {
			c.files = append(c.files, f)
		}
	}
	if r := filepath.Join(filepath.Dir(p), "receipts"); isAbsent(r) {
		c.dirs = append(c.dirs, r)
	}
	for d := filepath.Dir(p); isAbsent(d); {
		c.dirs = append(c.dirs, d) // the deepest first
		up := filepath.Dir(d)
		if up == d {
			break
		}
		d = up
	}
	return c
}

func isAbsent(p string) bool {
	_, err := os.Lstat(p)
	return os.IsNotExist(err)
}

// remove deletes the files and then the folders that did not exist; a
// folder is removed only if empty.
func (c created) remove() {
	for _, f := range c.files {
		_ = os.Remove(f)
	}
	for _, d := range c.dirs {
		_ = os.Remove(d)
	}
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
