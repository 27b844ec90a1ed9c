package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/auth/authtest"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// table is a table of accounts on a real database, signed in to through
// auth.SignIn with the shared CountAttempt and ClearFailures.
type table struct{ db *gorm.DB }

func (t table) FindAccount(ctx context.Context, name string) (auth.Account, error) {
	var rows []struct {
		ID, Hash    string
		LockedUntil *time.Time
	}
	if err := t.db.WithContext(ctx).Raw("SELECT id, hash, locked_until FROM accounts WHERE id = ?", name).Scan(&rows).Error; err != nil {
		return auth.Account{}, err
	}
	if len(rows) == 0 {
		return auth.Account{}, nil
	}
	return auth.Account{ID: rows[0].ID, Hash: rows[0].Hash, LockedUntil: rows[0].LockedUntil}, nil
}

func (t table) CountAttempt(ctx context.Context, id string, now time.Time) (auth.Attempts, error) {
	return auth.CountAttempt(ctx, t.db, "accounts", "id", id, now)
}

func (t table) ClearFailures(ctx context.Context, id string) error {
	return auth.ClearFailures(ctx, t.db, "accounts", "id", id)
}

func (t table) failures(tb testing.TB) int {
	tb.Helper()
	var n int
	if err := t.db.Raw("SELECT failed_logins FROM accounts WHERE id = 'ana'").Scan(&n).Error; err != nil {
		tb.Fatal(err)
	}
	return n
}

const rightPassword = "the right password"

// newTable opens the database dsn names with one account, "ana", whose
// password is rightPassword.
func newTable(t *testing.T, dsn string) table {
	t.Helper()
	db, err := dbx.Open(dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	ts := "DATETIME"
	if dbx.Dialect(db) == dbx.Postgres {
		ts = "TIMESTAMPTZ"
	}
	if err := db.Exec("CREATE TABLE accounts (id TEXT PRIMARY KEY, hash TEXT NOT NULL, failed_logins INTEGER NOT NULL DEFAULT 0, locked_until " + ts + ")").Error; err != nil {
		t.Fatal(err)
	}
	h, err := auth.HashPassword(rightPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("INSERT INTO accounts (id, hash) VALUES ('ana', ?)", h).Error; err != nil {
		t.Fatal(err)
	}
	return table{db: db}
}

// One attempt after another: MaxFailures wrong ones are each checked, the
// last locks the account, the right password is refused until the lock
// ends, and then signs in and clears the count.
func TestSignInLocksAfterMaxFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		accts := newTable(t, dsn)
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

		if _, err := auth.SignIn(ctx, accts, "nobody", rightPassword, now); !errors.Is(err, auth.ErrBadLogin) {
			t.Fatalf("an unknown account: %v, want ErrBadLogin", err)
		}
		for i := range auth.MaxFailures - 1 {
			if _, err := auth.SignIn(ctx, accts, "ana", "a wrong password", now); !errors.Is(err, auth.ErrBadLogin) {
				t.Fatalf("wrong password %d: %v, want ErrBadLogin", i+1, err)
			}
		}
		if a, err := auth.SignIn(ctx, accts, "ana", rightPassword, now); err != nil || a.ID != "ana" {
			t.Fatalf("the right password after %d failures: %+v, %v", auth.MaxFailures-1, a, err)
		}
		if n := accts.failures(t); n != 0 {
			t.Fatalf("a sign-in left %d failures counted", n)
		}
		for i := range auth.MaxFailures {
			if _, err := auth.SignIn(ctx, accts, "ana", "a wrong password", now); !errors.Is(err, auth.ErrBadLogin) {
				t.Fatalf("wrong password %d: %v, want ErrBadLogin", i+1, err)
			}
		}
		later := now.Add(time.Minute)
		_, err := auth.SignIn(ctx, accts, "ana", rightPassword, later)
		if !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("the right password while locked: %v, want ErrLocked", err)
		}
		if got, want := auth.RetryAfter(err, later), int((auth.LockoutPeriod - time.Minute).Seconds()); got != want {
			t.Fatalf("Retry-After %d s, want %d", got, want)
		}
		end := now.Add(auth.LockoutPeriod)
		if _, err := auth.SignIn(ctx, accts, "ana", rightPassword, end.Add(-time.Second)); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("the right password a second before the lock ends: %v, want ErrLocked", err)
		}
		if a, err := auth.SignIn(ctx, accts, "ana", rightPassword, end.Add(time.Second)); err != nil || a.ID != "ana" {
			t.Fatalf("the right password after the lock: %+v, %v", a, err)
		}
		// After the lock the count starts afresh: MaxFailures-1 wrong
		// passwords do not lock again.
		for range auth.MaxFailures - 1 {
			if _, err := auth.SignIn(ctx, accts, "ana", "a wrong password", end.Add(2*time.Second)); !errors.Is(err, auth.ErrBadLogin) {
				t.Fatalf("after the lock: %v, want ErrBadLogin", err)
			}
		}
	})
}

// An ended lock starts the count afresh at the next attempt, even with no
// sign-in in between; a lock set with the count at 0 (as older versions
// left it) still refuses.
func TestCountAttemptAroundALock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		accts := newTable(t, dsn)
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		if err := accts.db.Exec("UPDATE accounts SET failed_logins = 0, locked_until = ?", now.Add(10*time.Minute)).Error; err != nil {
			t.Fatal(err)
		}
		n, err := accts.CountAttempt(ctx, "ana", now)
		if err != nil || n.Failures <= auth.MaxFailures || n.LockedUntil == nil || !n.LockedUntil.Equal(now.Add(10*time.Minute)) {
			t.Fatalf("an attempt during a lock left at count 0: %+v, %v; want refused, the lock unchanged", n, err)
		}
		n, err = accts.CountAttempt(ctx, "ana", now.Add(10*time.Minute))
		if err != nil || n.Failures != 1 || n.LockedUntil != nil {
			t.Fatalf("the first attempt when the lock ends: %+v, %v; want 1 failure, no lock", n, err)
		}
		if _, err := accts.CountAttempt(ctx, "nobody", now); err == nil {
			t.Fatal("counting an attempt against no account succeeded")
		}
	})
}

// Forty wrong passwords at once: the count is taken in the database before
// each check, so exactly MaxFailures are checked and the rest refused as
// locked, and the right password, sent while the burst is still being
// answered and after it, is refused too.
func TestSignInParallelBurst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		accts := newTable(t, dsn)
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		wait := authtest.Burst(40, func() error {
			_, err := auth.SignIn(ctx, accts, "ana", "a wrong password", now)
			return err
		})
		// The right password once MaxFailures attempts are counted, while
		// the others may still be in flight.
		deadline := time.Now().Add(30 * time.Second)
		for accts.failures(t) < auth.MaxFailures {
			if time.Now().After(deadline) {
				t.Fatalf("the burst counted %d failures in 30 s", accts.failures(t))
			}
			time.Sleep(time.Millisecond) // polling, not waiting for a result
		}
		if a, err := auth.SignIn(ctx, accts, "ana", rightPassword, now); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("the right password during the burst: %+v, %v; want ErrLocked", a, err)
		}
		authtest.CheckLockout(t, wait(), auth.ErrBadLogin)
		if _, err := auth.SignIn(ctx, accts, "ana", rightPassword, now.Add(time.Minute)); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("the right password after the burst: %v; want ErrLocked", err)
		}
	})
}
