// Command agent runs the It's My Life program at one implementing
// organization's site, on its own machine, with its own SQLite database, and
// syncs de-identified outcomes with the national hub. Run `agent --help`.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "agent:", err)
		os.Exit(1)
	}
}
