package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/training"
)

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
