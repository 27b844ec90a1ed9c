package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/cli/clitest"
)

// TestEveryFlagHasEnv: every flag of every agent command has its
// environment variable, named in its help and following the rule the help
// states, and the variable (or a deprecated alias) sets it (the command
// line winning); the operator guide's table lists those of the settings.
func TestEveryFlagHasEnv(t *testing.T) {
	clitest.CheckEnv(t, rootCmd)
	clitest.CheckRule(t, rootCmd(), "IML_AGENT", "serve")
	clitest.CheckDocumented(t, rootCmd(), filepath.Join("..", "docs", "operations.md"), nil, []string{"serve"})
}

// TestServeBusyPort: agent serve on an address another program holds
// exits non-zero saying so, before it creates a database or starts the
// background sync.
func TestServeBusyPort(t *testing.T) {
	clitest.CheckServeBusyPort(t, "agent", "background", "sync", "listening")
}

// TestServeTimeZone: agent serve --time-zone takes an IANA name, and
// refuses an unknown one before it starts, naming the setting.
func TestServeTimeZone(t *testing.T) {
	var o serveOptions
	o.addFlags(rootCmd())
	o.signInPerMinute, o.surveyPerMinute, o.every = 1, 1, 1
	o.zone = "America/Chicago"
	if err := o.check(); err != nil || o.clock.Loc == nil || o.clock.Loc.String() != "America/Chicago" {
		t.Fatalf("America/Chicago: %v %v", err, o.clock.Loc)
	}
	o.zone = "Mars/Olympus_Mons"
	if err := o.check(); err == nil || !strings.Contains(err.Error(), "IML_AGENT_TIME_ZONE") {
		t.Fatalf("an unknown zone: %v", err)
	}
	code, _, stderr := runMain(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "agent"), "--time-zone", "Nowhere/At_All")
	if code == 0 || !strings.Contains(stderr, "--time-zone") {
		t.Fatalf("agent serve with an unknown zone: exit %d, %q", code, stderr)
	}
}

// TestDeprecatedEnvAlias: a variable of an older version still sets its
// flag, with a warning naming the new one; the new one wins over it.
func TestDeprecatedEnvAlias(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "agent")
	code, _, stderr := clitest.RunMainEnv(t, "agent", []string{"IML_SURVEY_BATCH=0"}, "sync", "--data-dir", dir)
	if code == 0 || !strings.Contains(stderr, "IML_SURVEY_BATCH is deprecated; set IML_AGENT_SYNC_SURVEY_BATCH instead") || !strings.Contains(stderr, "--survey-batch 0: must be at least 1") {
		t.Fatalf("IML_SURVEY_BATCH=0: exit %d, %q", code, stderr)
	}
	code, _, stderr = clitest.RunMainEnv(t, "agent", []string{"IML_SURVEY_BATCH=0", "IML_AGENT_SYNC_SURVEY_BATCH=-1"}, "sync", "--data-dir", dir)
	if code == 0 || strings.Contains(stderr, "deprecated") || !strings.Contains(stderr, "--survey-batch -1: must be at least 1") {
		t.Fatalf("both set: exit %d, %q", code, stderr)
	}
}

// TestRangeErrorNamesTheVariable: a setting out of range that came from
// its environment variable is refused with the variable named.
func TestRangeErrorNamesTheVariable(t *testing.T) {
	code, _, stderr := clitest.RunMainEnv(t, "agent", []string{"IML_AGENT_SIGNIN_PER_MINUTE=-5"}, "serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "agent"))
	if code == 0 || !strings.Contains(stderr, "IML_AGENT_SIGNIN_PER_MINUTE") {
		t.Fatalf("IML_AGENT_SIGNIN_PER_MINUTE=-5: exit %d, %q", code, stderr)
	}
}
