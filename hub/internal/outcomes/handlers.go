package outcomes

import "github.com/itsmylife/iml/hub/internal/web"

// Handlers is the outcomes' HTTP surface: the home page, the POM table,
// the outcomes report (with its print view and CSV exports) and fidelity,
// as the staff API and as pages.
type Handlers struct {
	*web.Base
	outcomes *Store
	minCell  int
	fidelity FidelityThresholds
}

// NewHandlers returns the outcomes' handlers: figures rest on at least
// minCell participants (or surveys), and fidelity flags sites below th.
func NewHandlers(b *web.Base, minCell int, th FidelityThresholds) *Handlers {
	return &Handlers{Base: b, outcomes: New(b.St), minCell: minCell, fidelity: th}
}
