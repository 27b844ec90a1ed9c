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
// variable; aliasAnnotation holds the deprecated name it also reads.
const (
	envAnnotation   = "iml_env"
	aliasAnnotation = "iml_env_alias"
)

// EnvAlias gives the flag name of fs a deprecated environment variable,
// an older name read when the flag's own variable (BindEnv's rule) is
// unset, with a warning to use the new one.
func EnvAlias(fs *pflag.FlagSet, name, old string) {
	if err := fs.SetAnnotation(name, aliasAnnotation, []string{old}); err != nil {
		panic(err) // a misspelt flag name in the program itself
	}
}

// AliasOf returns a flag's deprecated environment variable, "" if none.
func AliasOf(f *pflag.Flag) string {
	if v := f.Annotations[aliasAnnotation]; len(v) == 1 {
		return v[0]
	}
	return ""
}

// RuleName is the environment variable BindEnv gives a flag: prefix_FLAG
// for a flag of the root or of a settings command (short),
// prefix_COMMAND_FLAG, with the command's path below the root, for the
// flags of every other command.
func RuleName(prefix string, path []string, short bool, flag string) string {
	parts := []string{prefix}
	if !short {
		parts = append(parts, path...)
	}
	return envName(append(parts, flag))
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
// A flag's variable is, for the flags of root and of the commands in
// settings (the program's server, whose flags are its settings),
// prefix_FLAG (IML_HUB_ADDR for --addr), and for the flags of every other
// command prefix_COMMAND_FLAG, with the command's path below root
// (IML_HUB_SITE_ADD_TOKEN_TTL for hub site add --token-ttl): RuleName,
// for every flag. Call it once the tree is complete.
func BindEnv(root *cobra.Command, prefix string, settings ...*cobra.Command) {
	short := map[*cobra.Command]bool{root: true}
	for _, c := range settings {
		short[c] = true
	}
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		bind := func(f *pflag.Flag) {
			name := RuleName(prefix, path, short[c], f.Name)
			f.Annotations = withEnv(f.Annotations, name)
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
// that variable, when it is set and not empty, else from its deprecated
// alias (EnvAlias), saying so on stderr.
func ApplyEnv(cmd *cobra.Command) error {
	var errs []error
	fs := cmd.Flags()
	fs.VisitAll(func(f *pflag.Flag) {
		name := EnvOf(f)
		if name == "" || f.Changed {
			return
		}
		v, ok := os.LookupEnv(name)
		if alias := AliasOf(f); (!ok || v == "") && alias != "" {
			if v, ok = os.LookupEnv(alias); ok && v != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: the environment variable %s is deprecated; set %s instead\n", alias, name)
				name = alias
			}
		}
		if !ok || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s: %w", name, err))
		}
	})
	return errors.Join(errs...)
}
