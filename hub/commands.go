package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/cli"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/program"
)

type globals struct {
	db       string
	dataDir  string
	logLevel string
}

func (g *globals) dsn() string {
	if g.db != "" {
		return g.db
	}
	return filepath.Join(g.dataDir, "hub.db")
}

func (g *globals) open(ctx context.Context) (*store.Store, *slog.Logger, error) {
	log, err := cli.Logger(g.logLevel)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, g.dsn(), log)
	return st, log, err
}

// with runs a command with the hub's store open.
func (g *globals) with(run func(cmd *cobra.Command, st *store.Store) error) func(*cobra.Command, []string) error {
	return cli.WithStore(func(ctx context.Context) (*store.Store, error) {
		st, _, err := g.open(ctx)
		return st, err
	}, run)
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
variable named in its help.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.db, "db", cli.Env("IML_HUB_DB", ""), "database: a SQLite file path or a postgres:// URL (default <data-dir>/hub.db) [IML_HUB_DB]")
	root.PersistentFlags().StringVar(&g.dataDir, "data-dir", cli.Env("IML_HUB_DATA_DIR", "data/hub"), "directory for the hub's files [IML_HUB_DATA_DIR]")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", cli.Env("IML_LOG_LEVEL", "info"), "log level: debug, info, warn, error [IML_LOG_LEVEL]")
	root.AddCommand(serveCmd(g), orgCmd(g), siteCmd(g), userCmd(g), releaseCmd(g), generationCmd(g), backupCmd(g), rollupsCmd(g))
	return root
}

func serveCmd(g *globals) *cobra.Command {
	var addr string
	var secure bool
	minCell := store.DefaultMinCell
	fid := store.DefaultFidelity()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the hub's HTTP server and background work",
		Long: `Serve the sync API for agents, the staff API and the web pages, and keep
the reporting tables current. Stops cleanly on SIGINT or SIGTERM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := cli.SignalContext()
			defer stop()
			if v := cli.Env("IML_HUB_MIN_CELL", ""); v != "" && !cmd.Flags().Changed("min-cell") {
				n, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("IML_HUB_MIN_CELL %q is not a number", v)
				}
				minCell = n
			}
			if minCell < 1 || minCell > 1000 {
				return fmt.Errorf("--min-cell %d: must be between 1 and 1000", minCell)
			}
			if err := fid.Validate(); err != nil {
				return err
			}
			st, log, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			srv := server.New(server.Config{SecureCookies: secure, MinCell: minCell, Fidelity: fid}, st, log)
			defer cli.StartProfile()()
			pctx, pcancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { srv.RunProjector(pctx); close(done) }()
			defer func() { pcancel(); <-done }()
			return cli.Serve(ctx, addr, srv.Handler(), log, func(a net.Addr) {
				log.Info("hub listening", "url", cli.URLFor(a), "db", st.Dialect())
				fmt.Fprintf(cmd.OutOrStdout(), "hub listening on %s\n", cli.URLFor(a))
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", cli.Env("IML_HUB_ADDR", "127.0.0.1:8080"), "address to listen on [IML_HUB_ADDR]")
	cmd.Flags().BoolVar(&secure, "secure-cookies", cli.Env("IML_HUB_SECURE_COOKIES", "") == "true", "mark cookies Secure (behind HTTPS) [IML_HUB_SECURE_COOKIES=true]")
	cmd.Flags().IntVar(&minCell, "min-cell", minCell, "smallest number of participants (or surveys) an outcomes figure may rest on; smaller cells are suppressed [IML_HUB_MIN_CELL]")
	cmd.Flags().Float64Var(&fid.GroupSizeShare, "fidelity-group-share", fid.GroupSizeShare, "share of Peer Partners months whose group size keeps the release's rules, below which a site is flagged")
	cmd.Flags().Float64Var(&fid.PeerPartnersMeetings, "fidelity-pp-meetings", fid.PeerPartnersMeetings, "meetings a month a Peer Partners group holds at least")
	cmd.Flags().Float64Var(&fid.SocialExplorationsMeetings, "fidelity-se-meetings", fid.SocialExplorationsMeetings, "meetings a month a Social Explorations participant has at least")
	cmd.Flags().Float64Var(&fid.JournalShare, "fidelity-journal-share", fid.JournalShare, "share of weekly journals due that must be completed")
	cmd.Flags().Float64Var(&fid.ReceiptShare, "fidelity-receipt-share", fid.ReceiptShare, "share of months with stipend spending whose receipts must be complete")
	cmd.Flags().Float64Var(&fid.ThemeShare, "fidelity-theme-share", fid.ThemeShare, "share of meetings that must be on the month's theme")
	return cmd
}

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
			if err := st.RebuildRollups(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rollups rebuilt in %s\n", time.Since(start).Round(time.Millisecond))
			return nil
		}),
	})
	return cmd
}

func orgCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Manage implementing organizations"}
	var name, typ, state string
	add := &cobra.Command{
		Use:     "add",
		Short:   "Add an implementing organization",
		Long:    "Add an implementing organization. Types: " + strings.Join(store.OrgTypes, ", ") + ".",
		Example: `  hub org add --name "Riverside Peer Center" --type peer_run --state VA`,
		Args:    cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			o, err := st.AddOrganization(cmd.Context(), name, typ, state)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "organization %s added: %s\n", o.Name, o.ID)
			return nil
		}),
	}
	add.Flags().StringVar(&name, "name", "", "the organization's name (required)")
	add.Flags().StringVar(&typ, "type", "other", "kind: "+strings.Join(store.OrgTypes, ", "))
	add.Flags().StringVar(&state, "state", "", "two-letter state code (required)")
	_ = add.MarkFlagRequired("name")
	_ = add.MarkFlagRequired("state")
	list := &cobra.Command{
		Use: "list", Short: "List organizations", Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			os, err := st.Organizations(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tTYPE\tSTATE")
			for _, o := range os {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", o.ID, o.Name, o.Type, o.State)
			}
			return w.Flush()
		}),
	}
	cmd.AddCommand(add, list)
	return cmd
}

func siteCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "site", Short: "Manage sites and their enrollment"}
	var org, name string
	var ttl time.Duration
	printToken := func(cmd *cobra.Command, site store.Site, tok string) {
		fmt.Fprintf(cmd.OutOrStdout(), "site %s: %s\none-time enrollment token (expires in %s):\n%s\n\nAt the site run:\n  agent enroll --hub <hub URL> --token %s\n",
			site.Name, site.ID, ttl, tok, tok)
	}
	add := &cobra.Command{
		Use:     "add",
		Short:   "Add a site and print its one-time enrollment token",
		Long:    "Add a site of an organization and print a one-time enrollment token for its agent. The token works once and expires after --token-ttl; the hub keeps only its hash.",
		Example: `  hub site add --org "Riverside Peer Center" --name "Riverside downtown"`,
		Args:    cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			site, err := st.AddSite(cmd.Context(), org, name)
			if err != nil {
				return err
			}
			tok, err := st.IssueEnrollmentToken(cmd.Context(), site.ID, ttl)
			if err != nil {
				return err
			}
			printToken(cmd, site, tok)
			return nil
		}),
	}
	add.Flags().StringVar(&org, "org", "", "organization id or name (required)")
	add.Flags().StringVar(&name, "name", "", "the site's name (required)")
	add.Flags().DurationVar(&ttl, "token-ttl", 72*time.Hour, "how long the enrollment token stays valid")
	_ = add.MarkFlagRequired("org")
	_ = add.MarkFlagRequired("name")

	var siteRef string
	token := &cobra.Command{
		Use:   "token",
		Short: "Issue a new one-time enrollment token for a site (a replaced machine)",
		Args:  cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			site, err := st.FindSite(cmd.Context(), siteRef)
			if err != nil {
				return fmt.Errorf("site %q: %w", siteRef, err)
			}
			tok, err := st.IssueEnrollmentToken(cmd.Context(), site.ID, ttl)
			if err != nil {
				return err
			}
			printToken(cmd, site, tok)
			return nil
		}),
	}
	token.Flags().StringVar(&siteRef, "site", "", "site id or name (required)")
	token.Flags().DurationVar(&ttl, "token-ttl", 72*time.Hour, "how long the enrollment token stays valid")
	_ = token.MarkFlagRequired("site")

	var reason string
	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Cut a site off: its credential stops working at once",
		Args:  cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			site, err := st.RevokeSite(cmd.Context(), siteRef, reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "site %s revoked\n", site.Name)
			return nil
		}),
	}
	revoke.Flags().StringVar(&siteRef, "site", "", "site id or name (required)")
	revoke.Flags().StringVar(&reason, "reason", "", "why (required, kept at the hub)")
	_ = revoke.MarkFlagRequired("site")
	_ = revoke.MarkFlagRequired("reason")

	reinstate := &cobra.Command{
		Use:   "reinstate",
		Short: "Lift a site's revocation and print a one-time token to enroll its agent again",
		Long: `Lift a site's revocation. The revoked credential stays dead: enroll the
site's agent again with the printed token (agent enroll --force --token ...).`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			site, err := st.ReinstateSite(cmd.Context(), siteRef)
			if err != nil {
				return err
			}
			tok, err := st.IssueEnrollmentToken(cmd.Context(), site.ID, ttl)
			if err != nil {
				return err
			}
			printToken(cmd, site, tok)
			return nil
		}),
	}
	reinstate.Flags().StringVar(&siteRef, "site", "", "site id or name (required)")
	reinstate.Flags().DurationVar(&ttl, "token-ttl", 72*time.Hour, "how long the enrollment token stays valid")
	_ = reinstate.MarkFlagRequired("site")

	list := &cobra.Command{
		Use: "list", Short: "List sites with their release and last sync", Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			ss, err := st.Sites(cmd.Context(), "")
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tRELEASE\tLAST SYNC\tSTATUS")
			for _, s := range ss {
				status := "awaiting enrollment"
				if s.RevokedAt != nil {
					status = "revoked"
				} else if s.EnrolledAt != nil {
					status = "active"
				}
				seen := "never"
				if s.LastSeenAt != nil {
					seen = s.LastSeenAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Name, s.Release, seen, status)
			}
			return w.Flush()
		}),
	}
	cmd.AddCommand(add, token, revoke, reinstate, list)
	return cmd
}

func userCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage local staff accounts"}
	var email, name, role, org string
	var fromStdin bool
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a local staff account",
		Long: `Add a local staff account. Roles: ` + strings.Join(store.Roles, ", ") + `.
The password is read from standard input with --password-stdin; otherwise a
random one is made and printed once.`,
		Example: `  hub user add --email ana@example.org --name "Ana Diaz" --role analyst`,
		Args:    cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			pw, generated, err := cli.Password(cmd.InOrStdin(), fromStdin)
			if err != nil {
				return err
			}
			if org != "" {
				o, err := st.FindOrganization(cmd.Context(), org)
				if err != nil {
					return fmt.Errorf("organization %q: %w", org, err)
				}
				org = o.ID
			}
			u, err := st.AddUser(cmd.Context(), email, name, role, org, pw)
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
	add.Flags().StringVar(&role, "role", store.RoleAnalyst, "role: "+strings.Join(store.Roles, ", "))
	add.Flags().StringVar(&org, "org", "", "organization id or name (for a Program Director)")
	add.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input")
	_ = add.MarkFlagRequired("email")
	_ = add.MarkFlagRequired("name")
	cmd.AddCommand(add)
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

func releaseCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "release", Short: "Publish and list releases of the program's central content"}
	var file string
	publish := &cobra.Command{
		Use:   "publish",
		Short: "Publish a release from a JSON file; agents receive it at their next sync",
		Long: `Publish a release of the program's central content (POM indicators, theme
schedules, skills, journal prompts, survey, stipend policy) from a JSON file
shaped like the first release (hub release show 2026.1). A published version
never changes: publishing the same version with other content is refused.`,
		Example: `  hub release show 2026.1 > next.json   # edit version and content
  hub release publish --file next.json`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			b, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			rel, err := program.Parse(b)
			if err != nil {
				return err
			}
			if err := st.PublishRelease(cmd.Context(), rel); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "release %s published\n", rel.Version)
			return nil
		}),
	}
	publish.Flags().StringVar(&file, "file", "", "the release as JSON (required)")
	_ = publish.MarkFlagRequired("file")
	list := &cobra.Command{
		Use: "list", Short: "List published releases", Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			rs, err := st.ReleasesAfter(cmd.Context(), 0)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "VERSION\tPUBLISHED\tSHA-256")
			for _, r := range rs {
				fmt.Fprintf(w, "%s\t%s\t%s\n", r.Version, r.PublishedAt.Format(time.RFC3339), r.SHA256[:16])
			}
			return w.Flush()
		}),
	}
	show := &cobra.Command{
		Use: "show VERSION", Short: "Print a published release as JSON", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.with(func(cmd *cobra.Command, st *store.Store) error {
				rs, err := st.ReleasesAfter(cmd.Context(), 0)
				if err != nil {
					return err
				}
				for _, r := range rs {
					if r.Version == args[0] {
						var out bytes.Buffer
						if err := json.Indent(&out, []byte(r.Content), "", "  "); err != nil {
							return err
						}
						out.WriteByte('\n')
						_, err := cmd.OutOrStdout().Write(out.Bytes())
						return err
					}
				}
				return fmt.Errorf("no release %q", args[0])
			})(cmd, args)
		},
	}
	cmd.AddCommand(publish, list, show)
	return cmd
}
