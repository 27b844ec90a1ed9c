package store

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/auth"
)

// A participant's own access to their guided journal. The coach issues
// it: a sign-in name and a one-time start code, handed to the participant
// (on paper, in person). With the code the participant chooses their own
// PIN once; afterwards they sign in with the name and the PIN. The code
// and the PIN are kept only as bcrypt hashes; auth.MaxFailures wrong tries
// (codes and PINs together) lock the access for auth.LockoutPeriod, as for
// staff (auth.SignIn). A participant's session
// reaches their own journal and nothing else: its table and cookie are not
// the staff's, so no staff page or API accepts it.

// Participant access limits.
const (
	ParticipantSessionTTL = 2 * time.Hour
	StartCodeTTL          = 14 * 24 * time.Hour
	MinPINLen             = 6
	MaxPINLen             = 72
)

// Participant access errors.
var (
	ErrBadParticipantLogin = errors.New("the sign-in name or the PIN is wrong")
	ErrBadStartCode        = errors.New("the sign-in name or the start code is wrong, or the code has expired or was used")
)

// Entry authors: who entered a journal entry.
const (
	EnteredByStaff       = "staff"
	EnteredByParticipant = "participant"
)

// ParticipantAccount is a participant's access to their own journal.
type ParticipantAccount struct {
	ParticipantID string `gorm:"primaryKey"`
	Login         string
	CodeHash      string
	CodeExpiresAt *time.Time
	PINHash       string `gorm:"column:pin_hash"`
	FailedLogins  int
	LockedUntil   *time.Time
	IssuedBy      string
	IssuedAt      time.Time
	ActivatedAt   *time.Time
	RevokedAt     *time.Time
}

// ParticipantSession is a participant's signed-in session; only the
// token's hash is kept.
type ParticipantSession struct {
	Hash          string `gorm:"primaryKey"`
	ParticipantID string
	CSRF          string `gorm:"column:csrf"`
	ExpiresAt     time.Time
	CreatedAt     time.Time
}

// JournalAccess is what staff see of a participant's access.
type JournalAccess struct {
	Login         string     `json:"login"`
	State         string     `json:"state"` // none, waiting (for the first sign-in), active, locked, revoked
	IssuedAt      *time.Time `json:"issued_at"`
	CodeExpiresAt *time.Time `json:"code_expires_at"`
	ActivatedAt   *time.Time `json:"activated_at"`
	LockedUntil   *time.Time `json:"locked_until"`
}

// readable is the alphabet of sign-in names and start codes: no 0/O, 1/l/I.
const readable = "abcdefghjkmnpqrstuvwxyz23456789"

func readableToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("store: no randomness: " + err.Error())
	}
	for i := range b {
		b[i] = readable[int(b[i])%len(readable)]
	}
	return string(b)
}

// IssueJournalAccess gives a participant access to their own journal, or
// a new start code when they had one (the PIN, sessions and any lock-out
// are reset; the sign-in name stays). It returns the access and the start
// code, which is shown once and kept only as a hash.
func (s *journalStore) IssueJournalAccess(ctx context.Context, participantID, issuedBy string) (JournalAccess, string, error) {
	code := readableToken(10)
	h, err := bcrypt.GenerateFromPassword([]byte(code), bcrypt.DefaultCost)
	if err != nil {
		return JournalAccess{}, "", err
	}
	now := s.st.Now()
	var a ParticipantAccount
	err = s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		if p.WithdrawnAt != nil {
			return &ValidationError{Field: "participant", Msg: "The participant has withdrawn, so no journal access can be given"}
		}
		if err := tx.Limit(1).Find(&a, "participant_id = ?", participantID).Error; err != nil {
			return err
		}
		if a.Login == "" {
			a.Login = readableToken(8)
		}
		expires := now.Add(StartCodeTTL)
		a.ParticipantID, a.CodeHash, a.CodeExpiresAt, a.PINHash, a.FailedLogins, a.LockedUntil = participantID, string(h), &expires, "", 0, nil
		a.IssuedBy, a.IssuedAt, a.ActivatedAt, a.RevokedAt = issuedBy, now, nil, nil
		if err := participantSessions.EndAll(ctx, tx, participantID); err != nil {
			return err
		}
		return tx.Save(&a).Error
	})
	return a.view(now), code, err
}

// RevokeJournalAccess ends a participant's access and their sessions.
func (s *journalStore) RevokeJournalAccess(ctx context.Context, participantID string) error {
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&ParticipantAccount{}).Where("participant_id = ? AND revoked_at IS NULL", participantID).
			Updates(map[string]any{"revoked_at": s.st.Now(), "code_hash": "", "pin_hash": ""})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &MissingError{"journal access"}
		}
		return participantSessions.EndAll(ctx, tx, participantID)
	})
}

// JournalAccessOf is a participant's access as staff see it (State "none"
// when none was ever issued).
func (s *journalStore) JournalAccessOf(ctx context.Context, participantID string) (JournalAccess, error) {
	var a ParticipantAccount
	if err := s.st.DB.WithContext(ctx).Limit(1).Find(&a, "participant_id = ?", participantID).Error; err != nil {
		return JournalAccess{}, err
	}
	if a.Login == "" {
		return JournalAccess{State: "none"}, nil
	}
	return a.view(s.st.Now()), nil
}

// StartCodeWaiting reports whether code is the participant's start code
// still waiting for its first sign-in: not replaced by a newer one, used,
// revoked or expired (a page shows a code it was given only while it is).
func (s *journalStore) StartCodeWaiting(ctx context.Context, participantID, code string) (bool, error) {
	var a ParticipantAccount
	if err := s.st.DB.WithContext(ctx).Limit(1).Find(&a, "participant_id = ?", participantID).Error; err != nil {
		return false, err
	}
	if a.CodeHash == "" || a.RevokedAt != nil || a.PINHash != "" || a.CodeExpiresAt == nil || !s.st.Now().Before(*a.CodeExpiresAt) {
		return false, nil
	}
	return bcrypt.CompareHashAndPassword([]byte(a.CodeHash), []byte(code)) == nil, nil
}

// journalAccounts are participants' journal access as auth.SignIn sees
// it, found by sign-in name, with the secret secretOf picks (the start code
// or the PIN). An access that is revoked, or whose participant has
// withdrawn, is no account: nothing is counted against it. One that cannot
// be used that way (usable false: no PIN yet, the code used or expired)
// has no hash, and the attempt still counts.
type journalAccounts struct {
	s        *Store
	secretOf func(a ParticipantAccount, now time.Time) (hash string, usable bool)
}

func (j journalAccounts) FindAccount(ctx context.Context, login string) (auth.Account, error) {
	var a ParticipantAccount
	if err := j.s.DB.WithContext(ctx).Limit(1).Find(&a, "login = ?", strings.ToLower(strings.TrimSpace(login))).Error; err != nil {
		return auth.Account{}, err
	}
	if a.Login == "" || a.RevokedAt != nil {
		return auth.Account{}, nil
	}
	var p Participant
	if err := j.s.DB.WithContext(ctx).Limit(1).Find(&p, "id = ?", a.ParticipantID).Error; err != nil {
		return auth.Account{}, err
	}
	if p.ID == "" || p.WithdrawnAt != nil {
		return auth.Account{}, nil
	}
	acct := auth.Account{ID: a.ParticipantID, LockedUntil: a.LockedUntil}
	if h, ok := j.secretOf(a, j.s.Now()); ok {
		acct.Hash = h
	}
	return acct, nil
}

func (j journalAccounts) CountAttempt(ctx context.Context, id string, now time.Time) (auth.Attempts, error) {
	return auth.CountAttempt(ctx, j.s.DB, "participant_accounts", "participant_id", id, now)
}

func (j journalAccounts) ClearFailures(ctx context.Context, id string) error {
	return auth.ClearFailures(ctx, j.s.DB, "participant_accounts", "participant_id", id)
}

// checkParticipantSecret signs a participant in with a secret (auth.SignIn
// with secretOf), answering bad for a wrong one.
func (s *journalStore) checkParticipantSecret(ctx context.Context, login, given string, secretOf func(ParticipantAccount, time.Time) (string, bool), bad error) (auth.Account, error) {
	a, err := auth.SignIn(ctx, journalAccounts{s: s.st, secretOf: secretOf}, login, given, s.st.Now())
	if errors.Is(err, auth.ErrBadLogin) {
		return a, bad
	}
	return a, err
}

// validPIN checks a participant's chosen PIN.
func validPIN(pin string) error {
	if n := utf8.RuneCountInString(pin); n < MinPINLen || len(pin) > MaxPINLen {
		return &ValidationError{Field: "pin", Msg: "Choose a PIN of at least 6 characters (digits, letters or both)"}
	}
	return nil
}

// StartJournalAccess is the participant's first sign-in: with the start
// code they choose their PIN, which replaces the code. It opens a session.
func (s *journalStore) StartJournalAccess(ctx context.Context, login, code, pin string) (Participant, string, error) {
	if err := validPIN(pin); err != nil {
		return Participant{}, "", err
	}
	a, err := s.checkParticipantSecret(ctx, login, strings.ToLower(strings.TrimSpace(code)), func(a ParticipantAccount, now time.Time) (string, bool) {
		return a.CodeHash, a.CodeHash != "" && a.CodeExpiresAt != nil && now.Before(*a.CodeExpiresAt)
	}, ErrBadStartCode)
	if err != nil {
		return Participant{}, "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	if err != nil {
		return Participant{}, "", err
	}
	now := s.st.Now()
	upd := map[string]any{"pin_hash": string(h), "code_hash": "", "code_expires_at": nil, "activated_at": now}
	// The code works once: of two starts with it at the same moment, only
	// the one that finds it still unused replaces it.
	return s.openParticipantSession(ctx, a.ID, "code_hash = ?", a.Hash, upd, ErrBadStartCode)
}

// ParticipantLogin signs a participant in with their sign-in name and PIN.
func (s *journalStore) ParticipantLogin(ctx context.Context, login, pin string) (Participant, string, error) {
	a, err := s.checkParticipantSecret(ctx, login, pin, func(a ParticipantAccount, _ time.Time) (string, bool) {
		return a.PINHash, a.PINHash != ""
	}, ErrBadParticipantLogin)
	if err != nil {
		return Participant{}, "", err
	}
	// A PIN reset or a revocation since the check leaves no session.
	return s.openParticipantSession(ctx, a.ID, "pin_hash = ? AND revoked_at IS NULL", a.Hash, map[string]any{}, ErrBadParticipantLogin)
}

// openParticipantSession applies upd to the access of participantID when
// it still holds the secret just checked (cond with the hash checked), and
// opens a session; when it no longer does, it answers bad.
func (s *journalStore) openParticipantSession(ctx context.Context, participantID, cond, hash string, upd map[string]any, bad error) (Participant, string, error) {
	var tok string
	var p Participant
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if len(upd) > 0 {
			res := tx.Model(&ParticipantAccount{}).Where("participant_id = ? AND "+cond, participantID, hash).Updates(upd)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return bad
			}
		} else {
			var n int64
			if err := tx.Model(&ParticipantAccount{}).Where("participant_id = ? AND "+cond, participantID, hash).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return bad
			}
		}
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return err
		}
		var err error
		tok, err = participantSessions.Open(tx, participantID, s.st.Now(), nil)
		return err
	})
	if err != nil {
		return Participant{}, "", err
	}
	return p, tok, nil
}

// ParticipantBySession finds the participant of a session token: the
// session current, the access not revoked, the participant not withdrawn.
func (s *journalStore) ParticipantBySession(ctx context.Context, token string) (Participant, ParticipantSession, error) {
	var p Participant
	sess, err := auth.FindSession[ParticipantSession](ctx, s.st.DB, participantSessions, token, s.st.Now())
	if errors.Is(err, auth.ErrNoSession) {
		return p, sess, ErrNotFound
	}
	if err != nil {
		return p, sess, err
	}
	db := s.st.DB.WithContext(ctx)
	var n int64
	if err := db.Model(&ParticipantAccount{}).Where("participant_id = ? AND revoked_at IS NULL AND pin_hash <> ''", sess.ParticipantID).Count(&n).Error; err != nil {
		return p, sess, err
	}
	if err := db.First(&p, "id = ?", sess.ParticipantID).Error; err != nil {
		return p, sess, notFound(err)
	}
	if n == 0 || p.WithdrawnAt != nil {
		return p, sess, ErrNotFound
	}
	return p, sess, nil
}

// ParticipantLogout ends a participant's session.
func (s *journalStore) ParticipantLogout(ctx context.Context, token string) error {
	return participantSessions.End(ctx, s.st.DB, token)
}

// participantSessions are participants' sessions of their own journal.
var participantSessions = auth.Sessions{Table: "participant_sessions", Subject: "participant_id", Prefix: "imlpart_", TTL: ParticipantSessionTTL}

// AuditParticipant writes what a participant did with their own access to
// the audit log, under the participant's own id.
func (s *journalStore) AuditParticipant(ctx context.Context, p Participant, action, detail string) error {
	return s.st.Audit(ctx, User{ID: "participant:" + p.ID, Name: "the participant (own journal)"}, action, "participant", p.ID, detail)
}

func (a ParticipantAccount) view(now time.Time) JournalAccess {
	v := JournalAccess{Login: a.Login, State: "waiting", IssuedAt: &a.IssuedAt, CodeExpiresAt: a.CodeExpiresAt, ActivatedAt: a.ActivatedAt}
	switch {
	case a.RevokedAt != nil:
		v.State = "revoked"
	case a.LockedUntil != nil && now.Before(*a.LockedUntil):
		v.State, v.LockedUntil = "locked", a.LockedUntil
	case a.PINHash != "":
		v.State = "active"
	}
	if a.PINHash != "" || a.RevokedAt != nil {
		v.CodeExpiresAt = nil
	}
	return v
}
