package staff

import (
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
)

// Handlers is the staff accounts' HTTP surface: sign-in (with a password
// or through an OpenID Connect provider) and sign-out, the accounts and
// their roles, and the audit log.
type Handlers struct {
	*web.Base
	staff *Store
	// secure marks cookies Secure (the hub is served over HTTPS).
	secure bool
	// signin guards the sign-in form against login CSRF.
	signin auth.FormGuard
	// oidc is the provider, nil for local accounts only.
	oidc *oidcClient
}

// NewHandlers returns the staff handlers; provider configures sign-in
// through an OpenID Connect provider (nil: local accounts only).
func NewHandlers(b *web.Base, secure bool, provider *OIDCConfig) *Handlers {
	h := &Handlers{Base: b, staff: New(b.St), secure: secure,
		signin: auth.FormGuard{Cookie: "iml_hub_signin", Secure: secure}}
	if provider != nil {
		h.oidc = &oidcClient{cfg: *provider}
	}
	return h
}
