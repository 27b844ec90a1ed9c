package clitest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runMainVar is set in the environment of a test binary started to run a
// program's main instead of its tests.
const runMainVar = "IML_TEST_RUN_MAIN"

// MainOrTests is a program's TestMain: it runs the program itself (main)
// when a test started this test binary with RunMain, so tests can watch a
// real process (its exit status, its output and its log), and the tests
// otherwise.
func MainOrTests(m *testing.M, main func()) {
	if os.Getenv(runMainVar) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// RunMain runs the program (name, for messages) with args in a process of
// its own, with none of the IML_ variables of the test's environment, and
// returns its exit code, standard output and standard error (the log).
func RunMain(t *testing.T, name string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return RunMainEnv(t, name, nil, args...)
}

// RunMainEnv is RunMain with the variables env ("IML_X=value") set.
func RunMainEnv(t *testing.T, name string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...) //nolint:gosec // G204: the test starts its own binary with arguments it chose
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IML_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, env...), runMainVar+"=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s did not end within the deadline; output %s %s", name, strings.Join(args, " "), out.String(), errb.String())
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

// CheckServeBusyPort runs the program's serve (name, for messages) on an
// address another listener holds, with a data directory that does not
// exist yet, and fails the test unless it exits non-zero saying the
// address is in use, before it creates the directory or says any of
// quiet (what only a program that started would say).
func CheckServeBusyPort(t *testing.T, name string, quiet ...string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	dir := filepath.Join(t.TempDir(), name)
	code, stdout, stderr := RunMain(t, name, "serve", "--addr", addr, "--data-dir", dir, "--log-level", "debug")
	if code == 0 {
		t.Fatalf("%s serve on a busy address exited 0: %s %s", name, stdout, stderr)
	}
	if !strings.Contains(stderr, "cannot listen on "+addr) || !strings.Contains(stderr, "in use") {
		t.Errorf("no clear message about the busy address: %q", stderr)
	}
	for _, s := range quiet {
		if strings.Contains(stdout+stderr, s) {
			t.Errorf("output mentions %q although the %s could not listen: %s %s", s, name, stdout, stderr)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data directory was created (%v) although the %s could not listen", err, name)
	}
}
