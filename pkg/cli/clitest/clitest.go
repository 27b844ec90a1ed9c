// Package clitest checks a program's command tree: that every flag has its
// environment variable, that the variable sets it, and that the operator
// guide lists the variables of the program's settings.
package clitest

import (
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/itsmylife/iml/pkg/cli"
)

// Flag is a flag where a command defines it.
type Flag struct {
	Path []string // the command's path below the root
	Flag *pflag.Flag
}

func (f Flag) String() string {
	return strings.TrimSpace(strings.Join(f.Path, " ") + " --" + f.Flag.Name)
}

// Flags walks the whole tree under root and returns every flag where it is
// defined (a persistent flag of the root once, at the root). Cobra's own
// help flag and its help and completion commands are left out.
func Flags(root *cobra.Command) []Flag {
	var out []Flag
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		add := func(f *pflag.Flag) {
			if f.Name != "help" {
				out = append(out, Flag{Path: path, Flag: f})
			}
		}
		c.LocalNonPersistentFlags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			walk(sub, append(path[:len(path):len(path)], sub.Name()))
		}
	}
	walk(root, nil)
	return out
}

// CheckEnv fails the test for any flag of the tree newRoot makes that has
// no environment variable, does not name it in its help, or shares it with
// a flag of another name; and, running each command with the variable set
// (and the command stopped just before it would do its work), for any
// flag the variable does not set, that the command line does not win
// over, or whose variable, given a value of the wrong kind, does not stop
// the command with an error naming the variable.
func CheckEnv(t *testing.T, newRoot func() *cobra.Command) {
	t.Helper()
	root := newRoot()
	byVar := map[string]string{}
	var leaf []string // a runnable command, to try the root's flags on
	for _, f := range Flags(root) {
		name := cli.EnvOf(f.Flag)
		switch {
		case name == "":
			t.Errorf("%s has no environment variable", f)
			continue
		case !strings.Contains(f.Flag.Usage, name):
			t.Errorf("%s: its help does not name %s: %q", f, name, f.Flag.Usage)
		}
		if other, ok := byVar[name]; ok && other != f.Flag.Name {
			t.Errorf("%s and --%s share %s", f, other, name)
		}
		byVar[name] = f.Flag.Name
		if leaf == nil && len(f.Path) > 0 {
			leaf = f.Path
		}
	}
	if len(byVar) == 0 {
		t.Fatal("no flags found")
	}
	for _, f := range Flags(root) {
		name := cli.EnvOf(f.Flag)
		if name == "" {
			continue
		}
		path := f.Path
		if len(path) == 0 {
			path = leaf
		}
		t.Run(f.String(), func(t *testing.T) {
			value := otherValue(t, f.Flag)
			want := parsed(t, newRoot, path, f.Flag.Name, value)
			t.Setenv(name, value)
			if got, err := run(newRoot, path, f.Flag.Name); err != nil || got != want {
				t.Errorf("with %s=%s: --%s is %q (err %v), want %q", name, value, f.Flag.Name, got, err, want)
			}
			if got, err := run(newRoot, path, f.Flag.Name, "--"+f.Flag.Name+"="+f.Flag.DefValue); err != nil || got != f.Flag.DefValue {
				t.Errorf("with %s=%s and --%s=%s on the command line: %q (err %v), want the command line's", name, value, f.Flag.Name, f.Flag.DefValue, got, err)
			}
			if f.Flag.Value.Type() != "string" {
				t.Setenv(name, "not-a-value")
				if _, err := run(newRoot, path, f.Flag.Name); err == nil || !strings.Contains(err.Error(), name) {
					t.Errorf("with %s=not-a-value: %v, want an error naming the variable", name, err)
				}
			}
			if alias := cli.AliasOf(f.Flag); alias != "" {
				t.Setenv(name, "")
				t.Setenv(alias, value)
				if got, err := run(newRoot, path, f.Flag.Name); err != nil || got != want {
					t.Errorf("with the deprecated %s=%s: --%s is %q (err %v), want %q", alias, value, f.Flag.Name, got, err, want)
				}
			}
		})
	}
}

// CheckRule fails the test for any flag whose environment variable breaks
// the rule the help states (cli.RuleName): prefix_FLAG for the flags of
// the root and of the settings commands, prefix_COMMAND_FLAG for the
// others.
func CheckRule(t *testing.T, root *cobra.Command, prefix string, settings ...string) {
	t.Helper()
	for _, f := range Flags(root) {
		short := len(f.Path) == 0 || len(f.Path) == 1 && slices.Contains(settings, f.Path[0])
		if want := cli.RuleName(prefix, f.Path, short, f.Flag.Name); cli.EnvOf(f.Flag) != want {
			t.Errorf("%s reads %s; the rule names %s", f, cli.EnvOf(f.Flag), want)
		}
	}
}

var errStop = errors.New("stopped before the command's work")

// run executes the command at path (with any arguments it needs) and
// returns the value flag has when the command would start its work.
func run(newRoot func() *cobra.Command, path []string, flag string, args ...string) (string, error) {
	root := newRoot()
	cmd, _, err := root.Find(path)
	if err != nil {
		return "", err
	}
	var got string
	cmd.PreRunE = func(c *cobra.Command, _ []string) error {
		got = c.Flags().Lookup(flag).Value.String()
		return errStop
	}
	argv := append(append([]string{}, path...), args...)
	if cmd.ValidateArgs(nil) != nil {
		argv = append(argv, "participants")
	}
	root.SetArgs(argv)
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	if err := root.Execute(); !errors.Is(err, errStop) {
		return got, err
	}
	return got, nil
}

// parsed is how the flag reads after being given value.
func parsed(t *testing.T, newRoot func() *cobra.Command, path []string, flag, value string) string {
	cmd, _, err := newRoot().Find(path)
	if err != nil {
		t.Fatal(err)
	}
	f := cmd.Flags().Lookup(flag)
	if f == nil {
		f = cmd.InheritedFlags().Lookup(flag)
	}
	if err := f.Value.Set(value); err != nil {
		t.Fatal(err)
	}
	return f.Value.String()
}

// otherValue is a value of the flag's kind other than its default.
func otherValue(t *testing.T, f *pflag.Flag) string {
	pick := func(a, b string) string {
		if f.DefValue == a {
			return b
		}
		return a
	}
	switch f.Value.Type() {
	case "bool":
		return pick("true", "false")
	case "int", "uint64":
		return pick("7", "8")
	case "float64":
		return pick("0.37", "0.38")
	case "duration":
		return pick("7m0s", "8m0s")
	case "string":
		return "from-the-environment"
	}
	t.Fatalf("--%s: a flag of type %s; teach otherValue a value of it", f.Name, f.Value.Type())
	return ""
}

var tableVar = regexp.MustCompile("(?m)^\\| `(IML_[A-Z0-9_]+)` \\| `--([a-z0-9-]+)`")

// CheckDocumented fails the test for any flag of the commands at paths
// (nil for the root's own) whose variable the guide's table of settings
// does not list beside the flag ("| `IML_X` | `--x` ...").
func CheckDocumented(t *testing.T, root *cobra.Command, guide string, paths ...[]string) {
	t.Helper()
	b, err := os.ReadFile(guide)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, m := range tableVar.FindAllStringSubmatch(string(b), -1) {
		listed[m[1]] = m[2]
	}
	for _, f := range Flags(root) {
		for _, p := range paths {
			if strings.Join(f.Path, " ") != strings.Join(p, " ") {
				continue
			}
			name := cli.EnvOf(f.Flag)
			if flag, ok := listed[name]; !ok || flag != f.Flag.Name {
				t.Errorf("%s: %s does not list %s beside --%s", f, guide, name, f.Flag.Name)
			}
		}
	}
}
