// Package bench holds the benchmarks `make bench` runs. They start the real
// programs and PostgreSQL, and report each figure next to a baseline
// measured in the same run, because the machines they run on are noisy.
package bench
