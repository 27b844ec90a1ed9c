package clitest

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
)

// OpenStore opens a program's store (open, its store.Open) at file in the
// test's temporary directory, with a logger that discards, and closes it
// when the test ends.
func OpenStore[S io.Closer](t *testing.T, open func(context.Context, string, *slog.Logger) (S, error), file string) (S, *slog.Logger) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st, err := open(context.Background(), filepath.Join(t.TempDir(), file), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, log
}
