package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
)

// Store is the hub's database.
type Store struct {
	DB      *gorm.DB
	Log     *slog.Logger
	Now     func() time.Time
	dialect string
	// Cache holds what a capability keeps for the life of this handle,
	// by a key of its own (the outcomes publication).
	Cache sync.Map
	// parsed holds releases' parsed content by version (LatestContent).
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
	s := &Store{DB: db, Log: log, Now: func() time.Time { return time.Now().UTC() }, dialect: dbx.Dialect(db)}
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
		if err := FilesStored(tx, r.Files); err != nil {
			return err
		}
		_, err := s.PublishIn(tx, r, "")
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

// LatestContent is the version of the newest release in force and its
// content, parsed once per version (a published release never changes).
func (s *Store) LatestContent(ctx context.Context) (string, program.Release, error) {
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

// FindOrganization finds an organization by id or exact name.
func (s *Store) FindOrganization(ctx context.Context, ref string) (Organization, error) {
	var o Organization
	if !PlainText(ref) {
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

// OrganizationNames lists organizations by name, and maps their ids to
// their names (for pages that name the organization of a row).
func (s *Store) OrganizationNames(ctx context.Context) ([]Organization, map[string]string, error) {
	os, err := s.Organizations(ctx)
	names := make(map[string]string, len(os))
	for _, o := range os {
		names[o.ID] = o.Name
	}
	return os, names, err
}

// FindSite finds a site by id or exact name.
func (s *Store) FindSite(ctx context.Context, ref string) (Site, error) {
	var st Site
	if !PlainText(ref) {
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
	if !PlainText(orgID) {
		return ss, nil
	}
	q := s.DB.WithContext(ctx).Order("name")
	if orgID != "" {
		q = q.Where("org_id = ?", orgID)
	}
	err := q.Find(&ss).Error
	return ss, err
}
