package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/syncer"
	"github.com/itsmylife/iml/pkg/cli"
)

// printProgress shows a round's progress: on a terminal one line
// rewritten in place, elsewhere a line every few seconds (cli.Progress).
func printProgress(w *os.File) func(syncer.Progress) {
	bar := cli.NewProgress(w)
	return func(p syncer.Progress) {
		switch p.Phase {
		case "wait":
			bar.Done()
			fmt.Fprint(w, "another sync round of the running agent is under way; waiting for it to end…\n")
		case "status":
			bar.Done()
			fmt.Fprint(w, "contacting the hub…\n")
		case "pull":
			if p.Requeued > 0 {
				bar.Done()
				fmt.Fprintf(w, "the hub is missing %d records sent before; sending them again\n", p.Requeued)
			}
		case "push":
			if p.Pending == 0 || p.Batches == 0 {
				return
			}
			pct := 100 * float64(p.Sent) / float64(p.Pending)
			bar.Update(int64(p.Sent) >= p.Pending, "sent %d of %d records (%.0f%%) in %d batches", p.Sent, p.Pending, pct, p.Batches)
		case "done":
			bar.Done()
		}
	}
}

func syncCmd(g *globals) *cobra.Command {
	var quiet bool
	var batch, surveyBatch int
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Run one sync round now, with progress",
		Long: `Run one sync round now: check what the hub holds, fetch new program
releases and send every record waiting in the outbox. Exits non-zero with the
hub's message when the round fails; nothing is lost, the next round resumes.
A round that agent serve is running is waited for first, and the summary
says what it sent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkSurveyBatch(surveyBatch); err != nil {
				return err
			}
			ctx, stop := cli.SignalContext()
			defer stop()
			st, log, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			s := syncer.New(st, log)
			s.SurveyBatch = surveyBatch
			defer cli.StartProfile()()
			if batch > 0 {
				s.BatchRecords = batch
			}
			if !quiet {
				s.OnProgress = printProgress(os.Stderr)
			}
			res, err := s.Round(ctx)
			if err != nil {
				return fmt.Errorf("sync failed: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), summary(res))
			if res.Conflicts > 0 {
				return fmt.Errorf("the hub refused %d records; see the log and the sync page", res.Conflicts)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress output")
	cmd.Flags().IntVar(&batch, "batch-records", 0, "records per batch (default and maximum 5000; smaller suits slow links)")
	addSurveyBatch(cmd, &surveyBatch)
	return cmd
}

// summary is the line agent sync prints for its round: what it sent, and
// what another round of the same agent (agent serve's, in the background)
// sent while this one waited for it, which this one then found sent.
func summary(res syncer.Result) string {
	line := fmt.Sprintf("sync done: %d records sent (%d new at the hub) in %d batches, %d refused, release %s, %s",
		res.Sent, res.Stored, res.Batches, res.Conflicts, res.Release, res.Duration.Round(time.Millisecond))
	switch {
	case res.Before != nil && res.Before.Sent > 0 && res.Sent == 0:
		line += fmt.Sprintf("; another sync round of the running agent sent %d records just before this one, so nothing was left to send", res.Before.Sent)
	case res.Before != nil && res.Before.Sent > 0:
		line += fmt.Sprintf("; another sync round of the running agent sent %d records just before this one", res.Before.Sent)
	case res.Waited:
		line += "; it waited for another sync round of the running agent to end first"
	}
	return line
}

// addSurveyBatch adds --survey-batch, which serve and sync share; both
// still read the variable they once shared, IML_SURVEY_BATCH, deprecated.
func addSurveyBatch(cmd *cobra.Command, n *int) {
	cmd.Flags().IntVar(n, "survey-batch", store.DefaultSurveyBatch, "anonymous surveys that must be waiting before they are sent, together and shuffled")
	cli.EnvAlias(cmd.Flags(), "survey-batch", "IML_SURVEY_BATCH")
}

// checkSurveyBatch refuses a batch of fewer than one survey.
func checkSurveyBatch(n int) error {
	if n < 1 {
		return fmt.Errorf("--survey-batch %d: must be at least 1", n)
	}
	return nil
}
