// Package staff is the staff accounts: users and role assignments, local and provider (OIDC) sign-in, sessions and reading the audit log.
package staff

import "github.com/itsmylife/iml/hub/internal/store"

// Store is the staff queries over the hub's database.
type Store struct{ *store.Store }

// New returns the staff queries over st.
func New(st *store.Store) *Store { return &Store{st} }
