package contract

import (
	"sync"
	"sync/atomic"
)

// The hub reads millions of payloads that repeat a few strings: indicator
// and statement codes, releases, age bands, timepoints, models. Reading
// each as a new string is most of the allocations of a payload's check;
// intern hands out one shared string per distinct value instead.

// maxInterned bounds the table: strings past it (an agent sending codes
// no release has, say) are allocated as before, so no input makes the
// table grow without end.
const maxInterned = 1024

var (
	interned atomic.Pointer[map[string]string]
	internMu sync.Mutex
)

func init() {
	m := map[string]string{}
	for _, s := range append(append(append([]string{}, Timepoints...), AgeBands...), Models...) {
		m[s] = s
	}
	interned.Store(&m)
}

// intern returns b as a string, shared with earlier calls for the same
// bytes when the table holds it or has room for it.
func intern(b []byte) string {
	m := *interned.Load()
	if s, ok := m[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	if len(m) >= maxInterned || len(b) > 64 {
		return s
	}
	internMu.Lock()
	defer internMu.Unlock()
	cur := *interned.Load()
	if _, ok := cur[s]; ok || len(cur) >= maxInterned {
		return s
	}
	// Copy on write: readers never lock. The table fills quickly with
	// the codes of the releases in use and then stays as it is.
	next := make(map[string]string, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[s] = s
	interned.Store(&next)
	return s
}
