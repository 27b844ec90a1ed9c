package store

import (
	"context"
	"time"

	"github.com/itsmylife/iml/pkg/dbx"
)

// PendingProjection counts records not yet in the reporting tables.
func (s *Store) PendingProjection(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Model(&Record{}).Where("projected = ?", false).Count(&n).Error
	return n, err
}

// Waiting is the records not yet projected and when the oldest of them
// was stored (zero when none waits, or none of them has a time: stored
// before times were kept).
func (s *Store) Waiting(ctx context.Context) (n int64, oldest time.Time, err error) {
	if n, err = s.PendingProjection(ctx); err != nil || n == 0 {
		return n, time.Time{}, err
	}
	var v any
	if err := s.DB.WithContext(ctx).Raw("SELECT MIN(stored_at) FROM records WHERE projected = false").Row().Scan(&v); err != nil {
		return n, time.Time{}, err
	}
	return n, dbx.TimeOf(v), nil
}

// SiteSync is an enrolled site and when it last pushed or pulled.
type SiteSync struct {
	ID       string
	LastSeen *time.Time
}

// SitesLastSync lists the enrolled sites that are not revoked, with when
// each last synced.
func (s *Store) SitesLastSync(ctx context.Context) ([]SiteSync, error) {
	var out []SiteSync
	err := s.DB.WithContext(ctx).Raw("SELECT id, last_seen_at AS last_seen FROM sites WHERE enrolled_at IS NOT NULL AND revoked_at IS NULL ORDER BY id").Scan(&out).Error
	return out, err
}
