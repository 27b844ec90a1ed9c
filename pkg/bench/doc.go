// Package bench holds the benchmarks `make bench` runs. They start the real
// programs and PostgreSQL, and report each figure next to a baseline
// measured in the same run, because the machines they run on are noisy.
// The sync benchmark also reports the CPU time per record of each process
// (agent, hub, the hub's PostgreSQL backends), which says where to look
// next; IML_BENCH_PROFILE=dir adds CPU profiles of the hub and the agent.
package bench
