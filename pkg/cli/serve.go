package cli

import (
	"context"
	"io"
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/itsmylife/iml/pkg/obs"
)

// Opened is what a serve command has open while it serves: its listener,
// its store and logger, and the registry of its metrics.
type Opened[S any] struct {
	Listener net.Listener
	Store    S
	Log      *slog.Logger
	Metrics  *prometheus.Registry
}

// OpenServe opens what a serve command needs, in the order both programs
// keep, runs serve with it, and closes it after: the address first (a
// program that cannot listen touches no database and starts no
// background work), then the store (open), then the metrics endpoint at
// metricsAddr.
func OpenServe[S io.Closer](ctx context.Context, addr, metricsAddr string, open func(context.Context) (S, *slog.Logger, error), serve func(Opened[S]) error) error {
	ln, err := Listen(addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	st, log, err := open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := obs.ServeMetrics(ctx, metricsAddr, log)
	if err != nil {
		return err
	}
	return serve(Opened[S]{Listener: ln, Store: st, Log: log, Metrics: reg})
}

// Background runs work in its own goroutine; the stop it returns cancels
// work's context and waits for work to end.
func Background(ctx context.Context, work func(context.Context)) (stop func()) {
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { work(wctx); close(done) }()
	return func() { cancel(); <-done }
}
