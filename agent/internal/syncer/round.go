package syncer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
)

// RoundLease is how long a round holds the database's round lease unless
// renewed; a running round renews it every third of it, so the lease of a
// process that died ends within RoundLease.
var RoundLease = time.Minute

// roundOwner names a syncer's rounds in the round lease: its process, its
// machine and a random part, "<pid>@<host>/<uuid>".
func roundOwner() string {
	return fmt.Sprintf("%d@%s/%s", os.Getpid(), hostName(), uuid.NewString())
}

// hostName is this machine's name as a round owner names it.
func hostName() string {
	host, _ := os.Hostname()
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' || r == '@' {
			return '-'
		}
		return r
	}, host)
}

// processGone reports whether the process that holds a round lease is known
// to have ended: it ran on this machine and no process has its id any more
// (a killed agent sync). Anything else waits for the lease to expire.
func processGone(owner string) bool {
	pidHost, _, ok := strings.Cut(owner, "/")
	pidStr, host, ok2 := strings.Cut(pidHost, "@")
	if !ok || !ok2 {
		return false
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	if host != hostName() {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH)
}

// roundPoll is how often a round waiting for another checks the lease.
var roundPoll = 200 * time.Millisecond

// New makes a syncer with the default bounds.
func New(st *store.Store, log *slog.Logger) *Syncer {
	return &Syncer{St: st, Log: log, ClientCfg: DefaultClientConfig, BatchRecords: contract.MaxBatchRecords, SurveyBatch: store.DefaultSurveyBatch, owner: roundOwner()}
}

func (s *Syncer) progress(p Progress) {
	if s.OnProgress != nil {
		s.OnProgress(p)
	}
}

// Enroll exchanges a token for a credential and stores it. An agent that
// already holds a site's data can only be enrolled again as that site.
func Enroll(ctx context.Context, st *store.Store, hubURL, token string, log *slog.Logger) (store.Enrollment, error) {
	c, err := NewClient(hubURL, "", DefaultClientConfig, log)
	if err != nil {
		return store.Enrollment{}, err
	}
	siteID, err := st.Meta(ctx, store.MetaSiteID)
	if err != nil {
		return store.Enrollment{}, err
	}
	resp, err := c.Enroll(ctx, token, siteID)
	if err != nil {
		return store.Enrollment{}, err
	}
	e := store.Enrollment{HubURL: hubURL, SiteID: resp.SiteID, SiteName: resp.SiteName, OrgName: resp.OrgName, Credential: resp.Credential, Generation: resp.Generation}
	return e, st.SaveEnrollment(ctx, e)
}

// Round runs one sync round: status and reconcile, pull, then push until the
// outbox is empty. It records the outcome for the status page.
//
// One round runs at a time on a database, whichever process runs it: a
// round waits (reporting Phase "wait") while another holds the round lease,
// and its result says so (Waited, Before).
func (s *Syncer) Round(ctx context.Context) (Result, error) {
	began := time.Now()
	waited, end, err := s.takeRound(ctx)
	if err != nil {
		return Result{Duration: time.Since(began)}, err
	}
	var before *store.LastRound
	if last, err := s.St.Outbox.LastSyncRound(ctx); err == nil && last.Owner != s.owner && !last.Ended.Before(began) {
		before = &last
	}
	start := time.Now()
	res, err := s.round(ctx)
	res.Duration = time.Since(start)
	res.Waited, res.Before = waited, before
	defer func() { end(res.Sent) }()
	if m := s.Metrics; m != nil {
		m.Pushed.Add(float64(res.Sent))
		if err != nil {
			m.SyncRounds.WithLabelValues("failed").Inc()
			m.SyncErrors.WithLabelValues(cmp.Or(res.Step, "other")).Inc()
		} else {
			m.SyncRounds.WithLabelValues("ok").Inc()
		}
	}
	now := s.St.Now().Format(time.RFC3339)
	_ = s.St.SetMeta(context.WithoutCancel(ctx), store.MetaLastSync, now)
	if err != nil {
		_ = s.St.SetMeta(context.WithoutCancel(ctx), store.MetaLastError, err.Error())
		return res, err
	}
	_ = s.St.SetMeta(ctx, store.MetaLastError, "")
	_ = s.St.SetMeta(ctx, store.MetaLastSuccess, now)
	return res, nil
}

// takeRound waits until this syncer holds the database's round lease and
// keeps it renewed until end is called with the records the round sent;
// waited says whether another round held it.
func (s *Syncer) takeRound(ctx context.Context) (waited bool, end func(sent int), err error) {
	if s.owner == "" {
		s.owner = roundOwner()
	}
	for {
		now := time.Now()
		ok, err := s.St.Outbox.TakeSyncRound(ctx, s.owner, now, now.Add(RoundLease), processGone)
		if err != nil {
			return waited, nil, err
		}
		if ok {
			break
		}
		if !waited {
			waited = true
			s.progress(Progress{Phase: "wait"})
		}
		select {
		case <-ctx.Done():
			return waited, nil, ctx.Err()
		case <-time.After(roundPoll):
		}
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(RoundLease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				now := time.Now()
				if _, err := s.St.Outbox.TakeSyncRound(context.WithoutCancel(ctx), s.owner, now, now.Add(RoundLease), nil); err != nil {
					s.Log.Warn("sync: the round lease could not be renewed", "err", err)
				}
			}
		}
	}()
	return waited, func(sent int) {
		close(stop)
		<-stopped
		if err := s.St.Outbox.EndSyncRound(context.WithoutCancel(ctx), s.owner, time.Now(), sent); err != nil {
			s.Log.Warn("sync: the round lease could not be given up; it ends by itself", "err", err, "within", RoundLease.String())
		}
	}, nil
}
