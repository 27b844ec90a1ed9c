// Package intake is the sync intake: sites and their credentials (enrollment, revocation), the records agents push, and their projection into the reporting tables.
package intake

import "github.com/itsmylife/iml/hub/internal/store"

// Store is the intake queries over the hub's database.
type Store struct{ *store.Store }

// New returns the intake queries over st.
func New(st *store.Store) *Store { return &Store{st} }
