package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
)

// orgCmd groups the commands about implementing organizations.
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

// orgRef finds an organization by id or name for a command.
func orgRef(cmd *cobra.Command, st *store.Store, ref string) (store.Organization, error) {
	o, err := st.FindOrganization(cmd.Context(), ref)
	if err != nil {
		return o, fmt.Errorf("organization %q: %w", ref, err)
	}
	return o, nil
}

func orgListCmd(g *globals) *cobra.Command {
	var f affiliates.OrgFilter
	cmd := &cobra.Command{
		Use: "list", Short: "List organizations with their lifecycle stage", Args: cobra.NoArgs,
		Example: `  hub org list --stage launched --state VA`,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			os, err := affiliates.New(st).FindOrganizations(cmd.Context(), f)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tTYPE\tSTATE\tSTAGE\tSINCE")
			for _, o := range os {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.Name, o.Type, o.State, o.Stage, o.StageOn)
			}
			return w.Flush()
		}),
	}
	cmd.Flags().StringVar(&f.Stage, "stage", "", "only this stage: "+strings.Join(affiliates.Stages, ", "))
	cmd.Flags().StringVar(&f.Type, "type", "", "only this type: "+strings.Join(store.OrgTypes, ", "))
	cmd.Flags().StringVar(&f.State, "state", "", "only this two-letter state")
	return cmd
}

func orgShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "show ORG", Short: "Show an organization's profile, contacts, sites, lifecycle and TA plan", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.with(func(cmd *cobra.Command, st *store.Store) error {
				ctx := cmd.Context()
				o, err := orgRef(cmd, st, args[0])
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "%s (%s)\ntype:  %s\nstate: %s\nstage: %s since %s\n", o.Name, o.ID, store.OrgTypeLabels[o.Type], o.State, affiliates.StageLabels[o.Stage], o.StageOn)
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				cs, err := affiliates.New(st).Contacts(ctx, o.ID)
				if err != nil {
					return err
				}
				fmt.Fprintln(w, "\nCONTACT\tROLE\tEMAIL\tPHONE")
				for _, c := range cs {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Name, c.Role, c.Email, c.Phone)
				}
				ss, err := st.Sites(ctx, o.ID)
				if err != nil {
					return err
				}
				fmt.Fprintln(w, "\nSITE\tID")
				for _, s := range ss {
					fmt.Fprintf(w, "%s\t%s\n", s.Name, s.ID)
				}
				hs, err := affiliates.New(st).StageHistory(ctx, o.ID)
				if err != nil {
					return err
				}
				fmt.Fprintln(w, "\nDATE\tFROM\tTO\tREASON")
				for _, h := range hs {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", h.OnDate, h.FromStage, h.ToStage, h.Reason)
				}
				if p, cis, err := ta.New(st).Plan(ctx, o.ID); err == nil {
					fmt.Fprintf(w, "\nTA PLAN %s to %s\nCHECK-IN DUE\tDONE\n", p.OpenedOn, p.EndsOn)
					for _, c := range cis {
						state := c.DoneOn
						if state == "" && c.Overdue(st.Today()) {
							state = "overdue"
						}
						fmt.Fprintf(w, "%s\t%s\n", c.DueOn, state)
					}
				}
				return w.Flush()
			})(cmd, args)
		},
	}
}

func orgStageCmd(g *globals) *cobra.Command {
	var ref string
	var in affiliates.StageInput
	cmd := &cobra.Command{
		Use:   "stage",
		Short: "Move an organization to another lifecycle stage",
		Long: `Move an organization to the next stage of its lifecycle (` + strings.Join(affiliates.Stages[:len(affiliates.Stages)-1], ` → `) + `),
to inactive from any stage, or from inactive back to a named stage. Becoming
inactive and coming back need a reason. Going live (launched) opens the
first-year TA plan with a check-in every month for twelve months; sustaining
is reached once the first year is over. --on dates the change (default today;
never in the future, never before the current stage began).`,
		Example: `  hub org stage --org "Riverside Peer Center" --to launched --on 2026-03-02
  hub org stage --org "Riverside Peer Center" --to inactive --reason "funding paused"`,
		Args: cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			o, err := orgRef(cmd, st, ref)
			if err != nil {
				return err
			}
			o, err = affiliates.New(st).ChangeStage(cmd.Context(), o.ID, in, "operator (hub CLI)")
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "organization %s is at stage %s since %s\n", o.Name, o.Stage, o.StageOn)
			return nil
		}),
	}
	cmd.Flags().StringVar(&ref, "org", "", "organization id or name (required)")
	cmd.Flags().StringVar(&in.To, "to", "", "the new stage (required): "+strings.Join(affiliates.Stages, ", "))
	cmd.Flags().StringVar(&in.On, "on", "", "date of the change, YYYY-MM-DD (default today)")
	cmd.Flags().StringVar(&in.Reason, "reason", "", "why (required for inactive and back)")
	_ = cmd.MarkFlagRequired("org")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func orgContactCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "contact", Short: "Manage an organization's staff contacts"}
	var ref string
	var in affiliates.ContactInput
	add := &cobra.Command{
		Use:     "add",
		Short:   "Add a staff contact (the organization's own people, not participants)",
		Example: `  hub org contact add --org "Riverside Peer Center" --name "Pat Lee" --role "Program Director" --email pat@example.org`,
		Args:    cobra.NoArgs,
		RunE: g.with(func(cmd *cobra.Command, st *store.Store) error {
			o, err := orgRef(cmd, st, ref)
			if err != nil {
				return err
			}
			c, err := affiliates.New(st).AddContact(cmd.Context(), o.ID, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "contact %s added to %s: %s\n", c.Name, o.Name, c.ID)
			return nil
		}),
	}
	add.Flags().StringVar(&ref, "org", "", "organization id or name (required)")
	add.Flags().StringVar(&in.Name, "name", "", "the contact's name (required)")
	add.Flags().StringVar(&in.Role, "role", "", "their role, e.g. Program Director (required)")
	add.Flags().StringVar(&in.Email, "email", "", "email")
	add.Flags().StringVar(&in.Phone, "phone", "", "phone")
	for _, f := range []string{"org", "name", "role"} {
		_ = add.MarkFlagRequired(f)
	}
	cmd.AddCommand(add)
	return cmd
}
