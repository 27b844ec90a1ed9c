package dbx_test

import (
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// The pragmas must really be in effect, and concurrent read-then-write
// transactions must not fail with SQLITE_BUSY.
func TestSQLitePragmasAndConcurrentWrites(t *testing.T) {
	db, err := dbx.Open(filepath.Join(t.TempDir(), "x", "a.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer dbx.Close(db)
	if err := dbx.CheckSQLitePragmas(db); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER)").Error; err != nil {
		t.Fatal(err)
	}
	db.Exec("INSERT INTO c VALUES (1, 0)")
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				tx := db.Begin()
				var n int
				tx.Raw("SELECT n FROM c WHERE id = 1").Scan(&n)
				if err := tx.Exec("UPDATE c SET n = ? WHERE id = 1", n+1).Error; err != nil {
					tx.Rollback()
					errs <- err
					continue
				}
				if err := tx.Commit().Error; err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write failed: %v", err)
	}
	var n int
	db.Raw("SELECT n FROM c WHERE id = 1").Scan(&n)
	if n != 400 {
		t.Fatalf("counter = %d, want 400 (lost updates)", n)
	}
}

// TestPoolKeepsItsConnections: bursts of as many transactions at once as
// a pool opens (all held open together), one after the other, reuse the
// connections the first burst opened instead of closing all but a few and
// opening them again (which on PostgreSQL starts a server process each
// time): on PostgreSQL's pool, and on SQLite's reader pool, whose deferred
// transactions run side by side (the main pool's take the write lock one
// at a time, so a burst there never holds more than one).
func TestPoolKeepsItsConnections(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		db, err := dbx.Open(dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer dbx.Close(db)
		if dbx.Dialect(db) == dbx.SQLite {
			if db, err = dbx.OpenSQLiteReader(dsn, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			defer dbx.Close(db)
		}
		sqlDB, _ := db.DB()
		n := sqlDB.Stats().MaxOpenConnections
		if n < 2 {
			t.Fatalf("pool of %d connections", n)
		}
		for range 5 {
			var ready, done sync.WaitGroup
			release := make(chan struct{})
			for range n {
				ready.Add(1)
				done.Add(1)
				go func() {
					defer done.Done()
					tx := db.Begin() // holds a connection until it ends
					defer tx.Rollback()
					var one int
					if err := tx.Raw("SELECT 1").Scan(&one).Error; err != nil || one != 1 {
						t.Errorf("select: %v %d", err, one)
					}
					ready.Done()
					<-release
				}()
			}
			ready.Wait() // n connections open at once
			close(release)
			done.Wait()
		}
		st := sqlDB.Stats()
		if st.MaxIdleClosed != 0 || st.OpenConnections != n {
			t.Fatalf("after 5 bursts of %d: %d connections closed as surplus idle ones, %d open", n, st.MaxIdleClosed, st.OpenConnections)
		}
	})
}
