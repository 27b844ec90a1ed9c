package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/cli"
)

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
				bar := cli.NewProgress(cmd.ErrOrStderr())
				res, err = st.Participants.ImportParticipants(cmd.Context(), f, dryRun, func(done, total int) {
					bar.Update(done == total, "imported %d of %d", done, total)
				})
				bar.Done()
			} else {
				res, err = st.Participants.ImportCoaches(cmd.Context(), f, dryRun)
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
