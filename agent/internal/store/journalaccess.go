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
	"github.com/itsmylife/iml/pkg/secret"
)

// A participant's own access to their guided journal. The coach issues
// it: a sign-in name and a one-time start code, handed to the participant
// (on paper, in person). With the code the participant chooses their own
// PIN once; afterwards they sign in with the name and the PIN. The code
// and the PIN are kept only as bcrypt hashes; MaxFailures wrong tries lock
// the access for LockoutPeriod, as for staff. A participant's session
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
func (s *Store) IssueJournalAccess(ctx context.Context, participantID, issuedBy string) (JournalAccess, string, error) {
	code := readableToken(10)
	h, err := bcrypt.GenerateFromPassword([]byte(code), bcrypt.DefaultCost)
	if err != nil {
		return JournalAccess{}, "", err
	}
	now := s.Now()
	var a ParticipantAccount
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		if p.WithdrawnAt != nil {
			return &ValidationError{"participant", "has withdrawn; no journal access can be given"}
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
		if err := tx.Where("participant_id = ?", participantID).Delete(&ParticipantSession{}).Error; err != nil {
			return err
		}
		return tx.Save(&a).Error
	})
	return a.view(now), code, err
}

// RevokeJournalAccess ends a participant's access and their sessions.
func (s *Store) RevokeJournalAccess(ctx context.Context, participantID string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&ParticipantAccount{}).Where("participant_id = ? AND revoked_at IS NULL", participantID).
			Updates(map[string]any{"revoked_at": s.Now(), "code_hash": "", "pin_hash": ""})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &MissingError{"journal access"}
		}
		return tx.Where("participant_id = ?", participantID).Delete(&ParticipantSession{}).Error
	})
}

// JournalAccessOf is a participant's access as staff see it (State "none"
// when none was ever issued).
func (s *Store) JournalAccessOf(ctx context.Context, participantID string) (JournalAccess, error) {
	var a ParticipantAccount
	if err := s.DB.WithContext(ctx).Limit(1).Find(&a, "participant_id = ?", participantID).Error; err != nil {
		return JournalAccess{}, err
	}
	if a.Login == "" {
		return JournalAccess{State: "none"}, nil
	}
	return a.view(s.Now()), nil
}

// checkParticipantSecret finds the access of a sign-in name and checks a
// secret against one of its hashes (hashOf picks it), counting failures
// towards the lock-out. usable says whether the access may be used that
// way at all; when not, the check still takes a comparison's time.
func (s *Store) checkParticipantSecret(ctx context.Context, login, given string, hashOf func(ParticipantAccount) string,
	usable func(ParticipantAccount, time.Time) bool, bad error) (ParticipantAccount, error) {
	var a ParticipantAccount
	now := s.Now()
	if err := s.DB.WithContext(ctx).Limit(1).Find(&a, "login = ?", strings.ToLower(strings.TrimSpace(login))).Error; err != nil {
		return a, err
	}
	if a.LockedUntil != nil && now.Before(*a.LockedUntil) {
		return a, ErrLocked
	}
	h := ""
	if a.Login != "" && a.RevokedAt == nil && usable(a, now) {
		h = hashOf(a)
	}
	if !auth.CheckPassword(h, given) {
		if a.Login != "" && a.RevokedAt == nil {
			upd := map[string]any{"failed_logins": gorm.Expr("failed_logins + 1")}
			if a.FailedLogins+1 >= MaxFailures {
				upd["locked_until"], upd["failed_logins"] = now.Add(LockoutPeriod), 0
			}
			if err := s.DB.WithContext(ctx).Model(&ParticipantAccount{}).Where("participant_id = ?", a.ParticipantID).Updates(upd).Error; err != nil {
				return a, err
			}
		}
		return a, bad
	}
	var p Participant
	if err := s.DB.WithContext(ctx).First(&p, "id = ?", a.ParticipantID).Error; err != nil {
		return a, err
	}
	if p.WithdrawnAt != nil {
		return a, bad
	}
	return a, nil
}

// validPIN checks a participant's chosen PIN.
func validPIN(pin string) error {
	if n := utf8.RuneCountInString(pin); n < MinPINLen || len(pin) > MaxPINLen {
		return &ValidationError{"pin", "choose a PIN of at least 6 characters (digits, letters or both)"}
	}
	return nil
}

// StartJournalAccess is the participant's first sign-in: with the start
// code they choose their PIN, which replaces the code. It opens a session.
func (s *Store) StartJournalAccess(ctx context.Context, login, code, pin string) (Participant, string, error) {
	if err := validPIN(pin); err != nil {
		return Participant{}, "", err
	}
	a, err := s.checkParticipantSecret(ctx, login, strings.ToLower(strings.TrimSpace(code)), func(a ParticipantAccount) string { return a.CodeHash },
		func(a ParticipantAccount, now time.Time) bool {
			return a.CodeHash != "" && a.CodeExpiresAt != nil && now.Before(*a.CodeExpiresAt)
		}, ErrBadStartCode)
	if err != nil {
		return Participant{}, "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	if err != nil {
		return Participant{}, "", err
	}
	now := s.Now()
	upd := map[string]any{"pin_hash": string(h), "code_hash": "", "code_expires_at": nil, "activated_at": now}
	return s.openParticipantSession(ctx, a, upd)
}

// ParticipantLogin signs a participant in with their sign-in name and PIN.
func (s *Store) ParticipantLogin(ctx context.Context, login, pin string) (Participant, string, error) {
	a, err := s.checkParticipantSecret(ctx, login, pin, func(a ParticipantAccount) string { return a.PINHash },
		func(a ParticipantAccount, _ time.Time) bool { return a.PINHash != "" }, ErrBadParticipantLogin)
	if err != nil {
		return Participant{}, "", err
	}
	return s.openParticipantSession(ctx, a, map[string]any{})
}

// openParticipantSession clears the failures, applies upd to the access
// and opens a session.
func (s *Store) openParticipantSession(ctx context.Context, a ParticipantAccount, upd map[string]any) (Participant, string, error) {
	now := s.Now()
	tok := secret.Token("imlpart_")
	upd["failed_logins"], upd["locked_until"] = 0, nil
	var p Participant
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&ParticipantAccount{}).Where("participant_id = ?", a.ParticipantID).Updates(upd).Error; err != nil {
			return err
		}
		if err := tx.First(&p, "id = ?", a.ParticipantID).Error; err != nil {
			return err
		}
		return tx.Create(&ParticipantSession{Hash: secret.Hash(tok), ParticipantID: a.ParticipantID, CSRF: secret.Token(""), ExpiresAt: now.Add(ParticipantSessionTTL), CreatedAt: now}).Error
	})
	return p, tok, err
}

// ParticipantBySession finds the participant of a session token: the
// session current, the access not revoked, the participant not withdrawn.
func (s *Store) ParticipantBySession(ctx context.Context, token string) (Participant, ParticipantSession, error) {
	var sess ParticipantSession
	var p Participant
	if token == "" {
		return p, sess, ErrNotFound
	}
	db := s.DB.WithContext(ctx)
	if err := db.First(&sess, "hash = ? AND expires_at > ?", secret.Hash(token), s.Now()).Error; err != nil {
		return p, sess, notFound(err)
	}
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
func (s *Store) ParticipantLogout(ctx context.Context, token string) error {
	return s.DB.WithContext(ctx).Delete(&ParticipantSession{}, "hash = ?", secret.Hash(token)).Error
}

// AuditParticipant writes what a participant did with their own access to
// the audit log, under the participant's own id.
func (s *Store) AuditParticipant(ctx context.Context, p Participant, action, detail string) error {
	return s.Audit(ctx, User{ID: "participant:" + p.ID, Name: "the participant (own journal)"}, action, "participant", p.ID, detail)
}
