package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/dbx"
)

// RecordMark is a place in the order the projector folds records in: by
// ingest mark (records.xact), then by id. Every record at or below the
// projector's watermark is in the reporting tables as its current version.
//
// The mark of a stored version is given by the transaction that stores it
// (IngestMark), and a record must never appear below a watermark already
// passed. On SQLite, which has one writer at a time, the mark is a counter
// taken under the write lock, so marks become visible in their order. On
// PostgreSQL it is the transaction's id (pg_current_xact_id), which is
// taken before the commit, and transactions commit in any order: a writer
// of records first takes the ingest lock (a shared advisory lock, before
// it has a transaction id), and the projector reads only the marks below
// SettledBound, the smallest id still held by such a writer (or not yet
// given to any transaction).
type RecordMark struct {
	Xact     int64
	RecordID string
}

// AfterMark is the condition on a records alias that its row comes after
// a mark; it takes the mark's Xact and RecordID as arguments.
func AfterMark(alias string) string { return "(" + alias + ".xact, " + alias + ".id) > (?, ?)" }

// ProjectedMark reads the projector's watermark in tx.
func ProjectedMark(tx *gorm.DB) (RecordMark, error) {
	var m RecordMark
	err := tx.Raw("SELECT xact, record_id FROM record_marks WHERE name = 'projected'").Row().Scan(&m.Xact, &m.RecordID)
	return m, err
}

// SetProjectedMark moves the projector's watermark, in the transaction
// that projects the records up to it.
func SetProjectedMark(tx *gorm.DB, m RecordMark) error {
	return tx.Exec("UPDATE record_marks SET xact = ?, record_id = ? WHERE name = 'projected'", m.Xact, m.RecordID).Error
}

// PGIngestMark is the ingest mark on PostgreSQL: the id of the transaction
// that stores the record (it assigns one when it has none).
const PGIngestMark = "CAST(CAST(pg_current_xact_id() AS text) AS bigint)"

// IngestLock is the key of the PostgreSQL advisory lock every transaction
// that writes records holds, shared, from its first statement (with the
// hash of the current schema, as the other advisory locks).
const IngestLock = 74_120_194

// LockIngest is the statement that takes the ingest lock: the first of a
// transaction that writes records on PostgreSQL.
const LockIngest = "SELECT pg_advisory_xact_lock_shared(74120194, hashtext(current_schema()))"

// SettledBound is, on PostgreSQL, a query for the ingest mark below which
// every record is visible to any statement that starts after it, and
// below which no record can be stored later: the least of the ids the
// writers holding the ingest lock have (those of its snapshot still in
// progress) and of the next id to be given. A writer that takes the lock
// later, or had no id yet, gets a larger one.
const SettledBound = `SELECT LEAST(CAST(CAST(pg_snapshot_xmax(pg_current_snapshot()) AS text) AS bigint), COALESCE((
SELECT MIN(CAST(CAST(x AS text) AS bigint)) FROM pg_snapshot_xip(pg_current_snapshot()) x
WHERE CAST(CAST(x AS text) AS bigint) % 4294967296 IN (
 SELECT CAST(CAST(a.backend_xid AS text) AS bigint) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND CAST(l.classid AS bigint) = 74120194 AND l.objsubid = 2
 AND CAST(l.objid AS bigint) = (CAST(hashtext(current_schema()) AS bigint) & 4294967295) AND a.backend_xid IS NOT NULL)), 9223372036854775807))`

// IngestMark gives the mark of the records tx stores, as an SQL expression
// and its arguments. On SQLite it takes the next value of the counter (tx
// holds the write lock from then to its commit); on PostgreSQL it takes
// the ingest lock, which must come before tx's first write.
func IngestMark(tx *gorm.DB) (string, []any, error) {
	if dbx.Dialect(tx) == dbx.Postgres {
		return PGIngestMark, nil, tx.Exec(LockIngest).Error
	}
	var n int64
	if err := tx.Raw("UPDATE record_marks SET xact = xact + 1 WHERE name = 'ingest' RETURNING xact").Scan(&n).Error; err != nil {
		return "", nil, err
	}
	return "?", []any{n}, nil
}

// PendingProjection counts records not yet in the reporting tables: those
// after the projector's watermark.
func (s *Store) PendingProjection(ctx context.Context) (int64, error) {
	db := s.DB.WithContext(ctx)
	m, err := ProjectedMark(db)
	if err != nil {
		return 0, err
	}
	var n int64
	err = db.Raw("SELECT COUNT(*) FROM records r WHERE "+AfterMark("r"), m.Xact, m.RecordID).Scan(&n).Error
	return n, err
}

// Waiting is the records not yet projected and when the first of them (in
// the projector's order, which is the order they were stored in) was
// stored: zero when none waits, or it has no time (stored before times
// were kept).
func (s *Store) Waiting(ctx context.Context) (n int64, oldest time.Time, err error) {
	if n, err = s.PendingProjection(ctx); err != nil || n == 0 {
		return n, time.Time{}, err
	}
	db := s.DB.WithContext(ctx)
	m, err := ProjectedMark(db)
	if err != nil {
		return n, time.Time{}, err
	}
	var v any
	if err := db.Raw("SELECT r.stored_at FROM records r WHERE "+AfterMark("r")+" ORDER BY r.xact, r.id LIMIT 1", m.Xact, m.RecordID).Row().Scan(&v); err != nil {
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
