package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/itsmylife/iml/pkg/dbx"
)

// AddAudit writes one audit entry.
func (s *Store) AddAudit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.Now()
	}
	// An attempt is audited even when its form's writes are barred
	// (dbx.BarWrites): the entry says what was tried and how it ended.
	return s.DB.WithContext(dbx.AllowWrites(ctx)).Create(&e).Error
}

// RecordJobRun notes a pass of background work that did something.
func (s *Store) RecordJobRun(ctx context.Context, r JobRun) error {
	return s.DB.WithContext(ctx).Create(&r).Error
}

// Lock is a PostgreSQL session advisory lock held on a connection of its
// own; on SQLite (one process) it holds nothing.
type Lock struct {
	conn *sql.Conn
	key  int32
}

// TryLock takes an advisory lock if no other session holds it, and returns
// nil and no error when another does. Advisory locks are database-wide: the
// lock is (key, hash of the current schema), so hubs in other schemas of
// the same database do not take each other's.
func (s *Store) TryLock(ctx context.Context, key int32) (*Lock, error) {
	if s.dialect != dbx.Postgres {
		return &Lock{key: key}, nil
	}
	db, err := s.DB.DB()
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, hashtext(current_schema()))", key).Scan(&got); err != nil {
		_ = conn.Close()
		return nil, err
	}
	if !got {
		_ = conn.Close()
		return nil, nil
	}
	return &Lock{conn: conn, key: key}, nil
}

// ErrLockLost tells the holder of a lock that its connection died (and so
// the lock is gone).
var ErrLockLost = errors.New("the advisory lock's connection was lost")

// Check reports whether the lock is still held.
func (l *Lock) Check(ctx context.Context) error {
	if l.conn == nil {
		return nil
	}
	if err := l.conn.PingContext(ctx); err != nil {
		return ErrLockLost
	}
	return nil
}

// Release gives the lock up and closes its connection.
func (l *Lock) Release() {
	if l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1, hashtext(current_schema()))", l.key)
	_ = l.conn.Close()
}
