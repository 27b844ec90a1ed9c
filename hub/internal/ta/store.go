// Package ta is technical assistance: first-year plans and check-ins, contacts logged by specialists, the requests sites raise and the specialist's work list.
package ta

import "github.com/itsmylife/iml/hub/internal/store"

// Store is the ta queries over the hub's database.
type Store struct{ *store.Store }

// New returns the ta queries over st.
func New(st *store.Store) *Store { return &Store{st} }
