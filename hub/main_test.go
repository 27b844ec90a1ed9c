package main

import (
	"testing"

	"github.com/itsmylife/iml/pkg/cli/clitest"
)

// TestMain runs the hub itself when a test starts this test binary to run
// it (clitest.RunMain), and the tests otherwise.
func TestMain(m *testing.M) { clitest.MainOrTests(m, main) }
