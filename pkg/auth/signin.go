package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Sign-in limits, the same for every account that signs in with a secret:
// hub staff, site staff and participants' own journal access.
const (
	// MaxFailures wrong secrets in a row lock the account.
	MaxFailures = 5
	// LockoutPeriod is how long the lock lasts.
	LockoutPeriod = 15 * time.Minute
)

// Sign-in errors. A store wraps ErrBadLogin in its own words (which secret
// was wrong); a locked account is refused with a *LockedError, which is
// ErrLocked.
var (
	ErrBadLogin = errors.New("the sign-in or the secret is wrong")
	ErrLocked   = errors.New("too many failed sign-ins: the account is locked for 15 minutes")
)

// LockedError refuses a sign-in to a locked account until Until.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return ErrLocked.Error() }

// Is makes a *LockedError match ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// RetryAfter is the number of whole seconds, at least 1, until the lock of
// err (a *LockedError) ends, for a Retry-After header; without a lock's
// end it is the whole LockoutPeriod.
func RetryAfter(err error, now time.Time) int {
	var le *LockedError
	if errors.As(err, &le) && le.Until.After(now) {
		return int((le.Until.Sub(now) + time.Second - 1) / time.Second)
	}
	return int(LockoutPeriod / time.Second)
}

// Account is an account as a sign-in sees it.
type Account struct {
	// ID is the account's key in its table; "" when there is no such
	// account or none whose failures are counted (revoked, withdrawn).
	ID string
	// Hash is the bcrypt hash the secret must match; "" when the account
	// cannot sign in this way (the check still takes its time, and the
	// failure counts).
	Hash string
	// LockedUntil is the end of the account's lock, if it has one.
	LockedUntil *time.Time
}

// Attempts is an account's failure count after an attempt was counted.
type Attempts struct {
	// Failures in a row, the attempt just counted included.
	Failures int
	// LockedUntil is the end of the account's lock, if it has one.
	LockedUntil *time.Time
}

// Accounts is what a sign-in needs of a store of accounts: the hub's
// staff, a site's staff and participants' journal access implement it.
type Accounts interface {
	// FindAccount finds the account a sign-in names.
	FindAccount(ctx context.Context, name string) (Account, error)
	// CountAttempt counts an attempt against the account, in one atomic
	// statement (CountAttempt does it for a table), and returns the
	// failures in a row counting it and the lock's end.
	CountAttempt(ctx context.Context, id string, now time.Time) (Attempts, error)
	// ClearFailures forgets the account's failures and lock.
	ClearFailures(ctx context.Context, id string) error
}

// SignIn checks a secret against the account name names. It returns the
// account as found (its ID and the Hash the secret matched), or ErrBadLogin (no such account, or a wrong secret), or a
// *LockedError.
//
// Every attempt is counted as a failure before the secret is checked
// (bcrypt takes tens of milliseconds), in one statement that returns the
// new count, and a right secret clears the count afterwards. So attempts
// made at the same moment each see the others: at most MaxFailures of them
// in a row are ever checked, the one that brings the count to MaxFailures
// locks the account for LockoutPeriod, and every later one is refused
// unchecked, a right secret too, until the lock ends.
func SignIn(ctx context.Context, accts Accounts, name, secret string, now time.Time) (Account, error) {
	a, err := accts.FindAccount(ctx, name)
	if err != nil {
		return Account{}, err
	}
	if a.ID == "" {
		CheckPassword("", secret) // as long as a wrong secret takes
		return Account{}, ErrBadLogin
	}
	if a.LockedUntil != nil && now.Before(*a.LockedUntil) {
		return Account{}, &LockedError{Until: *a.LockedUntil}
	}
	n, err := accts.CountAttempt(ctx, a.ID, now)
	if err != nil {
		return Account{}, err
	}
	if n.Failures > MaxFailures {
		until := now.Add(LockoutPeriod)
		if n.LockedUntil != nil {
			until = *n.LockedUntil
		}
		return Account{}, &LockedError{Until: until}
	}
	if !CheckPassword(a.Hash, secret) {
		return Account{}, ErrBadLogin
	}
	if err := accts.ClearFailures(ctx, a.ID); err != nil {
		return Account{}, err
	}
	a.LockedUntil = nil
	return a, nil
}

// CountAttempt is Accounts.CountAttempt for a table with the columns
// failed_logins (an integer) and locked_until (a time, NULL when not
// locked), whose key column is key. One UPDATE ... RETURNING, atomic on
// SQLite and PostgreSQL alike:
//
//   - a lock that has ended starts the count afresh at 1 (MaxFailures is
//     more than 1, so that attempt is not locked out);
//   - during a lock the count goes past MaxFailures (a lock set by an older
//     version with the count at 0 included), so the attempt is refused;
//   - otherwise the count goes up by one, and the attempt that brings it to
//     MaxFailures sets the lock to end LockoutPeriod after now.
//
// Every right-hand side reads the row as it was before the statement.
func CountAttempt(ctx context.Context, db *gorm.DB, table, key, id string, now time.Time) (Attempts, error) {
	var rows []struct {
		FailedLogins int
		LockedUntil  *time.Time
	}
	q := `UPDATE ` + table + ` SET
  failed_logins = CASE
    WHEN locked_until IS NOT NULL AND locked_until <= @now THEN 1
    WHEN locked_until IS NOT NULL AND failed_logins < @max THEN @max + 1
    ELSE failed_logins + 1 END,
  locked_until = CASE
    WHEN locked_until IS NOT NULL AND locked_until <= @now THEN NULL
    WHEN locked_until IS NULL AND failed_logins + 1 >= @max THEN @until
    ELSE locked_until END
WHERE ` + key + ` = @id
RETURNING failed_logins, locked_until`
	err := db.WithContext(ctx).Raw(q, map[string]any{"now": now, "max": MaxFailures, "until": now.Add(LockoutPeriod), "id": id}).Scan(&rows).Error
	if err != nil {
		return Attempts{}, err
	}
	if len(rows) != 1 {
		return Attempts{}, fmt.Errorf("count a sign-in attempt: %d rows of %s have %s %q", len(rows), table, key, id)
	}
	return Attempts{Failures: rows[0].FailedLogins, LockedUntil: rows[0].LockedUntil}, nil
}

// ClearFailures is Accounts.ClearFailures for a table as CountAttempt's.
func ClearFailures(ctx context.Context, db *gorm.DB, table, key, id string) error {
	return db.WithContext(ctx).Table(table).Where(key+" = ?", id).
		Updates(map[string]any{"failed_logins": 0, "locked_until": nil}).Error
}

// EmailAccounts are the accounts of a table with the columns id, email,
// password_hash and locked_until and the failure count CountAttempt keeps,
// found by email (trimmed, in lower case): the staff accounts of both
// programs.
type EmailAccounts struct {
	DB    *gorm.DB
	Table string
}

// FindAccount finds an account by email; ID is "" when there is none.
func (a EmailAccounts) FindAccount(ctx context.Context, email string) (Account, error) {
	var row struct {
		ID           string
		PasswordHash string
		LockedUntil  *time.Time
	}
	err := a.DB.WithContext(ctx).Table(a.Table).Select("id, password_hash, locked_until").
		Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Limit(1).Scan(&row).Error
	return Account{ID: row.ID, Hash: row.PasswordHash, LockedUntil: row.LockedUntil}, err
}

// CountAttempt counts an attempt on the account.
func (a EmailAccounts) CountAttempt(ctx context.Context, id string, now time.Time) (Attempts, error) {
	return CountAttempt(ctx, a.DB, a.Table, "id", id, now)
}

// ClearFailures clears the account's failures.
func (a EmailAccounts) ClearFailures(ctx context.Context, id string) error {
	return ClearFailures(ctx, a.DB, a.Table, "id", id)
}
