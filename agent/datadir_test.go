package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// agentCmd runs an agent command in this process and returns its output.
func agentCmd(args ...string) (string, error) {
	root := rootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader("a password for the test\n"))
	root.SetArgs(append(args, "--log-level", "warn"))
	err := root.Execute()
	return out.String(), err
}

// entries lists what a directory holds ("missing" when it does not exist).
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return []string{"missing"}
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestRefusesDirectoryWithoutAgent: the commands that work on an agent
// refuse a data directory (or --db) that holds none, saying which and what
// to run, and create nothing there; demo-seed, which may start from
// nothing, makes one they then accept.
func TestRefusesDirectoryWithoutAgent(t *testing.T) {
	base := t.TempDir()
	csv := filepath.Join(base, "people.csv")
	if err := os.WriteFile(csv, []byte("name\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	commands := [][]string{
		{"sync"},
		{"user", "add", "--email", "dir@example.org", "--name", "Dana", "--password-stdin"},
		{"import", "coaches", "--file", csv},
		{"backup", "--to", filepath.Join(base, "backup.db")},
	}
	empty := filepath.Join(base, "empty")
	if err := os.Mkdir(empty, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, args := range commands {
		for _, where := range []struct{ dir, flag, value string }{
			{filepath.Join(base, "typo"), "--data-dir", filepath.Join(base, "typo")},
			{empty, "--data-dir", empty},
			{empty, "--db", filepath.Join(empty, "other.db")},
		} {
			out, err := agentCmd(append(args, where.flag, where.value)...)
			if err == nil {
				t.Errorf("agent %s %s %s: no error (%s)", strings.Join(args, " "), where.flag, where.value, out)
				continue
			}
			for _, want := range []string{where.value, "agent enroll"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("agent %s %s %s: %q does not say %q", args[0], where.flag, where.value, err, want)
				}
			}
			if got := entries(t, where.dir); len(got) > 0 && got[0] != "missing" {
				t.Errorf("agent %s %s %s created %v", args[0], where.flag, where.value, got)
			}
		}
	}
	if got := entries(t, filepath.Join(base, "typo")); got[0] != "missing" {
		t.Errorf("the mistyped directory was created: %v", got)
	}
	if _, err := os.Stat(filepath.Join(base, "backup.db")); !os.IsNotExist(err) {
		t.Errorf("a backup was written from no agent: %v", err)
	}

	// demo-seed starts from nothing; then the same commands find an agent.
	site := filepath.Join(base, "site")
	if out, err := agentCmd("demo-seed", "--participants", "3", "--data-dir", site); err != nil {
		t.Fatalf("demo-seed in a new directory: %v %s", err, out)
	}
	if out, err := agentCmd("user", "add", "--email", "dir@example.org", "--name", "Dana", "--role", "director", "--password-stdin", "--data-dir", site); err != nil || !strings.Contains(out, "account dir@example.org (director) added") {
		t.Fatalf("user add on an agent: %v %s", err, out)
	}
	// sync finds the agent, and then its missing enrollment.
	if _, err := agentCmd("sync", "--quiet", "--data-dir", site); err == nil || strings.Contains(err.Error(), "no agent in") {
		t.Errorf("sync on an agent that is not enrolled: %v", err)
	}

	// restore starts from nothing too, creating the data directory.
	backup := filepath.Join(base, "site-backup.db")
	if out, err := agentCmd("backup", "--to", backup, "--data-dir", site); err != nil {
		t.Fatalf("backup: %v %s", err, out)
	}
	moved := filepath.Join(base, "new-machine", "agent")
	if out, err := agentCmd("restore", "--from", backup, "--data-dir", moved); err != nil {
		t.Fatalf("restore into a new data directory: %v %s", err, out)
	}
	if out, err := agentCmd("user", "add", "--email", "coach@example.org", "--name", "Sam", "--password-stdin", "--data-dir", moved); err != nil {
		t.Fatalf("user add on the restored agent: %v %s", err, out)
	}
}
