package ta

import "github.com/itsmylife/iml/hub/internal/web"

// Handlers is technical assistance's HTTP surface: the requests sites
// raise (received over the sync protocol, answered in the pull), and the
// specialists' API and pages for requests and their work list.
type Handlers struct {
	*web.Base
	ta    *Store
	flags FidelityFlags
}

// NewHandlers returns TA's handlers; flags lists the sites outcome
// fidelity flags for a specialist's work list.
func NewHandlers(b *web.Base, flags FidelityFlags) *Handlers {
	return &Handlers{Base: b, ta: New(b.St), flags: flags}
}
