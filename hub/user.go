package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/cli"
)

func userCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage staff accounts and their roles"}
	cmd.AddCommand(userAddCmd(g), userListCmd(g), userAssignCmd(g), userUnassignCmd(g))
	return cmd
}

func userAddCmd(g *globals) *cobra.Command {
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
	return add
}

func userListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
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
}

// addUserRoleFlags adds the flags that name an account and a role.
func addUserRoleFlags(c *cobra.Command, userRef, role *string) {
	c.Flags().StringVar(userRef, "user", "", "the account's email or id (required)")
	c.Flags().StringVar(role, "role", "", "role: "+strings.Join(store.Roles, ", ")+" (required)")
	_ = c.MarkFlagRequired("user")
	_ = c.MarkFlagRequired("role")
}

func userAssignCmd(g *globals) *cobra.Command {
	var userRef, role, org string
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
	addUserRoleFlags(assign, &userRef, &role)
	assign.Flags().StringVar(&org, "org", "", "organization id or name (for a Program Director)")
	return assign
}

func userUnassignCmd(g *globals) *cobra.Command {
	var userRef, role string
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
	addUserRoleFlags(unassign, &userRef, &role)
	return unassign
}
