package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/training"
	"github.com/itsmylife/iml/pkg/cli"
)

// oidcFlags are the serve command's settings for sign-in through an
// OpenID Connect provider.
type oidcFlags struct {
	issuer, clientID, clientSecret, redirectURL, name, groupsClaim, roleMap, scopes string
}

func (f *oidcFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.issuer, "oidc-issuer", "", "OpenID Connect issuer URL; empty: local accounts only")
	fl.StringVar(&f.clientID, "oidc-client-id", "", "client id registered at the provider")
	fl.StringVar(&f.clientSecret, "oidc-client-secret", "", "client secret; prefer the environment")
	fl.StringVar(&f.redirectURL, "oidc-redirect-url", "", "this hub's callback as registered at the provider: https://<hub>/auth/oidc/callback")
	fl.StringVar(&f.name, "oidc-name", "single sign-on", `provider name on the sign-in button ("Sign in with <name>")`)
	fl.StringVar(&f.groupsClaim, "oidc-groups-claim", "groups", "claim listing the user's groups")
	fl.StringVar(&f.roleMap, "oidc-role-map", "", "groups to roles: role=group,...; director:<organization id or name>=group for Program Directors")
	fl.StringVar(&f.scopes, "oidc-scopes", "", "scopes to ask for besides openid, email and profile, comma-separated (e.g. groups)")
}

// config checks the settings and resolves the organizations of the role
// map; nil when no issuer is set.
func (f *oidcFlags) config(ctx context.Context, st *store.Store) (*server.OIDCConfig, error) {
	if f.issuer == "" {
		return nil, nil
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
	return &server.OIDCConfig{Issuer: f.issuer, ClientID: f.clientID, ClientSecret: f.clientSecret, RedirectURL: f.redirectURL,
		Name: f.name, GroupsClaim: f.groupsClaim, RoleMap: m, Scopes: scopes}, nil
}

// serveOptions are the settings of hub serve.
type serveOptions struct {
	addr, replica                                                   string
	secure                                                          bool
	backgroundEvery                                                 time.Duration
	oidc                                                            oidcFlags
	certMonths, warnDays, verifyPerMinute, signInPerMinute, minCell int
	fidelity                                                        outcomes.FidelityThresholds
	metricsAddr                                                     string
	slow, pushWait                                                  time.Duration
	maxPushes, maxBulkPushes                                        int
}

func (o *serveOptions) addFlags(cmd *cobra.Command) {
	o.fidelity = outcomes.DefaultFidelity()
	fl := cmd.Flags()
	fl.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fl.BoolVar(&o.secure, "secure-cookies", false, "mark cookies Secure (behind HTTPS) [IML_HUB_SECURE_COOKIES=true]")
	fl.StringVar(&o.replica, "replica", "", "this replica's name in the record of background job runs (default host/pid)")
	fl.DurationVar(&o.backgroundEvery, "background-every", 5*time.Second, "how often background work looks for work, and a standby replica tries to take it over")
	o.oidc.add(cmd)
	fl.IntVar(&o.certMonths, "cert-valid-months", training.DefaultCertPolicy.ValidMonths, "how many months a coach certification lasts when issued or renewed")
	fl.IntVar(&o.warnDays, "cert-warn-days", training.DefaultCertPolicy.WarnDays, "flag certifications expiring within this many days")
	fl.IntVar(&o.verifyPerMinute, "verify-per-minute", 30, "public certificate verifications allowed per client address and minute")
	fl.IntVar(&o.signInPerMinute, "signin-per-minute", server.DefaultSignInPerMinute, "sign-in attempts allowed per client address at once, and then per minute")
	fl.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at /metrics on this address of its own (off when empty)")
	fl.DurationVar(&o.slow, "slow-request", 2*time.Second, "log requests that take longer than this (0: never)")
	fl.IntVar(&o.maxPushes, "max-pushes", server.DefaultMaxPushes, "pushes worked on at once at most; keep it under the database connections of a replica")
	fl.IntVar(&o.maxBulkPushes, "max-bulk-pushes", server.DefaultMaxBulkPushes(), "bulk pushes (bodies over 64 KiB: resends, first syncs) worked on at once at most (no more than --max-pushes; default half the CPU cores), so that small daily pushes keep slots")
	fl.DurationVar(&o.pushWait, "push-wait", server.DefaultPushWait, "how long a push waits for a slot before it is answered 503 with a Retry-After")
	fl.IntVar(&o.minCell, "min-cell", outcomes.DefaultMinCell, "smallest number of participants (or surveys) an outcomes figure may rest on; smaller cells are suppressed")
	fid := &o.fidelity
	fl.Float64Var(&fid.GroupSizeShare, "fidelity-group-share", fid.GroupSizeShare, "share of Peer Partners months whose group size keeps the release's rules, below which a site is flagged")
	fl.Float64Var(&fid.PeerPartnersMeetings, "fidelity-pp-meetings", fid.PeerPartnersMeetings, "meetings a month a Peer Partners group holds at least")
	fl.Float64Var(&fid.SocialExplorationsMeetings, "fidelity-se-meetings", fid.SocialExplorationsMeetings, "meetings a month a Social Explorations participant has at least")
	fl.Float64Var(&fid.JournalShare, "fidelity-journal-share", fid.JournalShare, "share of weekly journals due that must be completed")
	fl.Float64Var(&fid.ReceiptShare, "fidelity-receipt-share", fid.ReceiptShare, "share of months with stipend spending whose receipts must be complete")
	fl.Float64Var(&fid.ThemeShare, "fidelity-theme-share", fid.ThemeShare, "share of meetings that must be on the month's theme")
}

// check refuses settings out of range before anything starts.
func (o *serveOptions) check() error {
	if o.minCell < 1 || o.minCell > 1000 {
		return fmt.Errorf("--min-cell (IML_HUB_MIN_CELL) %d: must be a number between 1 and 1000", o.minCell)
	}
	if err := o.fidelity.Validate(); err != nil {
		return err
	}
	if o.maxPushes < 1 || o.maxPushes > 1000 || o.maxBulkPushes < 1 || o.pushWait <= 0 || o.pushWait > time.Minute || o.slow < 0 {
		return fmt.Errorf("--max-pushes (IML_HUB_MAX_PUSHES) must be 1 to 1000, --max-bulk-pushes (IML_HUB_MAX_BULK_PUSHES) at least 1, --push-wait (IML_HUB_PUSH_WAIT) more than 0 and at most 1m, --slow-request (IML_HUB_SLOW_REQUEST) not negative")
	}
	if o.certMonths < 1 || o.certMonths > 120 || o.warnDays < 1 || o.warnDays > 365 || o.verifyPerMinute < 1 || o.signInPerMinute < 1 {
		return fmt.Errorf("--cert-valid-months (IML_HUB_CERT_VALID_MONTHS) must be 1 to 120, --cert-warn-days (IML_HUB_CERT_WARN_DAYS) 1 to 365, and --verify-per-minute (IML_HUB_VERIFY_PER_MINUTE) and --signin-per-minute (IML_HUB_SIGNIN_PER_MINUTE) at least 1")
	}
	return nil
}

// server makes the hub's server from the settings, as hub serve runs it.
func (o *serveOptions) server(ctx context.Context, st *store.Store, log *slog.Logger, reg *prometheus.Registry) (*server.Server, error) {
	oc, err := o.oidc.config(ctx, st)
	if err != nil {
		return nil, err
	}
	return server.New(server.Config{SecureCookies: o.secure, OIDC: oc, Replica: o.replica, ProjectEvery: o.backgroundEvery,
		Certs: training.CertPolicy{ValidMonths: o.certMonths, WarnDays: o.warnDays}, VerifyPerMinute: o.verifyPerMinute, SignInPerMinute: o.signInPerMinute,
		MinCell: o.minCell, Fidelity: o.fidelity, Metrics: reg, SlowRequest: o.slow, MaxPushes: o.maxPushes, MaxBulkPushes: o.maxBulkPushes, PushWait: o.pushWait}, st, log), nil
}

func serveCmd(g *globals) *cobra.Command {
	var o serveOptions
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
			if err := o.check(); err != nil {
				return err
			}
			// The address first: a hub that cannot listen touches no
			// database and starts no background work.
			return cli.OpenServe(ctx, o.addr, o.metricsAddr, g.open, func(op cli.Opened[*store.Store]) error {
				st, log := op.Store, op.Log
				srv, err := o.server(ctx, st, log, op.Metrics)
				if err != nil {
					return err
				}
				defer cli.StartProfile()()
				defer cli.Background(ctx, srv.RunBackground)()
				url := cli.URLFor(op.Listener.Addr())
				log.Info("hub listening", "url", url, "db", st.Dialect(), "oidc", o.oidc.issuer != "")
				fmt.Fprintf(cmd.OutOrStdout(), "hub listening on %s\n", url)
				return cli.ServeOn(ctx, op.Listener, srv.Handler(), log)
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}
