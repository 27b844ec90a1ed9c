package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/obs"
)

// Progress is reported while a round runs.
type Progress struct {
	Phase    string // "wait" (for another round), "status", "pull", "push", "done"
	Sent     int    // records acknowledged so far in this round
	Pending  int64  // records due when the round started
	Batches  int
	Requeued int64
}

// Result sums up a round.
type Result struct {
	Sent      int
	Stored    int
	Conflicts int
	Batches   int
	Requeued  int64
	Release   string
	Duration  time.Duration
	// Step is the step a failed round failed in: status, pull, outbox or
	// push.
	Step string
	// Waited says that another round on the same database (the background
	// round of agent serve, or another agent sync) was running when this
	// one began, and this one waited for it to end.
	Waited bool
	// Before, when not nil, is another round on the same database that
	// ended after this one began: what it sent was no longer due here.
	Before *store.LastRound
}

// Syncer runs sync rounds for one agent.
type Syncer struct {
	St        *store.Store
	Log       *slog.Logger
	ClientCfg ClientConfig
	// BatchRecords bounds a batch (at most contract.MaxBatchRecords).
	BatchRecords int
	// OnProgress, if set, is called as the round advances.
	OnProgress func(Progress)
	// SurveyBatch is how many anonymous surveys must be waiting before a
	// round hands them to the outbox (see store.ReleaseSurveys).
	SurveyBatch int
	// Metrics, when set, counts rounds, failures by step and records
	// pushed.
	Metrics *obs.Agent
	// owner names this syncer's rounds in the round lease (see Round).
	owner string
}

func (s *Syncer) round(ctx context.Context) (Result, error) {
	var res Result
	e, err := s.St.Enrollment(ctx)
	if err != nil {
		return res, err
	}
	c, err := NewClient(e.HubURL, e.Credential, s.ClientCfg, s.Log)
	if err != nil {
		return res, err
	}
	if v, _ := s.St.Meta(ctx, store.MetaRelease); v != "" {
		c.SetRelease(v)
	}
	res.Step = "status"
	st, err := s.status(ctx, c, e, &res)
	if err != nil {
		return res, err
	}

	s.progress(Progress{Phase: "pull", Requeued: res.Requeued})
	res.Step = "pull"
	if err := s.pull(ctx, c); err != nil {
		return res, err
	}
	res.Release, _ = s.St.Meta(ctx, store.MetaRelease)
	c.SetRelease(res.Release)

	res.Step = "outbox"
	if err := s.prepareOutcomes(ctx); err != nil {
		return res, err
	}
	stats, err := s.St.Outbox.Outbox(ctx)
	if err != nil {
		return res, err
	}
	s.progress(Progress{Phase: "push", Pending: stats.Pending, Requeued: res.Requeued})
	res.Step = "push"
	if err := s.push(ctx, c, e, st.Generation, stats.Pending, &res); err != nil {
		return res, err
	}
	res.Step = ""
	s.progress(Progress{Phase: "done", Sent: res.Sent, Pending: stats.Pending, Batches: res.Batches, Requeued: res.Requeued})
	return res, nil
}

// status asks the hub for this site's status and reconciles with it: the
// records it lost are queued again (res.Requeued), and so are the TA
// requests, which are then sent.
func (s *Syncer) status(ctx context.Context, c *Client, e store.Enrollment, res *Result) (contract.StatusResponse, error) {
	s.progress(Progress{Phase: "status"})
	st, err := c.Status(ctx)
	if err != nil {
		return st, err
	}
	if st.SiteID != e.SiteID {
		return st, fmt.Errorf("the hub says this credential belongs to site %s, not %s", st.SiteID, e.SiteID)
	}
	res.Requeued, err = s.St.Outbox.Reconcile(ctx, st.Generation, st.SiteSeq)
	if errors.Is(err, store.ErrHubSeqRange) {
		// Never adopted: the agent keeps numbering its batches from its
		// own counter, which the hub accepts.
		s.Log.Warn("sync: the hub reports a batch sequence out of range for this site; not adopting it", "hub_seq", st.SiteSeq)
		err = nil
	}
	if err != nil {
		return st, err
	}
	if res.Requeued > 0 {
		s.Log.Warn("sync: the hub is missing records this site sent before; sending them again", "records", res.Requeued, "hub_seq", st.SiteSeq)
	}

	if n, err := s.St.TA.ResendTARequestsIfLost(ctx, st.TARequests); err != nil {
		return st, err
	} else if n > 0 {
		s.Log.Warn("sync: the hub is missing TA requests this site sent before; sending them again", "requests", n, "hub_holds", st.TARequests)
	}
	if _, err := s.sendTARequests(ctx, c); err != nil {
		return st, err
	}
	return st, nil
}

// push sends the pending records in batches and counts their fates in res.
func (s *Syncer) push(ctx context.Context, c *Client, e store.Enrollment, generation string, pending int64, res *Result) error {
	max := s.BatchRecords
	if max <= 0 || max > contract.MaxBatchRecords {
		max = contract.MaxBatchRecords
	}
	// The next batch is read, encoded and compressed while the current one
	// is in flight; each batch is acknowledged (one small transaction) before
	// the next is sent, so an interruption sends at most one batch again.
	// Records re-versioned on the hub's answer move to the end of the log
	// and come in a later batch of the same round.
	prepare := func(after int64) (prepared, error) {
		b, err := s.St.Outbox.PendingBatch(ctx, after, max, contract.MaxBatchBytes*3/4)
		if err != nil || len(b.Records) == 0 {
			return prepared{batch: b}, err
		}
		body, err := EncodeBatch(contract.PushRequest{SiteID: e.SiteID, Records: b.Records}, c.PushEncoding())
		return prepared{batch: b, body: body, enc: c.PushEncoding()}, err
	}
	cur, err := prepare(0)
	if err != nil {
		return err
	}
	seq, err := s.St.NextBatchSeq(ctx)
	if err != nil {
		return err
	}
	for len(cur.batch.Records) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		type answer struct {
			resp contract.PushResponse
			err  error
		}
		done := make(chan answer, 1)
		go func(seq int64, p prepared) {
			resp, err := c.Push(ctx, uuid.NewString(), seq, p.body, p.enc)
			done <- answer{resp, err}
		}(seq, cur)
		next, prepErr := prepare(cur.batch.Last)
		ans := <-done
		if ans.err != nil {
			return ans.err
		}
		if prepErr != nil {
			return prepErr
		}
		if ans.resp.Generation != generation {
			return errors.New("the hub's generation changed during the round; the next round resends what it lost")
		}
		results, err := contract.ExpandResults(ans.resp, cur.batch.Records)
		if err != nil {
			return err
		}
		if seq, err = s.St.Outbox.Acknowledge(ctx, seq, cur.batch, results); err != nil {
			return err
		}
		s.count(res, ans.resp, results)
		s.progress(Progress{Phase: "push", Sent: res.Sent, Pending: pending, Batches: res.Batches, Requeued: res.Requeued})
		if len(next.batch.Records) == 0 && next.batch.Last == 0 {
			// Re-versioned records were written after next was read.
			if next, err = prepare(cur.batch.Last); err != nil {
				return err
			}
		}
		cur = next
	}
	return nil
}

// count adds a pushed batch's fates to res, logging the records the hub
// holds in another version or refused.
func (s *Syncer) count(res *Result, resp contract.PushResponse, results []contract.RecordResult) {
	res.Batches++
	stored := resp.Stored
	if !resp.Exceptions && resp.Acknowledged == 0 {
		stored = 0 // a hub before the counts: count the fates
		for _, r := range results {
			if r.Fate == contract.FateStored {
				stored++
			}
		}
	}
	res.Stored += stored
	for _, r := range results {
		switch {
		case r.Fate.Acknowledged():
			res.Sent++
		case r.HubVersion >= r.Version:
			s.Log.Warn("sync: the hub holds another version of a record; sending this site's content as a newer version", "record", r.ID, "hub_version", r.HubVersion)
		default:
			res.Conflicts++
			s.Log.Error("sync: the hub refused a record version", "record", r.ID, "version", r.Version, "fate", r.Fate, "detail", r.Detail)
		}
	}
}

func (s *Syncer) pull(ctx context.Context, c *Client) error {
	// A full page of certifications means there may be more: ask again from
	// the new cursor, a bounded number of times per round.
	for page := 0; page < 20; page++ {
		cursor, err := s.St.Meta(ctx, store.MetaPullCursor)
		if err != nil {
			return err
		}
		resp, err := c.Pull(ctx, cursor)
		if err != nil {
			return err
		}
		for _, r := range resp.Releases {
			if err := s.St.SaveRelease(ctx, r.Version, r.SHA256, r.Content); err != nil {
				return fmt.Errorf("release %s from the hub: %w", r.Version, err)
			}
			s.Log.Info("sync: release received", "release", r.Version)
		}
		if err := s.applyCertifications(ctx, resp.Certifications); err != nil {
			return err
		}
		if n, err := s.St.TA.SaveTAAnswers(ctx, resp.TAAnswers); err != nil {
			return fmt.Errorf("TA answers from the hub: %w", err)
		} else if n > 0 {
			s.Log.Info("sync: TA answers received", "requests", n)
		}
		if _, err := contract.ParsePullCursor(resp.Cursor); err != nil {
			return fmt.Errorf("the hub answered a malformed pull cursor: %w", err)
		}
		if err := s.St.SetMeta(ctx, store.MetaPullCursor, resp.Cursor); err != nil {
			return err
		}
		if len(resp.Certifications) < contract.MaxPullCertifications || resp.Cursor == cursor {
			break
		}
	}
	s.fetchFiles(ctx, c)
	return nil
}

// applyCertifications records the certifications the hub sent on the
// site's coaches. One the agent cannot use is logged and skipped, so it
// never blocks the stream.
func (s *Syncer) applyCertifications(ctx context.Context, certs []contract.CertificationWire) error {
	ok := certs[:0:0]
	for _, w := range certs {
		if err := store.ValidHubCertification(w); err != nil {
			s.Log.Warn("sync: certification from the hub skipped", "seq", w.Seq, "err", err)
			continue
		}
		ok = append(ok, w)
	}
	if len(ok) == 0 {
		return nil
	}
	n, err := s.St.Coaches.ApplyHubCertifications(ctx, ok)
	if err != nil {
		return fmt.Errorf("certifications from the hub: %w", err)
	}
	s.Log.Info("sync: certifications received", "certifications", len(ok), "coaches_updated", n)
	return nil
}

// fetchFiles downloads the files the site's release attaches that the agent
// does not hold yet. A file that cannot be fetched is tried again next
// round; it never fails the round.
func (s *Syncer) fetchFiles(ctx context.Context, c *Client) {
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil || len(rel.Files) == 0 {
		return
	}
	shas := make([]string, len(rel.Files))
	for i, f := range rel.Files {
		shas[i] = f.SHA256
	}
	have, err := s.St.Coaches.HaveKitFiles(ctx, shas)
	if err != nil {
		s.Log.Warn("sync: release files", "err", err)
		return
	}
	for _, f := range rel.Files {
		if have[f.SHA256] {
			continue
		}
		data, _, err := c.File(ctx, f.SHA256, max(f.Size, 1))
		if err == nil {
			err = s.St.Coaches.SaveKitFile(ctx, f.SHA256, f.MediaType, data)
		}
		if err != nil {
			s.Log.Warn("sync: release file not fetched", "file", f.SHA256, "err", err)
			continue
		}
		have[f.SHA256] = true
		s.Log.Info("sync: release file received", "file", f.SHA256, "bytes", len(data))
	}
}

type prepared struct {
	batch store.Batch
	body  []byte
	enc   string // the body's Content-Encoding
}

// Worker runs rounds every interval and whenever Trigger is called, until
// ctx ends. A failed round is retried at the next tick; the site keeps
// working meanwhile.
type Worker struct {
	S        *Syncer
	Interval time.Duration
	trigger  chan struct{}
}

// NewWorker makes a worker.
func NewWorker(s *Syncer, every time.Duration) *Worker {
	return &Worker{S: s, Interval: every, trigger: make(chan struct{}, 1)}
}

// Trigger asks for a round soon.
func (w *Worker) Trigger() {
	select {
	case w.trigger <- struct{}{}:
	default:
	}
}

// Run loops until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		if _, err := w.S.St.Enrollment(ctx); err == nil {
			res, err := w.S.Round(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				w.S.Log.Error("sync round failed", "err", err)
			case err == nil && (res.Sent > 0 || res.Requeued > 0):
				w.S.Log.Info("sync round", "sent", res.Sent, "stored", res.Stored, "batches", res.Batches, "conflicts", res.Conflicts, "ms", res.Duration.Milliseconds())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.trigger:
		}
	}
}

// prepareOutcomes brings the computed records up to date once a day (a new
// program month begins without any change at the site) and hands waiting
// surveys to the outbox when enough of them wait.
func (s *Syncer) prepareOutcomes(ctx context.Context) error {
	today := s.St.Now().Format(time.DateOnly)
	if done, err := s.St.Meta(ctx, store.MetaOutcomesRefreshed); err != nil {
		return err
	} else if done != today {
		if err := s.St.Outcomes.RefreshOutcomes(ctx); err != nil {
			return fmt.Errorf("refresh outcomes: %w", err)
		}
		if err := s.St.SetMeta(ctx, store.MetaOutcomesRefreshed, today); err != nil {
			return err
		}
	}
	n, err := s.St.Surveys.ReleaseSurveys(ctx, s.SurveyBatch)
	if n > 0 {
		s.Log.Info("sync: surveys released to the outbox", "surveys", n)
	}
	return err
}
