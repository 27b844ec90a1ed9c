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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/kits"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/training"
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
	root.AddCommand(serveCmd(g), orgCmd(g), siteCmd(g), userCmd(g), releaseCmd(g), certCmd(g), generationCmd(g), backupCmd(g), rollupsCmd(g))
	return root
}

// oidcFlags are the serve command's settings for sign-in through an
// OpenID Connect provider.
type oidcFlags struct {
	issuer, clientID, clientSecret, redirectURL, name, groupsClaim, roleMap, scopes string
}

func (f *oidcFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.issuer, "oidc-issuer", cli.Env("IML_HUB_OIDC_ISSUER", ""), "OpenID Connect issuer URL; empty: local accounts only [IML_HUB_OIDC_ISSUER]")
	fl.StringVar(&f.clientID, "oidc-client-id", cli.Env("IML_HUB_OIDC_CLIENT_ID", ""), "client id registered at the provider [IML_HUB_OIDC_CLIENT_ID]")
	fl.StringVar(&f.clientSecret, "oidc-client-secret", "", "client secret; prefer the environment [IML_HUB_OIDC_CLIENT_SECRET]")
	fl.StringVar(&f.redirectURL, "oidc-redirect-url", cli.Env("IML_HUB_OIDC_REDIRECT_URL", ""), "this hub's callback as registered at the provider: https://<hub>/auth/oidc/callback [IML_HUB_OIDC_REDIRECT_URL]")
	fl.StringVar(&f.name, "oidc-name", cli.Env("IML_HUB_OIDC_NAME", "single sign-on"), `provider name on the sign-in button ("Sign in with <name>") [IML_HUB_OIDC_NAME]`)
	fl.StringVar(&f.groupsClaim, "oidc-groups-claim", cli.Env("IML_HUB_OIDC_GROUPS_CLAIM", "groups"), "claim listing the user's groups [IML_HUB_OIDC_GROUPS_CLAIM]")
	fl.StringVar(&f.roleMap, "oidc-role-map", cli.Env("IML_HUB_OIDC_ROLE_MAP", ""), "groups to roles: role=group,...; director:<organization id or name>=group for Program Directors [IML_HUB_OIDC_ROLE_MAP]")
	fl.StringVar(&f.scopes, "oidc-scopes", cli.Env("IML_HUB_OIDC_SCOPES", ""), "scopes to ask for besides openid, email and profile, comma-separated (e.g. groups) [IML_HUB_OIDC_SCOPES]")
}

// config checks the settings and resolves the organizations of the role
// map; nil when no issuer is set.
func (f *oidcFlags) config(ctx context.Context, st *store.Store) (*server.OIDCConfig, error) {
	if f.issuer == "" {
		return nil, nil
	}
	secret := f.clientSecret
	if secret == "" {
		secret = os.Getenv("IML_HUB_OIDC_CLIENT_SECRET")
	}
	if f.clientID == "" || f.redirectURL == "" {
		return nil, errors.New("--oidc-issuer needs --oidc-client-id and --oidc-redirect-url")
	}
	m, err := server.ParseRoleMap(f.roleMap)
	if err != nil {
		return nil, err
	}
	if err := server.ResolveRoleMap(ctx, st, m); err != nil {
		return nil, err
	}
	var scopes []string
	for _, sc := range strings.Split(f.scopes, ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			scopes = append(scopes, sc)
		}
	}
	return &server.OIDCConfig{Issuer: f.issuer, ClientID: f.clientID, ClientSecret: secret, RedirectURL: f.redirectURL,
		Name: f.name, GroupsClaim: f.groupsClaim, RoleMap: m, Scopes: scopes}, nil
}

func serveCmd(g *globals) *cobra.Command {
	var addr, replica string
	var secure bool
	var projectEvery time.Duration
	var of oidcFlags
	var certMonths, warnDays, verifyPerMinute, signInPerMinute int
	var minCell int
	fid := outcomes.DefaultFidelity()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the hub's HTTP server and background work",
		Long: `Serve the sync API for agents, the staff API and the web pages, and keep
the reporting tables current. Stops cleanly on SIGINT or SIGTERM.

Staff sign in with local accounts (hub user add), and also through an
OpenID Connect provider when --oidc-issuer is set (docs/operations.md).
Several replicas may serve one PostgreSQL database; the background work
runs on one of them at a time.`,
		Example: `  IML_HUB_OIDC_CLIENT_SECRET=... hub serve --db postgres://... \
    --oidc-issuer https://login.example.org/realms/iml --oidc-client-id iml-hub \
    --oidc-redirect-url https://hub.example.org/auth/oidc/callback --oidc-name "Example Login" \
    --oidc-role-map "admin=iml-admins,analyst=iml-analysts,director:Riverside Peer Center=riverside-pd"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := cli.SignalContext()
			defer stop()
			if minCell < 1 || minCell > 1000 {
				return fmt.Errorf("--min-cell (IML_HUB_MIN_CELL) %d: must be a number between 1 and 1000", minCell)
			}
			if err := fid.Validate(); err != nil {
				return err
			}
			if certMonths < 1 || certMonths > 120 || warnDays < 1 || warnDays > 365 || verifyPerMinute < 1 || signInPerMinute < 1 {
				return fmt.Errorf("--cert-valid-months must be 1 to 120, --cert-warn-days 1 to 365, and --verify-per-minute and --signin-per-minute at least 1")
			}
			st, log, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			oc, err := of.config(ctx, st)
			if err != nil {
				return err
			}
			srv := server.New(server.Config{SecureCookies: secure, OIDC: oc, Replica: replica, ProjectEvery: projectEvery,
				Certs: training.CertPolicy{ValidMonths: certMonths, WarnDays: warnDays}, VerifyPerMinute: verifyPerMinute, SignInPerMinute: signInPerMinute,
				MinCell: minCell, Fidelity: fid}, st, log)
			defer cli.StartProfile()()
			pctx, pcancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { srv.RunBackground(pctx); close(done) }()
			defer func() { pcancel(); <-done }()
			return cli.Serve(ctx, addr, srv.Handler(), log, func(a net.Addr) {
				log.Info("hub listening", "url", cli.URLFor(a), "db", st.Dialect(), "oidc", oc != nil)
				fmt.Fprintf(cmd.OutOrStdout(), "hub listening on %s\n", cli.URLFor(a))
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", cli.Env("IML_HUB_ADDR", "127.0.0.1:8080"), "address to listen on [IML_HUB_ADDR]")
	cmd.Flags().BoolVar(&secure, "secure-cookies", cli.Env("IML_HUB_SECURE_COOKIES", "") == "true", "mark cookies Secure (behind HTTPS) [IML_HUB_SECURE_COOKIES=true]")
	cmd.Flags().StringVar(&replica, "replica", cli.Env("IML_HUB_REPLICA", ""), "this replica's name in the record of background job runs (default host/pid) [IML_HUB_REPLICA]")
	cmd.Flags().DurationVar(&projectEvery, "background-every", 5*time.Second, "how often background work looks for work, and a standby replica tries to take it over")
	of.add(cmd)
	cmd.Flags().IntVar(&certMonths, "cert-valid-months", cli.EnvInt("IML_HUB_CERT_VALID_MONTHS", training.DefaultCertPolicy.ValidMonths), "how many months a coach certification lasts when issued or renewed [IML_HUB_CERT_VALID_MONTHS]")
	cmd.Flags().IntVar(&warnDays, "cert-warn-days", cli.EnvInt("IML_HUB_CERT_WARN_DAYS", training.DefaultCertPolicy.WarnDays), "flag certifications expiring within this many days [IML_HUB_CERT_WARN_DAYS]")
	cmd.Flags().IntVar(&verifyPerMinute, "verify-per-minute", cli.EnvInt("IML_HUB_VERIFY_PER_MINUTE", 30), "public certificate verifications allowed per client address and minute [IML_HUB_VERIFY_PER_MINUTE]")
	cmd.Flags().IntVar(&signInPerMinute, "signin-per-minute", cli.EnvInt("IML_HUB_SIGNIN_PER_MINUTE", server.DefaultSignInPerMinute), "sign-in attempts allowed per client address at once, and then per minute [IML_HUB_SIGNIN_PER_MINUTE]")
	cmd.Flags().IntVar(&minCell, "min-cell", cli.EnvInt("IML_HUB_MIN_CELL", outcomes.DefaultMinCell), "smallest number of participants (or surveys) an outcomes figure may rest on; smaller cells are suppressed [IML_HUB_MIN_CELL]")
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
			if err := outcomes.New(st).RebuildRollups(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rollups rebuilt in %s\n", time.Since(start).Round(time.Millisecond))
			return nil
		}),
	})
	return cmd
}

func certCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "cert", Short: "Look up Peer Life Coach certifications (trainers manage them on the Training page)"}
	var org string
	var days int
	list := &cobra.Command{
		Use: "list", Short: "An organization's certifications (its registry)", Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			o, err := orgRef(cmd, st, org)
			if err != nil {
				return err
			}
			cs, err := training.New(st).Registry(cmd.Context(), o.ID, training.CertPolicy{ValidMonths: 1, WarnDays: days})
			if err != nil {
				return err
			}
			return printCerts(cmd, cs)
		}),
	}
	list.Flags().StringVar(&org, "org", "", "the organization's id or name (required)")
	list.Flags().IntVar(&days, "warn-days", training.DefaultCertPolicy.WarnDays, "flag certifications expiring within this many days")
	_ = list.MarkFlagRequired("org")
	expiring := &cobra.Command{
		Use: "expiring", Short: "Current certifications expiring soon, soonest first", Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			cs, err := training.New(st).ExpiringCertifications(cmd.Context(), training.CertPolicy{ValidMonths: 1, WarnDays: days})
			if err != nil {
				return err
			}
			return printCerts(cmd, cs)
		}),
	}
	expiring.Flags().IntVar(&days, "days", training.DefaultCertPolicy.WarnDays, "how many days ahead")
	verify := &cobra.Command{
		Use: "verify CODE", Short: "What the public verification page shows for a code", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.with(func(cmd *cobra.Command, st *store.Store) error {
				v, err := training.New(st).Verify(cmd.Context(), args[0])
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no certification has the code %q", args[0])
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\texpires %s\n", v.Name, v.Status, v.ExpiresOn)
				return nil
			})(cmd, args)
		},
	}
	cmd.AddCommand(list, expiring, verify)
	return cmd
}

func printCerts(cmd *cobra.Command, cs []training.CertView) error {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CODE\tCOACH\tSTATUS\tEXPIRES")
	for _, c := range cs {
		status := c.Status
		if c.ExpiresSoon {
			status += " (expires soon)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Code, c.Name, status, c.ExpiresOn)
	}
	return w.Flush()
}

// envInt reads a whole number from the environment; a value that is not
// one gives -1, which the command refuses with its message.
func orgCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Manage implementing organizations"}
	var name, typ, state, since string
	add := &cobra.Command{
		Use:     "add",
		Short:   "Add an implementing organization",
		Long:    "Add an implementing organization, at the inquiry stage of its lifecycle. Types: " + strings.Join(store.OrgTypes, ", ") + ".",
		Example: `  hub org add --name "Riverside Peer Center" --type peer_run --state VA`,
		Args:    cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			o, err := affiliates.New(st).AddOrganizationSince(cmd.Context(), affiliates.OrgInput{Name: name, Type: typ, State: state}, since)
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
	add.Flags().StringVar(&since, "since", "", "date of the first inquiry, YYYY-MM-DD (default today)")
	_ = add.MarkFlagRequired("name")
	_ = add.MarkFlagRequired("state")
	cmd.AddCommand(add, orgListCmd(g), orgShowCmd(g), orgStageCmd(g), orgContactCmd(g))
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
			site, err := intake.New(st).AddSite(cmd.Context(), org, name)
			if err != nil {
				return err
			}
			tok, err := intake.New(st).IssueEnrollmentToken(cmd.Context(), site.ID, ttl)
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
		Long: `Issue a new one-time enrollment token for a site. Every token issued
for the site before stops working at once; the site's current credential
works until an agent enrolls with the new token.`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			site, err := st.FindSite(cmd.Context(), siteRef)
			if err != nil {
				return fmt.Errorf("site %q: %w", siteRef, err)
			}
			tok, err := intake.New(st).IssueEnrollmentToken(cmd.Context(), site.ID, ttl)
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
			site, err := intake.New(st).RevokeSite(cmd.Context(), siteRef, reason)
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
		Long: `Lift a site's revocation. The revoked credential stays dead, and so does
every token issued before: enroll the site's agent again with the printed
token (agent enroll --force --token ...).`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			site, err := intake.New(st).ReinstateSite(cmd.Context(), siteRef)
			if err != nil {
				return err
			}
			tok, err := intake.New(st).IssueEnrollmentToken(cmd.Context(), site.ID, ttl)
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
	cmd := &cobra.Command{Use: "user", Short: "Manage staff accounts and their roles"}
	var email, name, role, org string
	var fromStdin, noPassword bool
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a staff account",
		Long: `Add a staff account holding one role (give more with hub user assign).
Roles: ` + strings.Join(store.Roles, ", ") + `; a director (Program Director) names
the organization with --org. The password is read from standard input with
--password-stdin; otherwise a random one is made and printed once. With
--no-password the account signs in only through the OpenID Connect provider,
which links it by its verified email at the first sign-in.`,
		Example: `  hub user add --email ana@example.org --name "Ana Diaz" --role analyst
  hub user add --email pd@riverside.example --name "Pat Doe" --role director --org "Riverside Peer Center" --no-password`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			pw, generated := "", false
			if !noPassword {
				var err error
				if pw, generated, err = cli.Password(cmd.InOrStdin(), fromStdin); err != nil {
					return err
				}
			}
			orgID, err := orgIDOf(cmd.Context(), st, org)
			if err != nil {
				return err
			}
			u, err := staff.New(st).AddUser(cmd.Context(), email, name, role, orgID, pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "account %s (%s) added: %s\n", u.Email, u.RoleNames(), u.ID)
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
	add.Flags().BoolVar(&noPassword, "no-password", false, "no local password: the account signs in through the OpenID Connect provider only")
	add.MarkFlagsMutuallyExclusive("password-stdin", "no-password")
	_ = add.MarkFlagRequired("email")
	_ = add.MarkFlagRequired("name")

	list := &cobra.Command{
		Use: "list", Short: "List staff accounts and the roles given at the hub", Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			us, err := staff.New(st).Users(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tEMAIL\tNAME\tSIGN-IN\tROLES")
			for _, u := range us {
				how := "local"
				if !u.Local() {
					how = "provider"
				} else if u.Issuer != nil {
					how = "local+provider"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, how, u.RoleNames())
			}
			return w.Flush()
		}),
	}

	var userRef string
	assign := &cobra.Command{
		Use:     "assign",
		Short:   "Give a staff account a role",
		Example: `  hub user assign --user pd@riverside.example --role director --org "Riverside Peer Center"`,
		Args:    cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			u, err := staff.New(st).FindUser(cmd.Context(), userRef)
			if err != nil {
				return fmt.Errorf("user %q: %w", userRef, err)
			}
			orgID, err := orgIDOf(cmd.Context(), st, org)
			if err != nil {
				return err
			}
			if _, err := staff.New(st).Assign(cmd.Context(), "cli", u.ID, role, orgID); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s now holds %s\n", u.Email, role)
			return nil
		}),
	}
	unassign := &cobra.Command{
		Use:   "unassign",
		Short: "Take a role given at the hub away from a staff account",
		Args:  cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			u, err := staff.New(st).FindUser(cmd.Context(), userRef)
			if err != nil {
				return fmt.Errorf("user %q: %w", userRef, err)
			}
			as, err := staff.New(st).Assignments(cmd.Context(), u.ID)
			if err != nil {
				return err
			}
			for _, a := range as {
				if a.Role == role {
					if _, err := staff.New(st).Unassign(cmd.Context(), u.ID, a.ID); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s no longer holds %s\n", u.Email, role)
					return nil
				}
			}
			return fmt.Errorf("%s holds no %s role given at the hub", u.Email, role)
		}),
	}
	for _, c := range []*cobra.Command{assign, unassign} {
		c.Flags().StringVar(&userRef, "user", "", "the account's email or id (required)")
		c.Flags().StringVar(&role, "role", "", "role: "+strings.Join(store.Roles, ", ")+" (required)")
		_ = c.MarkFlagRequired("user")
		_ = c.MarkFlagRequired("role")
	}
	assign.Flags().StringVar(&org, "org", "", "organization id or name (for a Program Director)")
	cmd.AddCommand(add, list, assign, unassign)
	return cmd
}

// orgIDOf resolves an organization id or name ("" stays "").
func orgIDOf(ctx context.Context, st *store.Store, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	o, err := st.FindOrganization(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("organization %q: %w", ref, err)
	}
	return o.ID, nil
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
			rs, err := kits.New(st).Releases(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "VERSION\tPUBLISHED\tSHA-256\tSTATUS")
			for _, r := range rs {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Version, r.PublishedAt.Format(time.RFC3339), r.SHA256[:16], r.Status())
			}
			return w.Flush()
		}),
	}
	show := &cobra.Command{
		Use: "show VERSION", Short: "Print a published release as JSON", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.with(func(cmd *cobra.Command, st *store.Store) error {
				r, err := st.ReleaseByVersion(cmd.Context(), args[0])
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no release %q", args[0])
				}
				if err != nil {
					return err
				}
				var out bytes.Buffer
				if err := json.Indent(&out, []byte(r.Content), "", "  "); err != nil {
					return err
				}
				out.WriteByte('\n')
				_, err = cmd.OutOrStdout().Write(out.Bytes())
				return err
			})(cmd, args)
		},
	}
	var reason string
	retire := &cobra.Command{
		Use: "retire VERSION", Short: "Stop offering a release to agents; sites still on it are flagged", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.with(func(cmd *cobra.Command, st *store.Store) error {
				if _, err := kits.New(st).RetireRelease(cmd.Context(), args[0], reason); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "release %s retired\n", args[0])
				return nil
			})(cmd, args)
		},
	}
	retire.Flags().StringVar(&reason, "reason", "", "why the release is retired (required)")
	cmd.AddCommand(publish, list, show, retire)
	return cmd
}
