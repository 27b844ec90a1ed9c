package kits

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
)

// Training kits: drafts of releases, attached files, publishing, retiring,
// the diff of two releases and which site runs which release.

// maxReleaseBytes bounds an uploaded release's JSON.
const maxReleaseBytes = 4 << 20

// releaseView is a published release as the staff API shows it.
func releaseView(r store.Release) gin.H {
	return gin.H{"version": r.Version, "status": r.Status(), "published_at": r.PublishedAt, "published_by": r.PublishedBy,
		"sha256": r.SHA256, "retired_at": r.RetiredAt, "retired_reason": r.RetiredReason}
}

// draftView is a draft with its content and whether it validates.
func draftView(d ReleaseDraft) gin.H {
	out := gin.H{"id": d.ID, "version": d.Version, "status": store.StatusDraft, "base_version": d.BaseVersion,
		"created_by": d.CreatedBy, "created_at": d.CreatedAt, "updated_at": d.UpdatedAt, "content": contract.RawJSON(d.Content), "valid": true}
	if r, err := d.Release(); err != nil {
		out["valid"], out["problem"] = false, err.Error()
	} else if err := r.Validate(); err != nil {
		out["valid"], out["problem"] = false, err.Error()
	}
	return out
}

func (s *Handlers) APIReleases(c *gin.Context) {
	rs, err := s.kits.Releases(c.Request.Context())
	web.ListJSON(s.Base, c, rs, err, releaseView)
}

func (s *Handlers) APIRelease(c *gin.Context) {
	r, err := s.St.ReleaseByVersion(c.Request.Context(), c.Param("version"))
	if err != nil {
		s.Respond(c, err, "No such release.")
		return
	}
	v := releaseView(r)
	v["content"] = contract.RawJSON(r.Content)
	c.JSON(http.StatusOK, v)
}

func (s *Handlers) APIRetire(c *gin.Context) {
	var req struct {
		Reason string `json:"reason"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	r, err := s.retire(c, req.Reason)
	if err != nil {
		s.Respond(c, err, "No such release.")
		return
	}
	c.JSON(http.StatusOK, releaseView(r))
}

// resolveRelease finds a release or a draft by version, for the diff.
func (s *Handlers) resolveRelease(c *gin.Context, version string) (program.Release, error) {
	if r, err := s.St.ReleaseByVersion(c.Request.Context(), version); err == nil {
		var rel program.Release
		return rel, json.Unmarshal([]byte(r.Content), &rel)
	} else if !errors.Is(err, store.ErrNotFound) {
		return program.Release{}, err
	}
	ds, err := s.kits.Drafts(c.Request.Context())
	if err != nil {
		return program.Release{}, err
	}
	for _, d := range ds {
		if d.Version == version {
			return d.Release()
		}
	}
	return program.Release{}, &store.ValidationError{Field: "version", Msg: fmt.Sprintf("Choose a release from the list: there is no release or draft %q", version)}
}

// diffOf reads ?from= and ?to= and compares the two releases.
func (s *Handlers) diffOf(c *gin.Context) ([]program.Change, error) {
	from, to := c.Query("from"), c.Query("to")
	if from == "" || to == "" {
		return nil, &store.ValidationError{Field: "from", Msg: "Choose two releases to compare, from and to"}
	}
	a, err := s.resolveRelease(c, from)
	if err != nil {
		return nil, err
	}
	b, err := s.resolveRelease(c, to)
	if err != nil {
		return nil, err
	}
	return program.Diff(a, b), nil
}

func (s *Handlers) APIDiff(c *gin.Context) {
	changes, err := s.diffOf(c)
	if err != nil {
		s.Respond(c, err, "No such release.")
		return
	}
	if changes == nil {
		changes = []program.Change{}
	}
	c.JSON(http.StatusOK, gin.H{"from": c.Query("from"), "to": c.Query("to"), "changes": changes})
}

func (s *Handlers) APIReleaseSites(c *gin.Context) {
	sites, latest, err := s.kits.SiteReleases(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	out := make([]gin.H, len(sites))
	for i, st := range sites {
		out[i] = gin.H{"site_id": st.ID, "name": st.Name, "org_id": st.OrgID, "release": st.Release, "behind": st.Behind, "on_retired": st.OnRetired, "last_seen_at": st.LastSeenAt}
	}
	c.JSON(http.StatusOK, gin.H{"latest": latest.Version, "sites": out})
}

func (s *Handlers) APIDrafts(c *gin.Context) {
	ds, err := s.kits.Drafts(c.Request.Context())
	web.ListJSON(s.Base, c, ds, err, func(d ReleaseDraft) gin.H {
		v := draftView(d)
		delete(v, "content")
		return v
	})
}

func (s *Handlers) APICreateDraft(c *gin.Context) {
	var req struct {
		Version string          `json:"version"`
		From    string          `json:"from"`
		Content json.RawMessage `json:"content"`
	}
	if !s.ReadJSON(c, maxReleaseBytes, &req) {
		return
	}
	d, err := s.kits.CreateDraft(c.Request.Context(), req.Version, req.From, req.Content, web.StaffName(c))
	if err != nil {
		s.Respond(c, err, "No such release to start from.")
		return
	}
	c.JSON(http.StatusCreated, draftView(d))
}

func (s *Handlers) APIDraft(c *gin.Context) {
	d, err := s.kits.Draft(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.Respond(c, err, "No such draft.")
		return
	}
	c.JSON(http.StatusOK, draftView(d))
}

func (s *Handlers) APIDraftContent(c *gin.Context) {
	body, ok := s.ReadBody(c, maxReleaseBytes)
	if !ok {
		return
	}
	d, err := s.kits.ReplaceDraftContent(c.Request.Context(), c.Param("id"), body)
	if err != nil {
		s.Respond(c, err, "No such draft.")
		return
	}
	c.JSON(http.StatusOK, draftView(d))
}

// readUpload reads a multipart file upload (field "file") with its kind,
// name and lesson plan.
func readUpload(c *gin.Context) (FileUpload, error) {
	var f FileUpload
	fh, err := c.FormFile("file") // the body is bounded by limitUploads

	if err != nil && problem.ClientGone(c, err) {
		return f, err // the client went away mid-upload (see apiFailAs)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return f, &store.ValidationError{Field: "file", Msg: fmt.Sprintf("Choose a file of at most %d MiB", MaxKitFileBytes>>20)}
		}
		return f, &store.ValidationError{Field: "file", Msg: "Choose a file to attach (multipart/form-data, field file)"}
	}
	data, err := readFormFile(fh)
	if err != nil {
		return f, &store.ValidationError{Field: "file", Msg: "Choose the file again: it could not be read"}
	}
	f.Data = data
	f.Name = c.PostForm("name")
	if strings.TrimSpace(f.Name) == "" {
		f.Name = fh.Filename
	}
	f.Kind, f.LessonPlan = c.PostForm("kind"), c.PostForm("lesson_plan")
	f.MediaType = c.PostForm("media_type")
	if f.MediaType == "" {
		f.MediaType, _, _ = strings.Cut(fh.Header.Get("Content-Type"), ";")
	}
	if f.MediaType == "" || f.MediaType == "application/octet-stream" {
		f.MediaType = mediaTypeByName(f.Name)
	}
	return f, nil
}

func readFormFile(fh *multipart.FileHeader) ([]byte, error) {
	if fh.Size > MaxKitFileBytes {
		return nil, &store.ValidationError{Field: "file", Msg: fmt.Sprintf("Choose a file of at most %d MiB", MaxKitFileBytes>>20)}
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxKitFileBytes+1))
}

// mediaTypeByName guesses a type from a file name's extension, for
// browsers that send none.
func mediaTypeByName(name string) string {
	name = strings.ToLower(name)
	for ext, t := range map[string]string{".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".txt": "text/plain", ".md": "text/markdown"} {
		if strings.HasSuffix(name, ext) {
			return t
		}
	}
	return "application/octet-stream"
}

func (s *Handlers) APIAttach(c *gin.Context) {
	f, err := readUpload(c)
	if err == nil {
		var d ReleaseDraft
		var pf program.File
		if d, pf, err = s.kits.AttachFile(c.Request.Context(), c.Param("id"), f); err == nil {
			c.JSON(http.StatusCreated, gin.H{"file": pf, "draft": draftView(d)})
			return
		}
	}
	s.Respond(c, err, "No such draft.")
}

func (s *Handlers) APIDetach(c *gin.Context) {
	d, err := s.kits.DetachFile(c.Request.Context(), c.Param("id"), c.Param("sha"), c.Query("lesson_plan"))
	if err != nil {
		s.Respond(c, err, "No such draft.")
		return
	}
	c.JSON(http.StatusOK, draftView(d))
}

func (s *Handlers) APIPublish(c *gin.Context) {
	r, err := s.publish(c)
	if err != nil {
		s.Respond(c, err, "No such draft.")
		return
	}
	c.JSON(http.StatusOK, releaseView(r))
}

func (s *Handlers) APIDeleteDraft(c *gin.Context) {
	if err := s.kits.DeleteDraft(c.Request.Context(), c.Param("id")); err != nil {
		s.Respond(c, err, "No such draft.")
		return
	}
	c.Status(http.StatusNoContent)
}

// syncFile answers the bytes of a file a published release attaches, to an
// enrolled agent. The bytes never change, so they may be cached for ever.
func (s *Handlers) SyncFile(c *gin.Context) {
	f, err := s.kits.KitFileFor(c.Request.Context(), c.Param("sha"))
	if err != nil {
		s.Respond(c, err, "No published release attaches a file with this SHA-256.")
		return
	}
	c.Header("Cache-Control", "private, max-age=31536000, immutable")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, f.MediaType, f.Data)
}
