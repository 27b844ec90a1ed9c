// Package kits is the training kits: program release drafts, their files, publication and retirement, and which release each site runs.
package kits

import "github.com/itsmylife/iml/hub/internal/store"

// Store is the kits queries over the hub's database.
type Store struct{ *store.Store }

// New returns the kits queries over st.
func New(st *store.Store) *Store { return &Store{st} }
