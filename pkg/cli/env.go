package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envAnnotation is the flag annotation that holds a flag's environment
// variable.
const envAnnotation = "iml_env"

// EnvVar names the environment variable of the flag name of fs where the
// rule of BindEnv would name another: a variable both programs share
// (IML_LOG_LEVEL), or several commands (IML_SURVEY_BATCH).
func EnvVar(fs *pflag.FlagSet, name, variable string) {
	if err := fs.SetAnnotation(name, envAnnotation, []string{variable}); err != nil {
		panic(err) // a misspelt flag name in the program itself
	}
}

// EnvOf returns a flag's environment variable, "" if it has none.
func EnvOf(f *pflag.Flag) string {
	if v := f.Annotations[envAnnotation]; len(v) == 1 {
		return v[0]
	}
	return ""
}

// BindEnv gives every flag of root and of the commands under it an
// environment variable, names it at the end of the flag's help ("[VAR]")
// unless the help names it already, and makes root set each flag the
// command line leaves out from its variable, when that is set and not
// empty, before any command runs (so a variable also satisfies a required
// flag, and the command line wins over the environment).
//
// A flag's variable is the one EnvVar gave it or else, for the flags of
// root and of the commands in settings (the program's server, whose flags
// are its settings), prefix_FLAG (IML_HUB_ADDR for --addr), and for the
// flags of every other command prefix_COMMAND_FLAG, with the command's path
// below root (IML_HUB_SITE_ADD_TOKEN_TTL for hub site add --token-ttl).
// Call it once the tree is complete.
func BindEnv(root *cobra.Command, prefix string, settings ...*cobra.Command) {
	short := map[*cobra.Command]bool{root: true}
	for _, c := range settings {
		short[c] = true
	}
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		bind := func(f *pflag.Flag) {
			name := EnvOf(f)
			if name == "" {
				parts := []string{prefix}
				if !short[c] {
					parts = append(parts, path...)
				}
				name = envName(append(parts, f.Name))
				f.Annotations = withEnv(f.Annotations, name)
			}
			if !strings.Contains(f.Usage, name) {
				f.Usage += " [" + name + "]"
			}
		}
		c.LocalNonPersistentFlags().VisitAll(bind)
		c.PersistentFlags().VisitAll(bind)
		for _, sub := range c.Commands() {
			walk(sub, append(path[:len(path):len(path)], sub.Name()))
		}
	}
	walk(root, nil)
	next := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if err := ApplyEnv(cmd); err != nil {
			return err
		}
		if next != nil {
			return next(cmd, args)
		}
		return nil
	}
}

func withEnv(a map[string][]string, name string) map[string][]string {
	if a == nil {
		a = map[string][]string{}
	}
	a[envAnnotation] = []string{name}
	return a
}

// envName joins words into a variable name: IML_HUB + token-ttl gives
// IML_HUB_TOKEN_TTL.
func envName(words []string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(strings.Join(words, "_")))
}

// ApplyEnv sets every flag of cmd (its own and those it inherits) that
// has an environment variable and was not given on the command line from
// that variable, when it is set and not empty.
func ApplyEnv(cmd *cobra.Command) error {
	var errs []error
	fs := cmd.Flags()
	fs.VisitAll(func(f *pflag.Flag) {
		name := EnvOf(f)
		if name == "" || f.Changed {
			return
		}
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s: %w", name, err))
		}
	})
	return errors.Join(errs...)
}
