package affiliates

import (
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/hub/internal/web"
)

// Handlers is the affiliates' HTTP surface: the staff API and pages for
// organizations, their contacts and stages, and their first-year TA plan
// (shown and changed on the affiliate's page).
type Handlers struct {
	*web.Base
	affiliates *Store
	ta         *ta.Store
}

// NewHandlers returns the affiliates' handlers.
func NewHandlers(b *web.Base) *Handlers {
	return &Handlers{Base: b, affiliates: New(b.St), ta: ta.New(b.St)}
}
