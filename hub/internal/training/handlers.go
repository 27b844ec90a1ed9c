package training

import (
	"github.com/itsmylife/iml/hub/internal/web"
)

// Handlers is training's HTTP surface: the staff API and pages for
// trainees and events, and a person's page with its forms, which issue,
// renew and revoke their certifications through Certifications.
type Handlers struct {
	*web.Base
	training *Store
	certs    CertPolicy
	// Certifications is certification's own HTTP surface.
	Certifications *CertHandlers
}

// CertHandlers is certification's HTTP surface: the staff API to issue,
// renew and revoke, the expiring list, the registry of an organization,
// and the public verification of a certificate's code.
type CertHandlers struct {
	*web.Base
	training *Store
	certs    CertPolicy
}

// NewHandlers returns training's handlers, with certification's; certs
// is how long a certification lasts and how far ahead its expiry is
// flagged.
func NewHandlers(b *web.Base, certs CertPolicy) *Handlers {
	st := New(b.St)
	return &Handlers{Base: b, training: st, certs: certs, Certifications: &CertHandlers{Base: b, training: st, certs: certs}}
}
