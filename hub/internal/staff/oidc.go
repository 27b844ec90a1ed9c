package staff

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/secret"
)

// FlowTTL is how long a sign-in through the provider may take.
const FlowTTL = 10 * time.Minute

// ErrFlowInvalid refuses a provider's answer that matches no sign-in in
// progress (unknown, used or expired state).
var ErrFlowInvalid = errors.New("the sign-in is unknown, already finished or expired")

// StartFlow records a sign-in through the provider: it returns the state
// (which the browser carries), and keeps the state's hash, a nonce, a PKCE
// verifier and where to go afterwards, for FlowTTL. Any replica can finish
// it.
func (s *Store) StartFlow(ctx context.Context, next string) (state string, f store.OIDCFlow, err error) {
	now := s.Now()
	state = secret.Token("")
	f = store.OIDCFlow{StateHash: secret.Hash(state), Nonce: secret.Token(""), Verifier: secret.Token("") + secret.Token(""),
		Next: next, ExpiresAt: now.Add(FlowTTL), CreatedAt: now}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Delete(&store.OIDCFlow{}, "expires_at <= ?", now).Error; err != nil {
			return err
		}
		return tx.Create(&f).Error
	})
	return state, f, err
}

// TakeFlow returns and forgets the sign-in a state belongs to: a state
// works once.
func (s *Store) TakeFlow(ctx context.Context, state string) (store.OIDCFlow, error) {
	var f store.OIDCFlow
	if state == "" {
		return f, ErrFlowInvalid
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&f, "state_hash = ?", secret.Hash(state)).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrFlowInvalid
			}
			return err
		}
		res := tx.Delete(&store.OIDCFlow{}, "state_hash = ?", f.StateHash)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 || !s.Now().Before(f.ExpiresAt) {
			return ErrFlowInvalid
		}
		return nil
	})
	return f, err
}

// Identity is who the provider says signed in.
type Identity struct {
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Name            string
	// Grants are the roles the provider's groups claim maps to.
	Grants []store.Grant
}

// OIDCSignIn finds the account of a provider identity (by issuer and
// subject; on the first sign-in, an account made at the hub with the same
// verified email and no provider link yet; otherwise a new account) and
// opens a session holding the provider's grants. Someone whose hub
// assignments and provider grants give no role gets ErrNoRole and no
// session; their account is kept so an admin can give it a role.
func (s *Store) OIDCSignIn(ctx context.Context, id Identity) (store.User, string, error) {
	if id.Issuer == "" || id.Subject == "" {
		return store.User{}, "", errors.New("oidc sign-in without issuer or subject")
	}
	var u store.User
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.First(&u, "issuer = ? AND subject = ?", id.Issuer, id.Subject).Error
		if err == nil {
			email, verr := store.ValidEmail(id.Email)
			if verr != nil || email == u.Email {
				return nil
			}
			// Keep the email current unless another account holds it.
			var taken int64
			if err := tx.Model(&store.User{}).Where("email = ?", email).Count(&taken).Error; err != nil || taken > 0 {
				return err
			}
			return tx.Model(&u).Update("email", email).Error
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		email, verr := store.ValidEmail(id.Email)
		if verr != nil {
			// A provider that shares no email still gets an account; the
			// address is made from the subject so it stays unique.
			email = strings.ToLower(uuid.NewSHA1(uuid.NameSpaceURL, []byte(id.Issuer+"#"+id.Subject)).String()) + "@oidc.invalid"
		}
		if id.EmailVerified && verr == nil {
			res := tx.Model(&store.User{}).Where("email = ? AND issuer IS NULL", email).Updates(map[string]any{"issuer": id.Issuer, "subject": id.Subject})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 1 {
				return tx.First(&u, "email = ?", email).Error
			}
		}
		name := strings.TrimSpace(id.Name)
		if name == "" {
			name = email
		}
		var taken int64
		if err := tx.Model(&store.User{}).Where("email = ?", email).Count(&taken).Error; err != nil {
			return err
		}
		iss, sub := id.Issuer, id.Subject
		u = store.User{ID: uuid.NewString(), Email: email, Name: name, Issuer: &iss, Subject: &sub, CreatedAt: s.Now()}
		if taken > 0 {
			// The email belongs to another account and is not verified
			// here: keep this one apart.
			u.Email = u.ID + "@oidc.invalid"
		}
		if err := tx.Create(&u).Error; err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return store.User{}, "", err
	}
	u, err = s.loadGrants(ctx, u, id.Grants)
	if err != nil {
		return store.User{}, "", err
	}
	if len(u.Grants) == 0 {
		return u, "", ErrNoRole
	}
	tok, err := s.openSession(ctx, u.ID, "oidc", id.Grants)
	return u, tok, err
}

// PruneExpired deletes expired sessions and sign-in flows and returns how
// many rows went.
func (s *Store) PruneExpired(ctx context.Context) (int, error) {
	now := s.Now()
	n := 0
	for _, m := range []any{&store.Session{}, &store.OIDCFlow{}} {
		res := s.DB.WithContext(ctx).Where("expires_at <= ?", now).Delete(m)
		if res.Error != nil {
			return n, res.Error
		}
		n += int(res.RowsAffected)
	}
	return n, nil
}
