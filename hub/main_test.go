package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain runs the program itself when a test starts this test binary
// with IML_TEST_RUN_MAIN=1 (see runMain), so tests can watch a real
// process: its exit status, its output and its log.
func TestMain(m *testing.M) {
	if os.Getenv("IML_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runMain runs the hub with args in a process of its own, with none of the
// IML_ variables of the test's environment, and returns its exit code,
// standard output and standard error (the log).
func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...) //nolint:gosec // G204: the test starts its own binary with arguments it chose
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IML_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "IML_TEST_RUN_MAIN=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("hub %s did not end within the deadline; output %s %s", strings.Join(args, " "), out.String(), errb.String())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}
