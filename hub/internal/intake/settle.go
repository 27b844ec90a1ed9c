package intake

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
)

// settledBelow is, on PostgreSQL, the ingest mark below which every
// transaction has ended: the oldest transaction id still running (the
// current snapshot's xmin). Records stored below it are all visible now,
// and none can be stored there later.
const settledBelow = "CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint)"

// settleWait is how long ProjectPending waits for the transactions that
// hold records back, when those records are all that is left.
const settleWait = 2 * time.Second

// unsettledMark is the highest mark of the records after the watermark
// that the projector may not read yet (committed, but a transaction older
// than theirs still runs), or 0.
func unsettledMark(tx *gorm.DB) (int64, error) {
	mark, err := store.ProjectedMark(tx)
	if err != nil {
		return 0, err
	}
	var n *int64
	err = tx.Raw("SELECT MAX(r.xact) FROM records r WHERE "+store.AfterMark("r")+" AND r.xact >= "+settledBelow, mark.Xact, mark.RecordID).Scan(&n).Error
	if err != nil || n == nil {
		return 0, err
	}
	return *n, nil
}

// awaitSettled waits, up to settleWait, until every transaction older than
// the mark has ended, and says whether they did.
func (s *Store) awaitSettled(ctx context.Context, mark int64) (bool, error) {
	deadline := time.Now().Add(settleWait)
	pause := time.Millisecond
	for {
		var below int64
		if err := s.DB.WithContext(ctx).Raw("SELECT " + settledBelow).Scan(&below).Error; err != nil {
			return false, err
		}
		if below > mark {
			return true, nil
		}
		if time.Now().Add(pause).After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}
