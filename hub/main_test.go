package main

import (
	"testing"

	"github.com/itsmylife/iml/pkg/cli/clitest"
)

// TestMain runs the hub itself when a test starts this test binary to run
// it (runMain), and the tests otherwise.
func TestMain(m *testing.M) { clitest.MainOrTests(m, main) }

// runMain runs the hub with args in a process of its own (clitest.RunMain).
func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return clitest.RunMain(t, "hub", args...)
}
