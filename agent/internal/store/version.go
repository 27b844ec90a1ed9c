package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// The data version: a number that moves after every change committed to
// the database through the store, so that a page's figures computed on a
// snapshot can be kept until the next change (the home's due items, the
// participant list's rows, the enrollment every page names).
//
// It moves after the commit: a reader takes the version before its
// snapshot begins, so what it keeps under a version was read from a
// snapshot at least as new as every change that version counts. A change
// made by another process on the same file (the agent command line) is
// not counted: the figures it touches are read again at the next change
// through the store, or at the next minute at the latest (see figureKey).

// versionPool is the store's connection pool, which counts the changes:
// a statement that may write outside a transaction, and every committed
// transaction.
type versionPool struct {
	gorm.ConnPool
	n *atomic.Uint64
}

// versionTx is a transaction of the pool: its commit moves the version.
type versionTx struct {
	*sql.Tx
	n *atomic.Uint64
}

// writes tells a statement that may change the database (anything but a
// SELECT or a read-only PRAGMA).
func writes(query string) bool {
	q := strings.TrimSpace(query)
	return len(q) < 6 || !strings.EqualFold(q[:6], "SELECT")
}

func (p *versionPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := p.ConnPool.ExecContext(ctx, query, args...)
	p.n.Add(1)
	return res, err
}

func (p *versionPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := p.ConnPool.QueryContext(ctx, query, args...)
	if writes(query) {
		p.n.Add(1)
	}
	return rows, err
}

// BeginTx begins a transaction whose commit moves the version.
func (p *versionPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	b, ok := p.ConnPool.(gorm.TxBeginner)
	if !ok {
		return nil, gorm.ErrInvalidTransaction
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &versionTx{Tx: tx, n: p.n}, nil
}

// GetDBConn is the pool's database handle (gorm's DB()).
func (p *versionPool) GetDBConn() (*sql.DB, error) {
	if db, ok := p.ConnPool.(*sql.DB); ok {
		return db, nil
	}
	return nil, gorm.ErrInvalidDB
}

func (t *versionTx) Commit() error {
	err := t.Tx.Commit()
	t.n.Add(1)
	return err
}

// countChanges makes db's pool count the changes in n. It returns a
// handle on the same pool that does not count them, for the audit log:
// a line of it changes no figure a page keeps (none reads the log), and
// every view of a participant's record or of the stipends writes one, so
// counting them would throw the kept figures away at every such view.
func countChanges(db *gorm.DB, n *atomic.Uint64) (uncounted *gorm.DB) {
	uncounted = db.Session(&gorm.Session{NewDB: true, Context: context.Background()})
	p := &versionPool{ConnPool: db.ConnPool, n: n}
	db.ConnPool, db.Statement.ConnPool = p, p
	return uncounted
}

// Version is the data version: it moves after every change committed
// through the store.
func (s *Store) Version() uint64 { return s.version.Load() }

// figures keeps what pages compute from the data, until the data
// version moves: values by key, all of one version.
type figures struct {
	mu      sync.Mutex
	version uint64
	values  map[string]any
}

// maxFigures bounds the values kept for one version (a user and a day
// each, at most a few per page).
const maxFigures = 256

// get returns the value kept under key for version v.
func (f *figures) get(v uint64, key string) (any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.version != v {
		return nil, false
	}
	x, ok := f.values[key]
	return x, ok
}

// put keeps a value computed at version v; a value of an older version
// than the kept ones is dropped, a newer one replaces them all.
func (f *figures) put(v uint64, key string, x any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case v < f.version:
		return
	case v > f.version || f.values == nil || len(f.values) >= maxFigures:
		f.version, f.values = v, map[string]any{}
	}
	f.values[key] = x
}

// keptList answers a list read by read, kept under key until the data
// version moves (the version is taken before the read) or the minute
// changes; the caller gets its own copy of the slice.
func keptList[T any](s *Store, key string, read func() ([]T, error)) ([]T, error) {
	out, err := keptValue(s, key, func() ([]T, error) {
		out, err := read()
		return slices.Clone(out), err
	})
	return slices.Clone(out), err
}

// keptValue answers a value read by read, kept under key until the data
// version moves (the version is taken before the read) or the minute
// changes. The callers share it: they must not change it.
func keptValue[T any](s *Store, key string, read func() (T, error)) (T, error) {
	v := s.Version()
	key += "|" + s.Now().UTC().Format("2006-01-02T15:04")
	if x, ok := s.figures.get(v, key); ok {
		return x.(T), nil
	}
	out, err := read()
	if err == nil {
		s.figures.put(v, key, out)
	}
	return out, err
}

// Kept answers a value a page computes from the store's data (the
// participant list's table as drawn), kept under key as keptValue keeps
// its values: until the data version moves (the version is taken before
// read runs) or the minute changes. The key must say everything the value
// depends on besides the data and the day (the user, the query). The
// callers share the value: they must not change it.
func Kept[T any](s *Store, key string, read func() (T, error)) (T, error) {
	return keptValue(s, "page|"+key, read)
}
