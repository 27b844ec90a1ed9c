package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/itsmylife/iml/pkg/jsonx"
	"github.com/itsmylife/iml/pkg/program"
)

// Status is the release's place in its lifecycle.
func (r Release) Status() string {
	if r.RetiredAt != nil {
		return StatusRetired
	}
	return StatusPublished
}

// ErrPublished means a published release was asked to change.
var ErrPublished = errors.New("a published release never changes")

// DecodeRelease reads an uploaded release strictly: unknown fields are
// refused, validation is left to publishing.
func DecodeRelease(content []byte) (program.Release, error) {
	var r program.Release
	if !utf8.Valid(content) {
		return r, &ValidationError{Field: "content", Msg: "Save the content as UTF-8 text and send it again"}
	}
	if err := jsonx.Unmarshal(content, &r); err != nil {
		return r, &ValidationError{Field: "content", Msg: "Correct the release's JSON: " + err.Error()}
	}
	return r, nil
}

// FindRelease finds a published release by version, or the latest one.
func (s *Store) FindRelease(ctx context.Context, version string) (Release, error) {
	if version == "" {
		return s.LatestRelease(ctx)
	}
	return s.ReleaseByVersion(ctx, version)
}

// ReleaseByVersion finds a published (or retired) release.
func (s *Store) ReleaseByVersion(ctx context.Context, version string) (Release, error) {
	var r Release
	if !PlainText(version) {
		return r, ErrNotFound
	}
	err := NotFound(s.DB.WithContext(ctx).First(&r, "version = ?", version).Error)
	return r, err
}

// FilesStored checks, in one query, that the hub holds every file a
// release lists.
func FilesStored(tx *gorm.DB, files []program.File) error {
	if len(files) == 0 {
		return nil
	}
	shas := make([]string, len(files))
	for i, f := range files {
		shas[i] = f.SHA256
	}
	var held []string
	if err := tx.Model(&KitFile{}).Where("sha256 IN ?", shas).Pluck("sha256", &held).Error; err != nil {
		return err
	}
	for _, sha := range shas {
		if !slices.Contains(held, sha) {
			return &ValidationError{Field: "files", Msg: fmt.Sprintf("the hub holds no file %s; attach files by uploading them", sha)}
		}
	}
	return nil
}

// PublishIn stores a validated release and the files it names. The same
// version again with the same content is a no-op; with other content it
// is refused.
func (s *Store) PublishIn(tx *gorm.DB, r program.Release, by string) (Release, error) {
	content, sum := r.Canonical()
	var existing Release
	err := tx.First(&existing, "version = ?", r.Version).Error
	if err == nil {
		if existing.SHA256 == sum {
			return existing, nil
		}
		return existing, &ValidationError{Field: "version", Msg: fmt.Sprintf("release %s is already published with other content; publish a new version", r.Version)}
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return existing, err
	}
	rel := Release{Version: r.Version, PublishedAt: s.Now(), SHA256: sum, Content: string(content), PublishedBy: by}
	if err := tx.Create(&rel).Error; err != nil {
		return rel, err
	}
	for _, f := range r.Files {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ReleaseFile{Version: r.Version, SHA256: f.SHA256}).Error; err != nil {
			return rel, err
		}
	}
	return rel, nil
}

// KitFile is the bytes of a file a release attaches, stored once under
// their SHA-256.
type KitFile struct {
	SHA256    string    `gorm:"primaryKey;size:64"`
	MediaType string    `gorm:"size:100;not null"`
	Size      int64     `gorm:"not null"`
	Data      []byte    `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// ReleaseFile says a published release names a file.
type ReleaseFile struct {
	Version string `gorm:"primaryKey;size:40"`
	SHA256  string `gorm:"primaryKey;size:64;index"`
}

// Release statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusRetired   = "retired"
)
