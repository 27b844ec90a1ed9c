package kits

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/program"
)

// ReleaseDraft is a release being prepared. Publishing makes it a Release;
// the draft row stays, marked PublishedAs, so that any later change to it is
// refused as a change of a published release.
type ReleaseDraft struct {
	ID          string    `gorm:"primaryKey;size:36"`
	Version     string    `gorm:"size:40;not null;uniqueIndex"`
	BaseVersion string    `gorm:"size:40"`
	PublishedAs string    `gorm:"size:40"`
	Content     string    `gorm:"type:text;not null"`
	CreatedBy   string    `gorm:"size:200"`
	CreatedAt   time.Time `gorm:"not null"`
	UpdatedAt   time.Time `gorm:"not null"`
}

// MaxKitFileBytes bounds one attached file.
const MaxKitFileBytes = 20 << 20

// KitMediaTypes are the kinds of file a release may attach. PDF and images
// are checked against their bytes; text must be UTF-8.
var KitMediaTypes = []string{"application/pdf", "image/png", "image/jpeg", "text/plain", "text/markdown"}

// Release returns the parsed content of a draft. Content is always a
// well-formed release, though perhaps one that does not validate yet.
func (d ReleaseDraft) Release() (program.Release, error) {
	var r program.Release
	err := json.Unmarshal([]byte(d.Content), &r)
	return r, err
}

// checkVersion refuses a version that is empty, too long or already used by
// a published release or another draft.
func checkVersion(tx *gorm.DB, version, draftID string) error {
	if version == "" {
		return &store.ValidationError{Field: "version", Msg: "Enter a version such as 2026.2"}
	}
	if len(version) > 40 || !store.PlainText(version) || strings.ContainsAny(version, " /?#") {
		return &store.ValidationError{Field: "version", Msg: "Use at most 40 characters without spaces, slashes, ? or #, such as 2026.2"}
	}
	var n int64
	if err := tx.Model(&store.Release{}).Where("version = ?", version).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return &store.ValidationError{Field: "version", Msg: fmt.Sprintf("Give the draft a new version: release %s is published and never changes", version)}
	}
	if err := tx.Model(&ReleaseDraft{}).Where("version = ? AND id <> ?", version, draftID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return &store.ValidationError{Field: "version", Msg: fmt.Sprintf("Give the draft another version: a draft is already version %s", version)}
	}
	return nil
}

// CreateDraft starts a draft of a new version: from uploaded content when
// given, else a copy of a published release (the latest when from is "").
func (s *Store) CreateDraft(ctx context.Context, version, from string, content []byte, by string) (ReleaseDraft, error) {
	var d ReleaseDraft
	var rel program.Release
	if len(bytes.TrimSpace(content)) > 0 {
		r, err := store.DecodeRelease(content)
		if err != nil {
			return d, err
		}
		rel = r
		from = ""
	} else {
		base, err := s.FindRelease(ctx, from)
		if err != nil {
			return d, err
		}
		if err := json.Unmarshal([]byte(base.Content), &rel); err != nil {
			return d, err
		}
		from = base.Version
	}
	if version = strings.TrimSpace(version); version != "" {
		rel.Version = version
	}
	b, err := json.Marshal(rel)
	if err != nil {
		return d, err
	}
	now := s.Now()
	d = ReleaseDraft{ID: uuid.NewString(), Version: rel.Version, BaseVersion: from, Content: string(b), CreatedBy: by, CreatedAt: now, UpdatedAt: now}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkVersion(tx, d.Version, d.ID); err != nil {
			return err
		}
		return tx.Create(&d).Error
	})
	if dbx.IsUniqueViolation(err) {
		return ReleaseDraft{}, &store.ValidationError{Field: "version", Msg: "Give the draft another version: a draft is already version " + d.Version}
	}
	return d, err
}

// Drafts lists the drafts, newest first.
func (s *Store) Drafts(ctx context.Context) ([]ReleaseDraft, error) {
	var ds []ReleaseDraft
	err := s.DB.WithContext(ctx).Where("published_as = '' OR published_as IS NULL").Order("created_at DESC").Find(&ds).Error
	return ds, err
}

// Draft finds a draft.
func (s *Store) Draft(ctx context.Context, id string) (ReleaseDraft, error) {
	return draftIn(s.DB.WithContext(ctx), id)
}

func draftIn(tx *gorm.DB, id string) (ReleaseDraft, error) {
	var d ReleaseDraft
	if !store.PlainText(id) {
		return d, store.ErrNotFound
	}
	err := store.NotFound(tx.First(&d, "id = ?", id).Error)
	if err == nil && d.PublishedAs != "" {
		return d, store.ErrPublished
	}
	return d, err
}

// editDraft changes a draft's release in one transaction. A draft that was
// published meanwhile is gone: the change is refused as ErrPublished.
func (s *Store) editDraft(ctx context.Context, id string, edit func(tx *gorm.DB, r *program.Release) error) (ReleaseDraft, error) {
	var d ReleaseDraft
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if d, err = draftIn(tx, id); err != nil {
			return err
		}
		r, err := d.Release()
		if err != nil {
			return err
		}
		if err := edit(tx, &r); err != nil {
			return err
		}
		if err := checkVersion(tx, r.Version, d.ID); err != nil {
			return err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		d.Version, d.Content, d.UpdatedAt = r.Version, string(b), s.Now()
		return tx.Save(&d).Error
	})
	return d, err
}

// ReplaceDraftContent replaces a draft's whole content with an uploaded
// release. Files already attached stay attached unless the upload lists
// files itself.
func (s *Store) ReplaceDraftContent(ctx context.Context, id string, content []byte) (ReleaseDraft, error) {
	rel, err := store.DecodeRelease(content)
	if err != nil {
		return ReleaseDraft{}, err
	}
	return s.editDraft(ctx, id, func(tx *gorm.DB, r *program.Release) error {
		if rel.Files == nil {
			rel.Files = r.Files
		}
		if err := store.FilesStored(tx, rel.Files); err != nil {
			return err
		}
		*r = rel
		return nil
	})
}

// FileUpload is a file to attach to a draft.
type FileUpload struct {
	Name, Kind, MediaType, LessonPlan string
	Data                              []byte
}

// checkUpload checks an attached file's name, kind, type and size, and that
// its bytes are what its type says.
func checkUpload(f FileUpload) error {
	switch {
	case strings.TrimSpace(f.Name) == "" || len(f.Name) > 200 || !store.PlainText(f.Name) || strings.ContainsAny(f.Name, "/\\"):
		return &store.ValidationError{Field: "name", Msg: "Enter a name of at most 200 characters without slashes"}
	case !slices.Contains(program.FileKinds, f.Kind):
		return &store.ValidationError{Field: "kind", Msg: "Choose one of " + strings.Join(program.FileKinds, ", ")}
	case !slices.Contains(KitMediaTypes, f.MediaType):
		return &store.ValidationError{Field: "file", Msg: fmt.Sprintf("files of type %q cannot be attached; attach %s", f.MediaType, strings.Join(KitMediaTypes, ", "))}
	case len(f.Data) == 0:
		return &store.ValidationError{Field: "file", Msg: "Choose a file that is not empty"}
	case len(f.Data) > MaxKitFileBytes:
		return &store.ValidationError{Field: "file", Msg: fmt.Sprintf("Choose a file of at most %d MiB", MaxKitFileBytes>>20)}
	}
	sniffed, _, _ := strings.Cut(http.DetectContentType(f.Data), ";")
	switch f.MediaType {
	case "text/plain", "text/markdown":
		if !utf8.Valid(f.Data) {
			return &store.ValidationError{Field: "file", Msg: "Save the text file as UTF-8 and attach it again"}
		}
	default:
		if sniffed != f.MediaType {
			return &store.ValidationError{Field: "file", Msg: fmt.Sprintf("Choose a file whose bytes match its type: it says it is %s but its bytes are %s", f.MediaType, sniffed)}
		}
	}
	return nil
}

// AttachFile stores a file's bytes under their SHA-256 and names it in the
// draft, attached to a lesson plan or (plan "") to the program.
func (s *Store) AttachFile(ctx context.Context, draftID string, f FileUpload) (ReleaseDraft, program.File, error) {
	f.Name = strings.TrimSpace(f.Name)
	if err := checkUpload(f); err != nil {
		return ReleaseDraft{}, program.File{}, err
	}
	sum := sha256.Sum256(f.Data)
	pf := program.File{SHA256: hex.EncodeToString(sum[:]), Name: f.Name, Kind: f.Kind, MediaType: f.MediaType, Size: int64(len(f.Data)), LessonPlan: f.LessonPlan}
	d, err := s.editDraft(ctx, draftID, func(tx *gorm.DB, r *program.Release) error {
		if pf.LessonPlan != "" {
			if _, ok := r.LessonPlan(pf.LessonPlan); !ok {
				return &store.ValidationError{Field: "lesson_plan", Msg: fmt.Sprintf("Choose one of the draft's lesson plans: it has no lesson plan %q", pf.LessonPlan)}
			}
		}
		for _, have := range r.Files {
			if have.SHA256 == pf.SHA256 && have.LessonPlan == pf.LessonPlan {
				return &store.ValidationError{Field: "file", Msg: fmt.Sprintf("Attach another file: this one is already attached here as %q", have.Name)}
			}
		}
		kf := store.KitFile{SHA256: pf.SHA256, MediaType: pf.MediaType, Size: pf.Size, Data: f.Data, CreatedAt: s.Now()}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&kf).Error; err != nil {
			return err
		}
		r.Files = append(r.Files, pf)
		return nil
	})
	return d, pf, err
}

// DetachFile removes a file from a draft (its bytes stay: another release
// may name them).
func (s *Store) DetachFile(ctx context.Context, draftID, sha, plan string) (ReleaseDraft, error) {
	return s.editDraft(ctx, draftID, func(_ *gorm.DB, r *program.Release) error {
		i := slices.IndexFunc(r.Files, func(f program.File) bool { return f.SHA256 == sha && f.LessonPlan == plan })
		if i < 0 {
			return &store.ValidationError{Field: "file", Msg: "Reload the page: the draft has no such file"}
		}
		r.Files = slices.Delete(r.Files, i, i+1)
		return nil
	})
}

// ValidateDraft runs the program's validation over a draft.
func (s *Store) ValidateDraft(ctx context.Context, id string) (ReleaseDraft, error) {
	d, err := s.Draft(ctx, id)
	if err != nil {
		return d, err
	}
	r, err := d.Release()
	if err != nil {
		return d, err
	}
	if err := r.Validate(); err != nil {
		return d, &store.ValidationError{Field: "release", Msg: err.Error()}
	}
	return d, nil
}

// DeleteDraft throws a draft away; a published one stays.
func (s *Store) DeleteDraft(ctx context.Context, id string) error {
	if _, err := s.Draft(ctx, id); err != nil {
		return err
	}
	res := s.DB.WithContext(ctx).Delete(&ReleaseDraft{}, "id = ? AND (published_as = '' OR published_as IS NULL)", id)
	if res.Error == nil && res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return res.Error
}

// PublishDraft validates a draft and publishes it: it becomes an immutable
// release offered to every agent, and the draft is gone.
func (s *Store) PublishDraft(ctx context.Context, id, by string) (store.Release, error) {
	var out store.Release
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		d, err := draftIn(tx, id)
		if err != nil {
			return err
		}
		r, err := d.Release()
		if err != nil {
			return err
		}
		if err := r.Validate(); err != nil {
			return &store.ValidationError{Field: "release", Msg: err.Error()}
		}
		if err := store.FilesStored(tx, r.Files); err != nil {
			return err
		}
		if out, err = s.PublishIn(tx, r, by); err != nil {
			return err
		}
		return tx.Model(&ReleaseDraft{}).Where("id = ?", d.ID).Update("published_as", r.Version).Error
	})
	return out, err
}

// RetireRelease stops offering a published release to agents; sites still
// running it are shown as behind. The last release in service cannot be
// retired: publish its successor first.
func (s *Store) RetireRelease(ctx context.Context, version, reason string) (store.Release, error) {
	reason = strings.TrimSpace(reason)
	var r store.Release
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if !store.PlainText(version) {
			return store.ErrNotFound
		}
		if err := tx.First(&r, "version = ?", version).Error; err != nil {
			return store.NotFound(err)
		}
		if r.RetiredAt != nil {
			return &store.ValidationError{Field: "version", Msg: "Reload the page: release " + version + " is already retired"}
		}
		if reason == "" || len(reason) > 500 || !store.PlainText(reason) {
			return &store.ValidationError{Field: "reason", Msg: "Enter why the release is retired, in at most 500 characters"}
		}
		// The releases in service, locked (on PostgreSQL; a SQLite
		// transaction holds the whole database) until this one commits: a
		// retirement at the same moment waits, then counts without the
		// release retired here, so the two cannot each leave the other as
		// the last in service and retire both.
		var inService []store.Release
		if err := store.LockAll(tx).Select("seq", "version").Where("retired_at IS NULL").Order("seq").Find(&inService).Error; err != nil {
			return err
		}
		others := slices.ContainsFunc(inService, func(o store.Release) bool { return o.Version != version })
		if !slices.ContainsFunc(inService, func(o store.Release) bool { return o.Version == version }) {
			return &store.ValidationError{Field: "version", Msg: "Reload the page: release " + version + " is already retired"}
		}
		if !others {
			return &store.ValidationError{Field: "version", Msg: "Publish a successor of release " + version + " before retiring it: it is the only one in service"}
		}
		now := s.Now()
		r.RetiredAt, r.RetiredReason = &now, reason
		return tx.Model(&store.Release{}).Where("seq = ?", r.Seq).Updates(map[string]any{"retired_at": now, "retired_reason": reason}).Error
	})
	return r, err
}

// Releases lists every published release, retired ones included, oldest
// first.
func (s *Store) Releases(ctx context.Context) ([]store.Release, error) {
	var rs []store.Release
	err := s.DB.WithContext(ctx).Order("seq").Find(&rs).Error
	return rs, err
}

// KitFileFor answers a file's bytes when a published release names it.
func (s *Store) KitFileFor(ctx context.Context, sha string) (store.KitFile, error) {
	var f store.KitFile
	if !program.ValidSHA256(sha) {
		return f, store.ErrNotFound
	}
	var n int64
	if err := s.DB.WithContext(ctx).Model(&store.ReleaseFile{}).Where("sha256 = ?", sha).Count(&n).Error; err != nil {
		return f, err
	}
	if n == 0 {
		return f, store.ErrNotFound
	}
	err := store.NotFound(s.DB.WithContext(ctx).First(&f, "sha256 = ?", sha).Error)
	return f, err
}

// DraftFile answers the bytes of a file a draft names, for staff to check.
func (s *Store) DraftFile(ctx context.Context, sha string) (store.KitFile, error) {
	var f store.KitFile
	if !program.ValidSHA256(sha) {
		return f, store.ErrNotFound
	}
	err := store.NotFound(s.DB.WithContext(ctx).First(&f, "sha256 = ?", sha).Error)
	return f, err
}

// SiteRelease is a site with the release it runs and whether it is behind.
type SiteRelease struct {
	store.Site
	OnRetired bool
	Behind    bool
}

// SiteReleases lists enrolled sites with the release each runs: behind when
// it does not run the latest release in service, flagged when it runs a
// retired one.
func (s *Store) SiteReleases(ctx context.Context) ([]SiteRelease, store.Release, error) {
	latest, err := s.LatestRelease(ctx)
	if err != nil {
		return nil, latest, err
	}
	rs, err := s.Releases(ctx)
	if err != nil {
		return nil, latest, err
	}
	retired := map[string]bool{}
	for _, r := range rs {
		retired[r.Version] = r.RetiredAt != nil
	}
	sites, err := s.Sites(ctx, "")
	if err != nil {
		return nil, latest, err
	}
	out := make([]SiteRelease, 0, len(sites))
	for _, st := range sites {
		if st.EnrolledAt == nil || st.RevokedAt != nil {
			continue
		}
		out = append(out, SiteRelease{Site: st, OnRetired: retired[st.Release], Behind: st.Release != latest.Version})
	}
	return out, latest, nil
}
