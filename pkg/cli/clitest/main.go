package clitest

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
