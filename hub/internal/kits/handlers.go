package kits

import "github.com/itsmylife/iml/hub/internal/web"

// Handlers is the training kits' HTTP surface: the staff API and pages
// for releases, drafts and their files, and the files agents download.
type Handlers struct {
	*web.Base
	kits *Store
}

// NewHandlers returns the kits' handlers.
func NewHandlers(b *web.Base) *Handlers { return &Handlers{Base: b, kits: New(b.St)} }
