package intake

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/secret"
)

// AddSite creates a site of an organization.
func (s *Store) AddSite(ctx context.Context, orgRef, name string) (store.Site, error) {
	name, err := store.Name(name)
	if err != nil {
		return store.Site{}, err
	}
	o, err := s.FindOrganization(ctx, orgRef)
	if errors.Is(err, store.ErrNotFound) {
		return store.Site{}, &store.ValidationError{Field: "org", Msg: fmt.Sprintf("no organization %q", orgRef)}
	}
	if err != nil {
		return store.Site{}, err
	}
	site := store.Site{ID: uuid.NewString(), OrgID: o.ID, Name: name, CreatedAt: s.Now()}
	return site, s.DB.WithContext(ctx).Create(&site).Error
}

// Bounds of an enrollment token's validity.
const (
	MinTokenTTL = time.Minute
	MaxTokenTTL = 30 * 24 * time.Hour
)

// CheckTokenTTL refuses a token validity out of bounds (a ValidationError
// of field ttl).
func CheckTokenTTL(ttl time.Duration) error {
	if ttl < MinTokenTTL || ttl > MaxTokenTTL {
		return &store.ValidationError{Field: "ttl", Msg: "Enter a time from one minute to 30 days"}
	}
	return nil
}

// IssueEnrollmentToken makes a one-time token for a site, valid for ttl.
// Issuing a new token for an enrolled site re-enrolls it (a replaced machine)
// and the old credential stops working at enrollment. Every token issued
// for the site before stops working at once: the site's token epoch moves
// on and the unused tokens are deleted, in the same transaction.
func (s *Store) IssueEnrollmentToken(ctx context.Context, siteID string, ttl time.Duration) (string, error) {
	if err := CheckTokenTTL(ttl); err != nil {
		return "", err
	}
	tok := secret.Token("imlenr_")
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The update takes the site's row lock: issuing, revoking,
		// reinstating and enrolling a site happen one after the other.
		res := tx.Exec("UPDATE sites SET token_epoch = token_epoch + 1 WHERE id = ? AND revoked_at IS NULL", siteID)
		if res.Error != nil {
			return res.Error
		}
		var st store.Site
		if err := tx.Limit(1).Find(&st, "id = ?", siteID).Error; err != nil {
			return err
		}
		switch {
		case st.ID == "":
			return store.ErrNotFound
		case res.RowsAffected != 1 || st.RevokedAt != nil:
			return store.ErrRevoked
		}
		if err := tx.Where("site_id = ? AND used_at IS NULL", siteID).Delete(&store.EnrollmentToken{}).Error; err != nil {
			return err
		}
		now := s.Now()
		return tx.Create(&store.EnrollmentToken{Hash: secret.Hash(tok), SiteID: siteID, Epoch: st.TokenEpoch, ExpiresAt: now.Add(ttl), CreatedAt: now}).Error
	})
	if err != nil {
		return "", err
	}
	return tok, nil
}

// ErrWrongSite means a token was issued for another site than the one whose
// data the enrolling agent holds.
var ErrWrongSite = errors.New("the enrollment token was issued for another site than the one this agent holds data for")

// Enroll spends a one-time token and returns the site and its new
// credential. expectSite, when not empty, is the site whose data the agent
// holds: a token for another site is refused and not spent. Only a token of
// the site's current token epoch enrolls (see IssueEnrollmentToken,
// RevokeSite, ReinstateSite), and only one enrollment spends a token.
func (s *Store) Enroll(ctx context.Context, token, expectSite string) (store.Site, store.Organization, string, error) {
	var site store.Site
	var org store.Organization
	cred := secret.Token("imlsite_")
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t store.EnrollmentToken
		if err := tx.First(&t, "hash = ?", secret.Hash(token)).Error; err != nil {
			return store.ErrTokenInvalid
		}
		now := s.Now()
		if t.UsedAt != nil || now.After(t.ExpiresAt) {
			return store.ErrTokenInvalid
		}
		if expectSite != "" && expectSite != t.SiteID {
			return ErrWrongSite
		}
		// Spend the token; the condition makes a concurrent second use fail.
		res := tx.Model(&store.EnrollmentToken{}).Where("hash = ? AND used_at IS NULL", t.Hash).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return store.ErrTokenInvalid
		}
		// The credential is set only if the site is not revoked and the
		// token is of its current epoch, as the row stands when the update
		// runs: after any issue, revocation or reinstatement that committed
		// meanwhile.
		res = tx.Model(&store.Site{}).Where("id = ? AND token_epoch = ? AND revoked_at IS NULL", t.SiteID, t.Epoch).
			Updates(map[string]any{"credential_hash": secret.Hash(cred), "enrolled_at": now})
		if res.Error != nil {
			return res.Error
		}
		if err := tx.First(&site, "id = ?", t.SiteID).Error; err != nil {
			return err
		}
		switch {
		case site.RevokedAt != nil:
			return store.ErrRevoked
		case res.RowsAffected != 1:
			return store.ErrTokenInvalid
		}
		return tx.First(&org, "id = ?", site.OrgID).Error
	})
	return site, org, cred, err
}

// SiteByCredential finds the site a credential belongs to.
func (s *Store) SiteByCredential(ctx context.Context, cred string) (store.Site, error) {
	var st store.Site
	if cred == "" {
		return st, store.ErrNotFound
	}
	err := s.DB.WithContext(ctx).First(&st, "credential_hash = ?", secret.Hash(cred)).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return st, store.ErrNotFound
	}
	return st, err
}

// RevokeSite cuts a site off: its credential stops working at once, and
// so does every enrollment token issued for it (a token of a revoked site
// is answered as such, and stays invalid after a reinstatement).
func (s *Store) RevokeSite(ctx context.Context, ref, reason string) (store.Site, error) {
	st, err := s.FindSite(ctx, ref)
	if err != nil {
		return st, err
	}
	if strings.TrimSpace(reason) == "" {
		return st, &store.ValidationError{Field: "reason", Msg: "say why the site is revoked"}
	}
	now := s.Now()
	err = s.DB.WithContext(ctx).Exec("UPDATE sites SET revoked_at = ?, revoked_reason = ?, token_epoch = token_epoch + 1 WHERE id = ?", now, reason, st.ID).Error
	st.RevokedAt, st.RevokedReason = &now, reason
	return st, err
}

// ReinstateSite lifts a revocation. The old credential stays dead, and so
// does every token issued before: the site's agent enrolls again with a
// new token (agent enroll --force).
func (s *Store) ReinstateSite(ctx context.Context, ref string) (store.Site, error) {
	st, err := s.FindSite(ctx, ref)
	if err != nil {
		return st, err
	}
	if st.RevokedAt == nil {
		return st, &store.ValidationError{Field: "site", Msg: "is not revoked"}
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec("UPDATE sites SET revoked_at = NULL, revoked_reason = '', credential_hash = '', token_epoch = token_epoch + 1 WHERE id = ? AND revoked_at IS NOT NULL", st.ID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return &store.ValidationError{Field: "site", Msg: "is not revoked"}
		}
		return tx.Where("site_id = ? AND used_at IS NULL", st.ID).Delete(&store.EnrollmentToken{}).Error
	})
	if err == nil {
		st.RevokedAt, st.RevokedReason, st.CredentialHash = nil, "", ""
	}
	return st, err
}

// RepairBatchSeq sets a site's batch watermark back to 0 when it lies
// outside the range a push may set (contract.MaxBatchSeq), as an earlier hub
// that accepted any number could have left it; it returns the watermark the
// site has now. At 0 the agent sends every record again once, which the
// hub answers as duplicates, and numbers its batches from 1.
func (s *Store) RepairBatchSeq(ctx context.Context, siteID string) (int64, error) {
	err := s.DB.WithContext(ctx).Exec("UPDATE sites SET batch_seq = 0 WHERE id = ? AND (batch_seq < 0 OR batch_seq > ?)", siteID, int64(contract.MaxBatchSeq)).Error
	if err != nil {
		return 0, err
	}
	var seq int64
	err = s.DB.WithContext(ctx).Raw("SELECT batch_seq FROM sites WHERE id = ?", siteID).Scan(&seq).Error
	return seq, err
}

// TouchSite records that a site was seen and which release it runs.
func (s *Store) TouchSite(ctx context.Context, siteID, release string) error {
	upd := map[string]any{"last_seen_at": s.Now()}
	// Only a release this hub published is kept: the header is the site's
	// to write, and anything else would be text a site put in the hub.
	if release != "" && len(release) <= 40 && store.PlainText(release) {
		_, published, err := s.ReleaseCodes(ctx, release)
		if err != nil {
			return err
		}
		if published {
			upd["release"] = release
		}
	}
	return s.DB.WithContext(ctx).Model(&store.Site{}).Where("id = ?", siteID).Updates(upd).Error
}
