// Command agent runs the It's My Life program at one implementing
// organization's site, on its own machine, with its own SQLite database, and
// syncs de-identified outcomes with the national hub. Run `agent --help`.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT says
// otherwise: an agent shares a small office machine, and a sync holds two
// batches in memory at a time, which the collector would otherwise let grow
// to twice that before collecting.
const defaultMemoryLimit = 32 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "agent:", err)
		os.Exit(1)
	}
}
