package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/store"
)

func siteCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "site", Short: "Manage sites and their enrollment"}
	cmd.AddCommand(siteAddCmd(g), siteTokenCmd(g), siteRevokeCmd(g), siteReinstateCmd(g), siteListCmd(g))
	return cmd
}

// issueToken issues a site a one-time enrollment token valid for ttl, and
// shows it and what to run at the site.
func issueToken(cmd *cobra.Command, st *store.Store, site store.Site, ttl time.Duration) error {
	tok, err := intake.New(st).IssueEnrollmentToken(cmd.Context(), site.ID, ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "site %s: %s\none-time enrollment token (expires in %s):\n%s\n\nAt the site run:\n  agent enroll --hub <hub URL> --token %s\n",
		site.Name, site.ID, ttl, tok, tok)
	return nil
}

// addSiteFlag adds the required --site flag of the commands about one
// site.
func addSiteFlag(cmd *cobra.Command, siteRef *string) {
	cmd.Flags().StringVar(siteRef, "site", "", "site id or name (required)")
	_ = cmd.MarkFlagRequired("site")
}

// addTokenTTL adds the --token-ttl flag of the commands that issue a token.
// A validity out of bounds is refused before the command changes anything
// (site add would otherwise add the site, then fail to issue its token).
func addTokenTTL(cmd *cobra.Command, ttl *time.Duration) {
	cmd.Flags().DurationVar(ttl, "token-ttl", 72*time.Hour, "how long the enrollment token stays valid (1m to 720h)")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if intake.CheckTokenTTL(*ttl) != nil {
			return fmt.Errorf("--token-ttl %s: give a time from 1m to 720h (30 days)", *ttl)
		}
		return nil
	}
}

func siteAddCmd(g *globals) *cobra.Command {
	var org, name string
	var ttl time.Duration
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
			return issueToken(cmd, st, site, ttl)
		}),
	}
	add.Flags().StringVar(&org, "org", "", "organization id or name (required)")
	add.Flags().StringVar(&name, "name", "", "the site's name (required)")
	addTokenTTL(add, &ttl)
	_ = add.MarkFlagRequired("org")
	_ = add.MarkFlagRequired("name")
	return add
}

func siteTokenCmd(g *globals) *cobra.Command {
	var siteRef string
	var ttl time.Duration
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
			return issueToken(cmd, st, site, ttl)
		}),
	}
	addSiteFlag(token, &siteRef)
	addTokenTTL(token, &ttl)
	return token
}

func siteRevokeCmd(g *globals) *cobra.Command {
	var siteRef, reason string
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
	addSiteFlag(revoke, &siteRef)
	revoke.Flags().StringVar(&reason, "reason", "", "why (required, kept at the hub)")
	_ = revoke.MarkFlagRequired("reason")
	return revoke
}

func siteReinstateCmd(g *globals) *cobra.Command {
	var siteRef string
	var ttl time.Duration
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
			return issueToken(cmd, st, site, ttl)
		}),
	}
	addSiteFlag(reinstate, &siteRef)
	addTokenTTL(reinstate, &ttl)
	return reinstate
}

func siteListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
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
}
