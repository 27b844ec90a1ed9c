package store

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/auth"
)

// The Program Director's management of the coaches' accounts: adding one
// (AddUser with the coach role), disabling and enabling it, and setting a
// new password. Disabling an account or setting its password ends every
// session it has (its browser sessions and API tokens alike). The first
// account, the director's, is made at set-up or on the command line.

// AllUsers lists every account, the director's first, then by name.
func (s *Store) AllUsers(ctx context.Context) ([]User, error) {
	var us []User
	err := s.DB.WithContext(ctx).Order("CASE role WHEN 'director' THEN 0 ELSE 1 END, name, email").Find(&us).Error
	return us, err
}

// coachAccount finds a coach's account in tx for a change: a missing one
// is ErrNotFound, the director's is refused.
func coachAccount(tx *gorm.DB, id string) (User, error) {
	var u User
	if err := tx.First(&u, "id = ?", id).Error; err != nil {
		return u, notFound(err)
	}
	if u.Role != RoleCoach {
		return u, &ValidationError{Field: "account", Msg: "Only coach accounts are managed here: the Program Director's account is changed on the command line (agent user)"}
	}
	return u, nil
}

// SetUserDisabled disables a coach's account (ending its sessions) or
// enables it again; doing what is already done changes nothing.
func (s *Store) SetUserDisabled(ctx context.Context, id string, disabled bool) (User, error) {
	var u User
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if u, err = coachAccount(tx, id); err != nil {
			return err
		}
		if disabled == (u.DisabledAt != nil) {
			return nil
		}
		if disabled {
			now := s.Now()
			u.DisabledAt = &now
			if err := staffSessions.EndAll(ctx, tx, u.ID); err != nil {
				return err
			}
		} else {
			u.DisabledAt = nil
		}
		return tx.Model(&User{}).Where("id = ?", u.ID).Update("disabled_at", u.DisabledAt).Error
	})
	return u, err
}

// SetPassword gives a coach's account a new password, lifts a lock-out
// after failed sign-ins and ends the account's sessions.
func (s *Store) SetPassword(ctx context.Context, id, password string) (User, error) {
	h, err := hashPassword(password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if u, err = coachAccount(tx, id); err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"password_hash": h, "failed_logins": 0, "locked_until": nil}).Error; err != nil {
			return err
		}
		return staffSessions.EndAll(ctx, tx, u.ID)
	})
	return u, err
}

// hashPassword hashes a new password, or says what a password must be.
func hashPassword(password string) (string, error) {
	h, err := auth.HashPassword(password)
	switch {
	case errors.Is(err, auth.ErrWeakPassword) || (err != nil && len(password) > 72):
		return "", &ValidationError{Field: "password", Msg: "Use a password of 12 to 72 characters"}
	case err != nil:
		return "", err
	}
	return h, nil
}
