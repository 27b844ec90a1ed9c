// Package outcomes is the national outcomes: the rollups the projection keeps, the publication (every report with its small-cell suppression decided at once), the reports, the POM table and fidelity.
package outcomes

import (
	"time"

	"github.com/itsmylife/iml/hub/internal/store"
)

// Store is the outcomes queries over the hub's database.
type Store struct{ *store.Store }

// New returns the outcomes queries over st.
func New(st *store.Store) *Store { return &Store{st} }

// PublishedAt is when the publication staff read for a minimum cell was
// built (zero before the first).
func (s *Store) PublishedAt(minCell int) time.Time {
	if minCell < 1 {
		minCell = DefaultMinCell
	}
	c := s.pubs()
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.cur[int64(minCell)]; p != nil {
		return p.started
	}
	return time.Time{}
}
