package cli

import (
	"os"
	"runtime/pprof"
)

// StartProfile writes a CPU profile to the file named by IML_CPUPROFILE, if
// set, until the returned function is called.
func StartProfile() func() {
	path := os.Getenv("IML_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	_ = pprof.StartCPUProfile(f)
	return func() { pprof.StopCPUProfile(); f.Close() }
}
