package server

import (
	"context"
	"errors"
	"time"

	"github.com/itsmylife/iml/hub/internal/store"
)

// Job is periodic background work (reminders, rollups) that must run once
// for the whole hub, not once per replica.
type Job struct {
	// Name identifies the job in the log and in job_runs.
	Name string
	// Every is how often it runs (checked at the projector's pace,
	// Config.ProjectEvery).
	Every time.Duration
	// Run does one pass and says how many items it handled; passes that
	// handled something are recorded in job_runs.
	Run func(ctx context.Context) (int, error)
}

// AddJob registers a job; call it before RunBackground.
func (s *Server) AddJob(j Job) { s.jobs = append(s.jobs, j) }

// backgroundLock is the PostgreSQL advisory lock key held by the replica
// that runs the background work.
const backgroundLock int32 = 74_120_193

// RunBackground runs the projector and the jobs until ctx ends, on one
// replica at a time: the one holding the background advisory lock (on
// SQLite, a single process, there is nothing to share). A replica that
// loses its lock's connection stops and goes back to trying.
func (s *Server) RunBackground(ctx context.Context) {
	for {
		lock, err := s.St.TryLock(ctx, backgroundLock)
		if err != nil && ctx.Err() == nil {
			s.Log.Error("background work: taking the lock", "err", err)
		}
		if lock != nil {
			s.Log.Info("background work runs on this replica", "replica", s.cfg.Replica)
			err := s.lead(ctx, lock)
			lock.Release()
			if ctx.Err() != nil {
				return
			}
			s.Log.Warn("background work: this replica stopped running it", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.ProjectEvery):
		}
	}
}

// lead runs the background work while the lock holds.
func (s *Server) lead(ctx context.Context, lock *store.Lock) error {
	t := time.NewTicker(s.cfg.ProjectEvery)
	defer t.Stop()
	due := make([]time.Time, len(s.jobs))
	for {
		if err := lock.Check(ctx); err != nil {
			return err
		}
		if _, err := s.projectOnce(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.Log.Error("projector", "err", err)
		}
		for i, j := range s.jobs {
			if now := time.Now(); !now.Before(due[i]) && ctx.Err() == nil {
				due[i] = now.Add(j.Every)
				s.runJob(ctx, j)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.project:
		case <-t.C:
		}
	}
}

func (s *Server) runJob(ctx context.Context, j Job) {
	start := s.St.Now()
	n, err := j.Run(ctx)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.Log.Error("background job", "job", j.Name, "err", err)
		}
		return
	}
	if n > 0 {
		if err := s.St.RecordJobRun(ctx, store.JobRun{Job: j.Name, Replica: s.cfg.Replica, StartedAt: start, FinishedAt: s.St.Now(), Items: n}); err != nil {
			s.Log.Error("background job: recording the run", "job", j.Name, "err", err)
		}
	}
}
