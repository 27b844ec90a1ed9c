package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/kits"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

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
