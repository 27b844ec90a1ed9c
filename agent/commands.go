package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/demo"
	"github.com/itsmylife/iml/agent/internal/server"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/syncer"
	"github.com/itsmylife/iml/pkg/cli"
	"github.com/itsmylife/iml/pkg/dbx"
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
			st, log, err := g.open(ctx)
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
	cmd.Flags().StringVar(&hub, "hub", cli.Env("IML_HUB_URL", ""), "the hub's URL [IML_HUB_URL] (required)")
	cmd.Flags().StringVar(&token, "token", "", "the one-time enrollment token (required)")
	cmd.Flags().BoolVar(&force, "force", false, "enroll again although already enrolled")
	_ = cmd.MarkFlagRequired("token")
	return cmd
}

// printProgress shows a round's progress on a terminal line.
func printProgress(w *os.File) func(syncer.Progress) {
	return func(p syncer.Progress) {
		switch p.Phase {
		case "status":
			fmt.Fprint(w, "contacting the hub…\n")
		case "pull":
			if p.Requeued > 0 {
				fmt.Fprintf(w, "the hub is missing %d records sent before; sending them again\n", p.Requeued)
			}
		case "push":
			if p.Pending == 0 || p.Batches == 0 {
				return
			}
			pct := 100 * float64(p.Sent) / float64(p.Pending)
			fmt.Fprintf(w, "\rsent %d of %d records (%.0f%%) in %d batches", p.Sent, p.Pending, pct, p.Batches)
		case "done":
			if p.Pending > 0 {
				fmt.Fprintln(w)
			}
		}
	}
}

func syncCmd(g *globals) *cobra.Command {
	var quiet bool
	var batch, surveyBatch int
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Run one sync round now, with progress",
		Long: `Run one sync round now: check what the hub holds, fetch new program
releases and send every record waiting in the outbox. Exits non-zero with the
hub's message when the round fails; nothing is lost, the next round resumes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := cli.SignalContext()
			defer stop()
			st, log, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			s := syncer.New(st, log)
			s.SurveyBatch = surveyBatch
			defer cli.StartProfile()()
			if batch > 0 {
				s.BatchRecords = batch
			}
			if !quiet {
				s.OnProgress = printProgress(os.Stderr)
			}
			res, err := s.Round(ctx)
			if err != nil {
				return fmt.Errorf("sync failed: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sync done: %d records sent (%d new at the hub) in %d batches, %d refused, release %s, %s\n",
				res.Sent, res.Stored, res.Batches, res.Conflicts, res.Release, res.Duration.Round(time.Millisecond))
			if res.Conflicts > 0 {
				return fmt.Errorf("the hub refused %d records; see the log and the sync page", res.Conflicts)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress output")
	cmd.Flags().IntVar(&batch, "batch-records", 0, "records per batch (default and maximum 5000; smaller suits slow links)")
	cmd.Flags().IntVar(&surveyBatch, "survey-batch", surveyBatchDefault(), "anonymous surveys that must be waiting before they are sent, together and shuffled [IML_SURVEY_BATCH]")
	return cmd
}

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

func userCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage the site's local accounts"}
	var email, name, role string
	var fromStdin bool
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a local account (director or coach)",
		Long: `Add a local account. The password is read from standard input with
--password-stdin; otherwise a random one is made and printed once.`,
		Example: `  agent user add --email dir@example.org --name "Dana Reyes" --role director`,
		Args:    cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			pw, generated, err := cli.Password(cmd.InOrStdin(), fromStdin)
			if err != nil {
				return err
			}
			u, err := st.AddUser(cmd.Context(), email, name, role, pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "account %s (%s) added\n", u.Email, u.Role)
			if generated {
				fmt.Fprintf(cmd.OutOrStdout(), "password (shown once): %s\n", pw)
			}
			return nil
		}),
	}
	add.Flags().StringVar(&email, "email", "", "email, used to sign in (required)")
	add.Flags().StringVar(&name, "name", "", "full name (required)")
	add.Flags().StringVar(&role, "role", store.RoleCoach, "role: director or coach")
	add.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input")
	_ = add.MarkFlagRequired("email")
	_ = add.MarkFlagRequired("name")
	cmd.AddCommand(add)
	return cmd
}

func demoCmd(g *globals) *cobra.Command {
	var n int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "demo-seed",
		Short: "Fill this agent with synthetic participants (for trying it out)",
		Long: `Add made-up participants with POM interviews, for demonstrations and
tests. Never run it on a site's real database.`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
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

func backupCmd(g *globals) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent copy of the agent's database and receipts, also while it serves",
		Long: `Write a consistent copy of the agent's SQLite database (VACUUM INTO), safe
while 'agent serve' runs, and copy the receipt files beside it into the
folder <file>.receipts. The copy holds identifying data: keep it as
carefully as the machine itself.`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			if err := dbx.BackupSQLite(st.DB, to); err != nil {
				return err
			}
			// Receipts are written once and never changed, so copying them
			// after the database leaves none the copy refers to behind.
			n, err := copyDir(st.ReceiptsDir(), to+".receipts")
			if err != nil {
				return fmt.Errorf("receipts: %w", err)
			}
			if n > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%d receipt files copied to %s.receipts\n", n, to)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup written to %s\n", to)
			return nil
		}),
	}
	cmd.Flags().StringVar(&to, "to", "", "file to write (required, must not exist)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func restoreCmd(g *globals) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Replace the agent's database with a backup (stop 'agent serve' first)",
		Long: `Replace the agent's database with a backup made by 'agent backup'. Stop
'agent serve' first. The current database is kept beside it with a .before-restore
suffix. After a restore the agent resends what the hub may lack at its next sync.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dst := g.path()
			if err := store.CheckBackup(from); err != nil {
				return fmt.Errorf("%s is not a usable agent backup: %w; nothing was changed", from, err)
			}
			if _, err := os.Stat(dst); err == nil {
				keep := dst + ".before-restore"
				_ = os.Remove(keep)
				// Fold the WAL into the file before moving it aside.
				if db, err := dbx.Open(dst, slog.New(slog.DiscardHandler)); err == nil {
					db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
					_ = dbx.Close(db)
				}
				if err := os.Rename(dst, keep); err != nil {
					return err
				}
				_ = os.Remove(dst + "-wal")
				_ = os.Remove(dst + "-shm")
			}
			b, err := os.ReadFile(from)
			if err != nil {
				return err
			}
			if err := os.WriteFile(dst, b, 0o600); err != nil {
				return err
			}
			st, _, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := os.Stat(from + ".receipts"); err == nil {
				keep := st.ReceiptsDir() + ".before-restore"
				_ = os.RemoveAll(keep)
				if err := os.Rename(st.ReceiptsDir(), keep); err != nil && !os.IsNotExist(err) {
					return err
				}
				if _, err := copyDir(from+".receipts", st.ReceiptsDir()); err != nil {
					return fmt.Errorf("receipts: %w", err)
				}
			}
			// The hub may hold newer versions than the backup: resend all, the
			// hub keeps the higher versions and reports the rest as stale.
			if _, err := st.RequeueAll(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s from %s\n", dst, from)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "backup file (required)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func importCmd(g *globals) *cobra.Command {
	var file string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "import participants|coaches",
		Short: "Import existing participants or coaches from a spreadsheet (CSV)",
		Long: `Import existing participants or coaches from a CSV file with a header row.
Every row is checked with the rules of the intake form; if any row is wrong,
every problem is listed by row and nothing is imported. --dry-run checks
without importing. A person already at the site is refused, so a file can be
imported again safely.

Participant columns (the first nine are required):
  ` + strings.Join(store.ParticipantColumns, ", ") + `
  Dates as YYYY-MM-DD; checklist columns as yes or no.
Coach columns (name required):
  ` + strings.Join(store.CoachColumns, ", "),
		Example: `  agent import participants --file people.csv --dry-run
  agent import participants --file people.csv`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"participants", "coaches"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] != "participants" && args[0] != "coaches" {
				return fmt.Errorf("import %q: choose participants or coaches", args[0])
			}
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			st, _, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			var res store.ImportResult
			if args[0] == "participants" {
				res, err = st.ImportParticipants(cmd.Context(), f, dryRun, func(done, total int) {
					fmt.Fprintf(cmd.ErrOrStderr(), "\rimported %d of %d", done, total)
					if done == total {
						fmt.Fprintln(cmd.ErrOrStderr())
					}
				})
			} else {
				res, err = st.ImportCoaches(cmd.Context(), f, dryRun)
			}
			for _, e := range res.Errors {
				field := ""
				if e.Field != "" {
					field = " " + e.Field + ":"
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "row %d:%s %s\n", e.Row, field, e.Detail)
			}
			if err != nil {
				return err
			}
			if dryRun {
				fmt.Fprintf(cmd.OutOrStdout(), "%d %s checked: the file can be imported\n", res.Rows, res.Kind)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%d %s imported\n", res.Imported, res.Kind)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "the CSV file (required)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and report every problem without importing")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// copyDir copies the regular files of a folder (not recursively) into a new
// folder readable by its owner only, and returns how many it copied. A
// missing source is an empty one.
func copyDir(src, dst string) (int, error) {
	entries, err := os.ReadDir(src)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return n, err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// surveyBatchDefault reads IML_SURVEY_BATCH (store.DefaultSurveyBatch when
// unset or not a positive number).
func surveyBatchDefault() int {
	if n, err := strconv.Atoi(cli.Env("IML_SURVEY_BATCH", "")); err == nil && n > 0 {
		return n
	}
	return store.DefaultSurveyBatch
}
