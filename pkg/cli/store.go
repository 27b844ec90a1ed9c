package cli

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"
)

// DataPath is where a program's database is: --db when given, else file
// under --data-dir.
func DataPath(db, dataDir, file string) string {
	if db != "" {
		return db
	}
	return filepath.Join(dataDir, file)
}

// OpenLogged makes the logger of --log-level (a level it cannot read opens
// nothing) and opens the program's store at path with it.
func OpenLogged[S any](ctx context.Context, level, path string, open func(context.Context, string, *slog.Logger) (S, error)) (S, *slog.Logger, error) {
	log, err := Logger(level)
	if err != nil {
		var none S
		return none, nil, err
	}
	st, err := open(ctx, path, log)
	return st, log, err
}

// WithLogged is WithStore for an open that also returns its logger, which
// the command does not need.
func WithLogged[S io.Closer](open func(context.Context) (S, *slog.Logger, error), run func(*cobra.Command, S) error) func(*cobra.Command, []string) error {
	return WithStore(func(ctx context.Context) (S, error) {
		st, _, err := open(ctx)
		return st, err
	}, run)
}
