package store

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/itsmylife/iml/pkg/textx"
)

// IsDay reports whether s is a calendar date YYYY-MM-DD.
func IsDay(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// Today is the store's clock's date, YYYY-MM-DD (UTC).
func (s *Store) Today() string { return s.Now().UTC().Format(time.DateOnly) }

// EarliestDay is the first day a date of the program's records may be.
const EarliestDay = "2000-01-01"

// DayOrToday checks an optional date that may not be in the future nor
// before EarliestDay.
func (s *Store) DayOrToday(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return s.Today(), nil
	}
	if !IsDay(v) {
		return "", &ValidationError{Field: field, Msg: "Enter a date such as 2026-03-04"}
	}
	if v > s.Today() {
		return "", &ValidationError{Field: field, Msg: "Enter a day no later than today"}
	}
	if v < EarliestDay {
		return "", &ValidationError{Field: field, Msg: "Enter a day from " + EarliestDay + " on"}
	}
	return v, nil
}

// text checks a free-text field: plain text, at most max characters,
// required when min > 0.
func Text(field, v string, required bool, max int) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case !PlainText(v):
		return "", &ValidationError{Field: field, Msg: "Type this as plain text, without control characters"}
	case required && v == "":
		return "", &ValidationError{Field: field, Msg: "Enter the " + strings.ReplaceAll(field, "_", " ")}
	case utf8.RuneCountInString(v) > max:
		return "", &ValidationError{Field: field, Msg: fmt.Sprintf("Enter at most %d characters", max)}
	}
	return v, nil
}

// Name checks a required name: plain text of at most 200 characters.
func Name(v string) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", &ValidationError{Field: "name", Msg: "Enter a name"}
	case utf8.RuneCountInString(v) > 200:
		return "", &ValidationError{Field: "name", Msg: "Enter at most 200 characters"}
	case !PlainText(v):
		return "", &ValidationError{Field: "name", Msg: "Type this as plain text, without control characters"}
	}
	return v, nil
}

// OrgByID finds an organization by its id only.
func (s *Store) OrgByID(ctx context.Context, id string) (Organization, error) {
	var o Organization
	if !PlainText(id) || id == "" {
		return o, ErrNotFound
	}
	err := NotFound(s.DB.WithContext(ctx).First(&o, "id = ?", id).Error)
	return o, err
}

// NormalizeCertCode reads a code as people type it.
func NormalizeCertCode(code string) string {
	return strings.ToUpper(strings.Join(strings.Fields(code), ""))
}

// PlainText reports whether a string from a client can be compared with a
// text column: PostgreSQL refuses bytes that are not UTF-8 and NUL with an
// error. No row holds such a string.
func PlainText(s string) bool { return textx.Clean(s) }

func NotFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// ValidEmail checks an email address (at most 200 characters) and
// returns it lowercased.
func ValidEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 200 {
		return "", &ValidationError{Field: "email", Msg: "Enter an email address such as name@example.org"}
	}
	return email, nil
}

func LockFirst(tx *gorm.DB, dst any, query string, args ...any) error {
	return LockAll(tx).First(dst, append([]any{query}, args...)...).Error
}

// LockAll makes tx's next query lock the rows it reads (SELECT ... FOR
// UPDATE) until the transaction ends, on PostgreSQL. On SQLite a
// transaction already holds the whole database (it begins immediate).
func LockAll(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "postgres" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// NextSeq takes the next number of a change stream the agents pull (a
// hub_counters row: "ta_answers", "certifications"): the clock in
// microseconds, or one more than the last number when that is higher. The
// counter row stays locked until the transaction commits, so numbers
// become visible in order and a pull never passes one that commits later.
// Being at least the clock, numbers keep growing past what agents have
// seen even after the hub is restored from an older backup.
func NextSeq(tx *gorm.DB, name string, now time.Time) (int64, error) {
	if err := tx.Exec("UPDATE hub_counters SET value = CASE WHEN value + 1 > ? THEN value + 1 ELSE ? END WHERE name = ?",
		now.UnixMicro(), now.UnixMicro(), name).Error; err != nil {
		return 0, err
	}
	var v int64
	return v, tx.Raw("SELECT value FROM hub_counters WHERE name = ?", name).Scan(&v).Error
}
