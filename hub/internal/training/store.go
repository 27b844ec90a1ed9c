// Package training is training and certification: trainees, training events and attendance, modules, director sessions, certifications and their public verification.
package training

import "github.com/itsmylife/iml/hub/internal/store"

// Store is the training queries over the hub's database.
type Store struct{ *store.Store }

// New returns the training queries over st.
func New(st *store.Store) *Store { return &Store{st} }
