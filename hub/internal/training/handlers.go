package training

import "github.com/itsmylife/iml/hub/internal/web"

// Handlers is training and certification's HTTP surface: the staff API
// and pages for trainees, events and certifications, and the public
// verification of a certificate's code.
type Handlers struct {
	*web.Base
	training *Store
	certs    CertPolicy
}

// NewHandlers returns training's handlers; certs is how long a
// certification lasts and how far ahead its expiry is flagged.
func NewHandlers(b *web.Base, certs CertPolicy) *Handlers {
	return &Handlers{Base: b, training: New(b.St), certs: certs}
}
