package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
	"github.com/itsmylife/iml/pkg/secret"
	"github.com/itsmylife/iml/pkg/textx"
)

// Store is the hub's database.
type Store struct {
	DB      *gorm.DB
	Log     *slog.Logger
	Now     func() time.Time
	dialect string
	// pubs holds the outcomes reports as last published (publication).
	pubs *pubCache
	// parsed holds releases' parsed content by version (latestContent).
	parsed sync.Map
	// codes holds the codes of published releases by version
	// (ReleaseCodes).
	codes sync.Map
}

// Errors a caller turns into a client message.
var (
	ErrNotFound     = errors.New("not found")
	ErrTokenInvalid = errors.New("the enrollment token is unknown, already used or expired")
	ErrRevoked      = errors.New("the site has been revoked")
)

// ValidationError is a client's mistake in one field: problem.Invalid,
// the one validation error of both programs.
type ValidationError = problem.Invalid

// Open opens (creating if needed) and migrates the hub database, and makes
// sure a generation id and the first release exist.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	db, err := dbx.Open(dsn, log)
	if err != nil {
		return nil, err
	}
	s := &Store{DB: db, Log: log, Now: func() time.Time { return time.Now().UTC() }, dialect: dbx.Dialect(db), pubs: newPubCache()}
	if err := dbx.Migrate(db.WithContext(ctx), Migrations(log)); err != nil {
		_ = dbx.Close(db)
		return nil, err
	}
	if err := s.ensureGeneration(ctx); err != nil {
		_ = dbx.Close(db)
		return nil, err
	}
	if err := s.ensureDefaultRelease(ctx); err != nil {
		_ = dbx.Close(db)
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return dbx.Close(s.DB) }

// Dialect is "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

const metaGeneration = "generation"

func (s *Store) ensureGeneration(ctx context.Context) error {
	m := Meta{Key: metaGeneration, Value: uuid.NewString()}
	return s.DB.WithContext(ctx).Where(Meta{Key: metaGeneration}).FirstOrCreate(&m).Error
}

// Generation is the hub's generation id.
func (s *Store) Generation(ctx context.Context) (string, error) {
	var m Meta
	err := s.DB.WithContext(ctx).First(&m, "key = ?", metaGeneration).Error
	return m.Value, err
}

// RotateGeneration gives the hub a new generation id, telling every agent to
// resend everything. Run after restoring the database from a backup.
func (s *Store) RotateGeneration(ctx context.Context) (string, error) {
	g := uuid.NewString()
	err := s.DB.WithContext(ctx).Model(&Meta{}).Where("key = ?", metaGeneration).Update("value", g).Error
	return g, err
}

func (s *Store) ensureDefaultRelease(ctx context.Context) error {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&Release{}).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return s.PublishRelease(ctx, program.Default())
}

// PublishRelease stores a release. A published version never changes: the
// same version with other content is refused.
func (s *Store) PublishRelease(ctx context.Context, r program.Release) error {
	if err := r.Validate(); err != nil {
		return &ValidationError{Field: "release", Msg: err.Error()}
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := filesStored(tx, r.Files); err != nil {
			return err
		}
		_, err := s.publishIn(tx, r, "")
		return err
	})
}

// ReleasesAfter lists releases in service published after a sequence
// number: retired ones are no longer offered.
func (s *Store) ReleasesAfter(ctx context.Context, seq int64) ([]Release, error) {
	var rs []Release
	err := s.DB.WithContext(ctx).Where("seq > ? AND retired_at IS NULL", seq).Order("seq").Find(&rs).Error
	return rs, err
}

// LatestRelease returns the newest release in service.
func (s *Store) LatestRelease(ctx context.Context) (Release, error) {
	var r Release
	err := s.DB.WithContext(ctx).Where("retired_at IS NULL").Order("seq DESC").First(&r).Error
	return r, err
}

// latestContent is the version of the newest release in force and its
// content, parsed once per version (a published release never changes).
func (s *Store) latestContent(ctx context.Context) (string, program.Release, error) {
	var version string
	if err := s.DB.WithContext(ctx).Model(&Release{}).Where("retired_at IS NULL").Order("seq DESC").Limit(1).Pluck("version", &version).Error; err != nil {
		return "", program.Release{}, err
	}
	if c, ok := s.parsed.Load(version); ok {
		return version, c.(program.Release), nil
	}
	rel, err := s.LatestRelease(ctx)
	if err != nil {
		return "", program.Release{}, err
	}
	var content program.Release
	if err := json.Unmarshal([]byte(rel.Content), &content); err != nil {
		return "", content, err
	}
	s.parsed.Store(rel.Version, content)
	return rel.Version, content, nil
}

// ReleaseCodes returns the codes a published release (in force or retired)
// defines, and false for a version this hub never published. A published
// release never changes, so its codes are kept once read.
func (s *Store) ReleaseCodes(ctx context.Context, version string) (contract.ReleaseCodes, bool, error) {
	if c, ok := s.codes.Load(version); ok {
		return c.(contract.ReleaseCodes), true, nil
	}
	rel, err := s.ReleaseByVersion(ctx, version)
	if errors.Is(err, ErrNotFound) {
		return contract.ReleaseCodes{}, false, nil
	}
	if err != nil {
		return contract.ReleaseCodes{}, false, err
	}
	var content program.Release
	if err := json.Unmarshal([]byte(rel.Content), &content); err != nil {
		return contract.ReleaseCodes{}, false, fmt.Errorf("release %s: %w", version, err)
	}
	c := content.Codes()
	s.codes.Store(version, c)
	return c, true, nil
}

// OrgTypes are the kinds of implementing organization.
var OrgTypes = []string{"peer_run", "state_mh", "csb_mhc", "church", "mha_affiliate", "nami", "other"}

// OrgTypeLabels are their human names.
var OrgTypeLabels = map[string]string{
	"peer_run": "Peer-run organization", "state_mh": "State mental health establishment",
	"csb_mhc": "Community service board or mental health center", "church": "Church organization",
	"mha_affiliate": "Affiliate of the national organization", "nami": "NAMI group", "other": "Other",
}

var stateRE = regexp.MustCompile(`^[A-Z]{2}$`)

// AddOrganization creates an implementing organization, at the inquiry
// stage from today.
func (s *Store) AddOrganization(ctx context.Context, name, typ, state string) (Organization, error) {
	return s.AddOrganizationSince(ctx, OrgInput{Name: name, Type: typ, State: state}, "")
}

// AddOrganizationSince creates an implementing organization at the inquiry
// stage from a date (today when empty; never in the future), so that an
// organization already in touch before the hub kept its record can be
// entered with its history.
func (s *Store) AddOrganizationSince(ctx context.Context, in OrgInput, since string) (Organization, error) {
	in, err := checkOrg(in)
	if err != nil {
		return Organization{}, err
	}
	if since, err = s.dayOrToday("since", since); err != nil {
		return Organization{}, err
	}
	o := Organization{ID: uuid.NewString(), Name: in.Name, Type: in.Type, State: in.State, CreatedAt: s.Now(), Stage: StageInquiry, StageOn: since}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&o).Error; err != nil {
			return err
		}
		return tx.Create(&StageChange{OrgID: o.ID, ToStage: StageInquiry, OnDate: o.StageOn, CreatedAt: o.CreatedAt}).Error
	})
	if err != nil {
		if dbx.IsUniqueViolation(err) {
			return Organization{}, &ValidationError{Field: "name", Msg: "an organization with this name exists"}
		}
		return Organization{}, err
	}
	return o, nil
}

// plainText reports whether a string from a client can be compared with a
// text column: PostgreSQL refuses bytes that are not UTF-8 and NUL with an
// error. No row holds such a string.
func plainText(s string) bool { return textx.Clean(s) }

// FindOrganization finds an organization by id or exact name.
func (s *Store) FindOrganization(ctx context.Context, ref string) (Organization, error) {
	var o Organization
	if !plainText(ref) {
		return o, ErrNotFound
	}
	err := s.DB.WithContext(ctx).Where("id = ? OR name = ?", ref, ref).First(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return o, ErrNotFound
	}
	return o, err
}

// Organizations lists organizations by name.
func (s *Store) Organizations(ctx context.Context) ([]Organization, error) {
	var os []Organization
	err := s.DB.WithContext(ctx).Order("name").Find(&os).Error
	return os, err
}

// AddSite creates a site of an organization.
func (s *Store) AddSite(ctx context.Context, orgRef, name string) (Site, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return Site{}, &ValidationError{Field: "name", Msg: "is required (at most 200 characters)"}
	}
	o, err := s.FindOrganization(ctx, orgRef)
	if errors.Is(err, ErrNotFound) {
		return Site{}, &ValidationError{Field: "org", Msg: fmt.Sprintf("no organization %q", orgRef)}
	}
	if err != nil {
		return Site{}, err
	}
	site := Site{ID: uuid.NewString(), OrgID: o.ID, Name: name, CreatedAt: s.Now()}
	return site, s.DB.WithContext(ctx).Create(&site).Error
}

// FindSite finds a site by id or exact name.
func (s *Store) FindSite(ctx context.Context, ref string) (Site, error) {
	var st Site
	if !plainText(ref) {
		return st, ErrNotFound
	}
	var found []Site
	if err := s.DB.WithContext(ctx).Where("id = ? OR name = ?", ref, ref).Limit(3).Find(&found).Error; err != nil {
		return st, err
	}
	switch {
	case len(found) == 0:
		return st, ErrNotFound
	case len(found) > 1:
		for _, f := range found {
			if f.ID == ref {
				return f, nil
			}
		}
		return st, &ValidationError{Field: "site", Msg: fmt.Sprintf("several sites are named %q; name the site by its id (hub site list)", ref)}
	}
	return found[0], nil
}

// Sites lists sites, optionally of one organization.
func (s *Store) Sites(ctx context.Context, orgID string) ([]Site, error) {
	var ss []Site
	if !plainText(orgID) {
		return ss, nil
	}
	q := s.DB.WithContext(ctx).Order("name")
	if orgID != "" {
		q = q.Where("org_id = ?", orgID)
	}
	err := q.Find(&ss).Error
	return ss, err
}

// IssueEnrollmentToken makes a one-time token for a site, valid for ttl.
// Issuing a new token for an enrolled site re-enrolls it (a replaced machine)
// and the old credential stops working at enrollment. Every token issued
// for the site before stops working at once: the site's token epoch moves
// on and the unused tokens are deleted, in the same transaction.
func (s *Store) IssueEnrollmentToken(ctx context.Context, siteID string, ttl time.Duration) (string, error) {
	if ttl < time.Minute || ttl > 30*24*time.Hour {
		return "", &ValidationError{Field: "ttl", Msg: "must be between one minute and 30 days"}
	}
	tok := secret.Token("imlenr_")
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The update takes the site's row lock: issuing, revoking,
		// reinstating and enrolling a site happen one after the other.
		res := tx.Exec("UPDATE sites SET token_epoch = token_epoch + 1 WHERE id = ? AND revoked_at IS NULL", siteID)
		if res.Error != nil {
			return res.Error
		}
		var st Site
		if err := tx.Limit(1).Find(&st, "id = ?", siteID).Error; err != nil {
			return err
		}
		switch {
		case st.ID == "":
			return ErrNotFound
		case res.RowsAffected != 1 || st.RevokedAt != nil:
			return ErrRevoked
		}
		if err := tx.Where("site_id = ? AND used_at IS NULL", siteID).Delete(&EnrollmentToken{}).Error; err != nil {
			return err
		}
		now := s.Now()
		return tx.Create(&EnrollmentToken{Hash: secret.Hash(tok), SiteID: siteID, Epoch: st.TokenEpoch, ExpiresAt: now.Add(ttl), CreatedAt: now}).Error
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
func (s *Store) Enroll(ctx context.Context, token, expectSite string) (Site, Organization, string, error) {
	var site Site
	var org Organization
	cred := secret.Token("imlsite_")
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t EnrollmentToken
		if err := tx.First(&t, "hash = ?", secret.Hash(token)).Error; err != nil {
			return ErrTokenInvalid
		}
		now := s.Now()
		if t.UsedAt != nil || now.After(t.ExpiresAt) {
			return ErrTokenInvalid
		}
		if expectSite != "" && expectSite != t.SiteID {
			return ErrWrongSite
		}
		// Spend the token; the condition makes a concurrent second use fail.
		res := tx.Model(&EnrollmentToken{}).Where("hash = ? AND used_at IS NULL", t.Hash).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrTokenInvalid
		}
		// The credential is set only if the site is not revoked and the
		// token is of its current epoch, as the row stands when the update
		// runs: after any issue, revocation or reinstatement that committed
		// meanwhile.
		res = tx.Model(&Site{}).Where("id = ? AND token_epoch = ? AND revoked_at IS NULL", t.SiteID, t.Epoch).
			Updates(map[string]any{"credential_hash": secret.Hash(cred), "enrolled_at": now})
		if res.Error != nil {
			return res.Error
		}
		if err := tx.First(&site, "id = ?", t.SiteID).Error; err != nil {
			return err
		}
		switch {
		case site.RevokedAt != nil:
			return ErrRevoked
		case res.RowsAffected != 1:
			return ErrTokenInvalid
		}
		return tx.First(&org, "id = ?", site.OrgID).Error
	})
	return site, org, cred, err
}

// SiteByCredential finds the site a credential belongs to.
func (s *Store) SiteByCredential(ctx context.Context, cred string) (Site, error) {
	var st Site
	if cred == "" {
		return st, ErrNotFound
	}
	err := s.DB.WithContext(ctx).First(&st, "credential_hash = ?", secret.Hash(cred)).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return st, ErrNotFound
	}
	return st, err
}

// RevokeSite cuts a site off: its credential stops working at once, and
// so does every enrollment token issued for it (a token of a revoked site
// is answered as such, and stays invalid after a reinstatement).
func (s *Store) RevokeSite(ctx context.Context, ref, reason string) (Site, error) {
	st, err := s.FindSite(ctx, ref)
	if err != nil {
		return st, err
	}
	if strings.TrimSpace(reason) == "" {
		return st, &ValidationError{Field: "reason", Msg: "say why the site is revoked"}
	}
	now := s.Now()
	err = s.DB.WithContext(ctx).Exec("UPDATE sites SET revoked_at = ?, revoked_reason = ?, token_epoch = token_epoch + 1 WHERE id = ?", now, reason, st.ID).Error
	st.RevokedAt, st.RevokedReason = &now, reason
	return st, err
}

// ReinstateSite lifts a revocation. The old credential stays dead, and so
// does every token issued before: the site's agent enrolls again with a
// new token (agent enroll --force).
func (s *Store) ReinstateSite(ctx context.Context, ref string) (Site, error) {
	st, err := s.FindSite(ctx, ref)
	if err != nil {
		return st, err
	}
	if st.RevokedAt == nil {
		return st, &ValidationError{Field: "site", Msg: "is not revoked"}
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec("UPDATE sites SET revoked_at = NULL, revoked_reason = '', credential_hash = '', token_epoch = token_epoch + 1 WHERE id = ? AND revoked_at IS NOT NULL", st.ID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return &ValidationError{Field: "site", Msg: "is not revoked"}
		}
		return tx.Where("site_id = ? AND used_at IS NULL", st.ID).Delete(&EnrollmentToken{}).Error
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
	if release != "" && len(release) <= 40 && plainText(release) {
		_, published, err := s.ReleaseCodes(ctx, release)
		if err != nil {
			return err
		}
		if published {
			upd["release"] = release
		}
	}
	return s.DB.WithContext(ctx).Model(&Site{}).Where("id = ?", siteID).Updates(upd).Error
}
