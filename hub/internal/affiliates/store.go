// Package affiliates is the implementing organizations: their details, contacts and lifecycle stages.
package affiliates

import "github.com/itsmylife/iml/hub/internal/store"

// Store is the affiliates queries over the hub's database.
type Store struct{ *store.Store }

// New returns the affiliates queries over st.
func New(st *store.Store) *Store { return &Store{st} }
