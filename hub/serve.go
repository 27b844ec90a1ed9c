package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/cli"
)

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
	fid := store.DefaultFidelity()
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
				Certs: store.CertPolicy{ValidMonths: certMonths, WarnDays: warnDays}, VerifyPerMinute: verifyPerMinute, SignInPerMinute: signInPerMinute,
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
	cmd.Flags().IntVar(&certMonths, "cert-valid-months", cli.EnvInt("IML_HUB_CERT_VALID_MONTHS", store.DefaultCertPolicy.ValidMonths), "how many months a coach certification lasts when issued or renewed [IML_HUB_CERT_VALID_MONTHS]")
	cmd.Flags().IntVar(&warnDays, "cert-warn-days", cli.EnvInt("IML_HUB_CERT_WARN_DAYS", store.DefaultCertPolicy.WarnDays), "flag certifications expiring within this many days [IML_HUB_CERT_WARN_DAYS]")
	cmd.Flags().IntVar(&verifyPerMinute, "verify-per-minute", cli.EnvInt("IML_HUB_VERIFY_PER_MINUTE", 30), "public certificate verifications allowed per client address and minute [IML_HUB_VERIFY_PER_MINUTE]")
	cmd.Flags().IntVar(&signInPerMinute, "signin-per-minute", cli.EnvInt("IML_HUB_SIGNIN_PER_MINUTE", server.DefaultSignInPerMinute), "sign-in attempts allowed per client address at once, and then per minute [IML_HUB_SIGNIN_PER_MINUTE]")
	cmd.Flags().IntVar(&minCell, "min-cell", cli.EnvInt("IML_HUB_MIN_CELL", store.DefaultMinCell), "smallest number of participants (or surveys) an outcomes figure may rest on; smaller cells are suppressed [IML_HUB_MIN_CELL]")
	cmd.Flags().Float64Var(&fid.GroupSizeShare, "fidelity-group-share", fid.GroupSizeShare, "share of Peer Partners months whose group size keeps the release's rules, below which a site is flagged")
	cmd.Flags().Float64Var(&fid.PeerPartnersMeetings, "fidelity-pp-meetings", fid.PeerPartnersMeetings, "meetings a month a Peer Partners group holds at least")
	cmd.Flags().Float64Var(&fid.SocialExplorationsMeetings, "fidelity-se-meetings", fid.SocialExplorationsMeetings, "meetings a month a Social Explorations participant has at least")
	cmd.Flags().Float64Var(&fid.JournalShare, "fidelity-journal-share", fid.JournalShare, "share of weekly journals due that must be completed")
	cmd.Flags().Float64Var(&fid.ReceiptShare, "fidelity-receipt-share", fid.ReceiptShare, "share of months with stipend spending whose receipts must be complete")
	cmd.Flags().Float64Var(&fid.ThemeShare, "fidelity-theme-share", fid.ThemeShare, "share of meetings that must be on the month's theme")
	return cmd
}
