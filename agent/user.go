package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/cli"
)

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
