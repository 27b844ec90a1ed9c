package auth

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/secret"
)

// ErrNoSession is returned for a token that opens no current session: none
// given, unknown, ended or expired.
var ErrNoSession = errors.New("no such session")

// Sessions are the sign-in sessions one kind of account keeps in one table
// (hub staff, site staff, participants with journal access). The table has
// at least hash (the SHA-256 of the token, its key), the subject column,
// csrf, expires_at and created_at; a program may keep more columns of its
// own, given to Open and read back by FindSession into its own row type.
//
// The token itself is never stored: a stolen database opens no session.
type Sessions struct {
	Table   string        // e.g. "sessions"
	Subject string        // the column naming whose session it is, e.g. "user_id"
	Prefix  string        // the token's prefix, which says which program made it
	TTL     time.Duration // how long a session lasts from its opening
}

// Open opens a session for subjectID on tx (a transaction when opening
// must agree with other writes) and returns its token. extra sets the
// program's own columns.
func (s Sessions) Open(tx *gorm.DB, subjectID string, now time.Time, extra map[string]any) (string, error) {
	tok := secret.Token(s.Prefix)
	row := map[string]any{
		"hash":       secret.Hash(tok),
		s.Subject:    subjectID,
		"csrf":       secret.Token(""),
		"expires_at": now.Add(s.TTL),
		"created_at": now,
	}
	for k, v := range extra {
		row[k] = v
	}
	if err := tx.Table(s.Table).Create(row).Error; err != nil {
		return "", err
	}
	return tok, nil
}

// FindSession reads the current session of token into the program's row
// type T (its gorm model of the table), or answers ErrNoSession.
func FindSession[T any](ctx context.Context, db *gorm.DB, s Sessions, token string, now time.Time) (T, error) {
	var row T
	if token == "" {
		return row, ErrNoSession
	}
	var rows []T
	if err := db.WithContext(ctx).Table(s.Table).Where("hash = ? AND expires_at > ?", secret.Hash(token), now).Limit(1).Find(&rows).Error; err != nil {
		return row, err
	}
	if len(rows) == 0 {
		return row, ErrNoSession
	}
	return rows[0], nil
}

// End ends the session of token (signing out). Ending one that is not
// there is not an error.
func (s Sessions) End(ctx context.Context, db *gorm.DB, token string) error {
	return db.WithContext(ctx).Table(s.Table).Where("hash = ?", secret.Hash(token)).Delete(map[string]any{}).Error
}

// EndAll ends every session of subjectID (a password reset, an account
// disabled, access revoked).
func (s Sessions) EndAll(ctx context.Context, db *gorm.DB, subjectID string) error {
	return db.WithContext(ctx).Table(s.Table).Where(s.Subject+" = ?", subjectID).Delete(map[string]any{}).Error
}

// Prune deletes the sessions that expired before now.
func (s Sessions) Prune(ctx context.Context, db *gorm.DB, now time.Time) (int64, error) {
	res := db.WithContext(ctx).Table(s.Table).Where("expires_at <= ?", now).Delete(map[string]any{})
	return res.RowsAffected, res.Error
}
