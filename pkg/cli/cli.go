// Package cli holds what both programs' command lines share: logging set-up,
// flags' environment variables (BindEnv), signal handling and serving HTTP
// with a graceful shutdown.
package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/pkg/secret"
)

// Logger makes a JSON logger at a level ("debug", "info", "warn", "error").
func Logger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// SignalContext is cancelled on SIGINT or SIGTERM.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Serve listens on addr and serves h until ctx ends, then shuts down
// gracefully. ready, if not nil, is called with the bound address.
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger, ready func(net.Addr)) error {
	ln, err := Listen(addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	return ServeOn(ctx, ln, h, log)
}

// Listen binds addr, saying so plainly when another program holds it.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("cannot listen on %s: the address is in use (another program, or another instance of this one, listens there); stop it or choose another address with --addr", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// ServeOn serves h on ln until ctx ends, then shuts down gracefully. It
// closes ln.
func ServeOn(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// URLFor turns a bound address into a URL a person can open.
func URLFor(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Password reads a password from the first line of in when fromStdin, and
// otherwise makes a random one; generated tells the caller to show it once.
func Password(in io.Reader, fromStdin bool) (pw string, generated bool, err error) {
	if !fromStdin {
		return secret.Token("")[:20], true, nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return "", false, errors.New("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

// WithStore makes a cobra RunE that opens a store, runs the command with it
// and closes it, so subcommands do not repeat the opening and closing.
func WithStore[S io.Closer](open func(context.Context) (S, error), run func(*cobra.Command, S) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		st, err := open(cmd.Context())
		if err != nil {
			return err
		}
		defer st.Close()
		return run(cmd, st)
	}
}
