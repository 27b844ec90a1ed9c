package intake

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
)

// settleWait is how long ProjectPending waits for the transactions that
// hold records back, when those records are all that is left.
const settleWait = 2 * time.Second

// unsettledMark is the highest mark of the records after the watermark
// that the projector may not read yet (at or above the settled bound: a
// writer of records older than theirs still runs), or 0.
func unsettledMark(tx *gorm.DB, bound int64) (int64, error) {
	mark, err := store.ProjectedMark(tx)
	if err != nil {
		return 0, err
	}
	var n *int64
	err = tx.Raw("SELECT MAX(r.xact) FROM records r WHERE "+store.AfterMark("r")+" AND r.xact >= ?", mark.Xact, mark.RecordID, bound).Scan(&n).Error
	if err != nil || n == nil {
		return 0, err
	}
	return *n, nil
}

// awaitSettled waits, up to settleWait, until the settled bound passes the
// mark (the writers of records that hold it back have ended), and says
// whether it did.
func (s *Store) awaitSettled(ctx context.Context, mark int64) (bool, error) {
	deadline := time.Now().Add(settleWait)
	pause := time.Millisecond
	for {
		var below int64
		if err := s.DB.WithContext(ctx).Raw(store.SettledBound).Scan(&below).Error; err != nil {
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
