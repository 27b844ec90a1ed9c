package intake

import (
	"sync/atomic"
	"time"

	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/hub/internal/training"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
)

// Handlers is the sync protocol's HTTP surface (docs/sync-protocol.md):
// enrollment, status, push and pull.
type Handlers struct {
	*web.Base
	intake   *Store
	ta       *ta.Store
	training *training.Store
	// answers makes the TA answer stream of the pull.
	answers *ta.Handlers
	// wake tells the projector there is new work.
	wake func()
	// pushes in flight and the end of the last one (unix nanoseconds): the
	// projector gives way to ingest (Quiet).
	pushing  atomic.Int64
	lastPush atomic.Int64
	// OnFates, when set, is told the fates of every push's records, by
	// fate (for the metrics).
	OnFates func(map[contract.Fate]int)
}

// NewHandlers returns the sync handlers; answers makes the pull's TA
// answers, and wake is called after records were stored.
func NewHandlers(b *web.Base, answers *ta.Handlers, wake func()) *Handlers {
	return &Handlers{Base: b, intake: New(b.St), ta: ta.New(b.St), training: training.New(b.St), answers: answers, wake: wake}
}

// Quiet reports whether no push is in flight or has ended within period.
func (s *Handlers) Quiet(period time.Duration) bool {
	return s.pushing.Load() == 0 && time.Since(time.Unix(0, s.lastPush.Load())) >= period
}
