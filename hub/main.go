// Command hub is the national organization's server: it enrolls sites,
// receives their de-identified outcomes, publishes program releases and shows
// national staff the aggregated results. Run `hub --help`.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "hub:", err)
		os.Exit(1)
	}
}
