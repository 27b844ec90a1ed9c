// Package outcomes is the national outcomes: the rollups the projection keeps, the publication (every report with its small-cell suppression decided at once), the reports, the POM table and fidelity.
package outcomes

import "github.com/itsmylife/iml/hub/internal/store"

// Store is the outcomes queries over the hub's database.
type Store struct{ *store.Store }

// New returns the outcomes queries over st.
func New(st *store.Store) *Store { return &Store{st} }
