package store

import "context"

// PendingProjection counts records not yet in the reporting tables.
func (s *Store) PendingProjection(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Model(&Record{}).Where("projected = ?", false).Count(&n).Error
	return n, err
}
