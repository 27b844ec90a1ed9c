package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Meta keys of the sync round lease: one round at a time per database, be
// it the background round of agent serve or one of agent sync.
const (
	// MetaSyncRound is the round that runs: "<owner> <until>", the lease
	// ending at until (RFC 3339, nanoseconds) unless renewed.
	MetaSyncRound = "sync_round"
	// MetaSyncRoundLast is the last round that ended: "<owner> <ended>
	// <records sent>".
	MetaSyncRoundLast = "sync_round_last"
)

// LastRound is the last sync round that ended.
type LastRound struct {
	Owner string
	Ended time.Time
	Sent  int
}

// TakeSyncRound takes (or renews) the round lease for owner until until,
// unless another owner holds one that has not expired at now and that gone
// (when not nil) does not report as gone; ok says whether owner holds it.
func (s *outboxStore) TakeSyncRound(ctx context.Context, owner string, now, until time.Time, gone func(owner string) bool) (ok bool, err error) {
	err = s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		v, err := GetMeta(tx, MetaSyncRound)
		if err != nil {
			return err
		}
		if who, end, found := strings.Cut(v, " "); found && who != owner {
			if t, err := time.Parse(time.RFC3339Nano, end); err == nil && t.After(now) && (gone == nil || !gone(who)) {
				return nil
			}
		}
		ok = true
		return SetMeta(tx, MetaSyncRound, owner+" "+until.UTC().Format(time.RFC3339Nano))
	})
	return ok, err
}

// EndSyncRound gives up owner's round lease and records the round as the
// last one, with the records it sent.
func (s *outboxStore) EndSyncRound(ctx context.Context, owner string, ended time.Time, sent int) error {
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := SetMeta(tx, MetaSyncRoundLast, fmt.Sprintf("%s %s %d", owner, ended.UTC().Format(time.RFC3339Nano), sent)); err != nil {
			return err
		}
		return tx.Exec("DELETE FROM agent_meta WHERE key = ? AND value LIKE ?", MetaSyncRound, owner+" %").Error
	})
}

// LastSyncRound reads the last round that ended (zero when none did).
func (s *outboxStore) LastSyncRound(ctx context.Context) (LastRound, error) {
	v, err := s.st.Meta(ctx, MetaSyncRoundLast)
	if err != nil || v == "" {
		return LastRound{}, err
	}
	f := strings.Fields(v)
	if len(f) != 3 {
		return LastRound{}, nil
	}
	var r LastRound
	r.Owner = f[0]
	r.Ended, _ = time.Parse(time.RFC3339Nano, f[1])
	r.Sent, _ = strconv.Atoi(f[2])
	return r, nil
}
