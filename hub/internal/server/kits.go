package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/kits"
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
func draftView(d kits.ReleaseDraft) gin.H {
	out := gin.H{"id": d.ID, "version": d.Version, "status": store.StatusDraft, "base_version": d.BaseVersion,
		"created_by": d.CreatedBy, "created_at": d.CreatedAt, "updated_at": d.UpdatedAt, "content": contract.RawJSON(d.Content), "valid": true}
	if r, err := d.Release(); err != nil {
		out["valid"], out["problem"] = false, err.Error()
	} else if err := r.Validate(); err != nil {
		out["valid"], out["problem"] = false, err.Error()
	}
	return out
}

func (s *Server) apiReleases(c *gin.Context) {
	rs, err := s.kits.Releases(c.Request.Context())
	web.ListJSON(s.Base, c, rs, err, releaseView)
}

func (s *Server) apiRelease(c *gin.Context) {
	r, err := s.st.ReleaseByVersion(c.Request.Context(), c.Param("version"))
	if err != nil {
		s.Respond(c, err, "No such release.")
		return
	}
	v := releaseView(r)
	v["content"] = contract.RawJSON(r.Content)
	c.JSON(http.StatusOK, v)
}

func (s *Server) apiRetire(c *gin.Context) {
	var req struct {
		Reason string `json:"reason"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	r, err := s.kits.RetireRelease(c.Request.Context(), c.Param("version"), req.Reason)
	if err != nil {
		s.Respond(c, err, "No such release.")
		return
	}
	s.log.Info("release retired", "release", r.Version, "by", web.StaffName(c))
	c.JSON(http.StatusOK, releaseView(r))
}

// resolveRelease finds a release or a draft by version, for the diff.
func (s *Server) resolveRelease(c *gin.Context, version string) (program.Release, error) {
	if r, err := s.st.ReleaseByVersion(c.Request.Context(), version); err == nil {
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
	return program.Release{}, &store.ValidationError{Field: "version", Msg: fmt.Sprintf("no release or draft %q", version)}
}

// diffOf reads ?from= and ?to= and compares the two releases.
func (s *Server) diffOf(c *gin.Context) ([]program.Change, error) {
	from, to := c.Query("from"), c.Query("to")
	if from == "" || to == "" {
		return nil, &store.ValidationError{Field: "from", Msg: "name two releases to compare, from and to"}
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

func (s *Server) apiDiff(c *gin.Context) {
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

func (s *Server) apiReleaseSites(c *gin.Context) {
	sites, latest, err := s.kits.SiteReleases(c.Request.Context())
	if err != nil {
		problem.Internal(c, s.log, err)
		return
	}
	out := make([]gin.H, len(sites))
	for i, st := range sites {
		out[i] = gin.H{"site_id": st.ID, "name": st.Name, "org_id": st.OrgID, "release": st.Release, "behind": st.Behind, "on_retired": st.OnRetired, "last_seen_at": st.LastSeenAt}
	}
	c.JSON(http.StatusOK, gin.H{"latest": latest.Version, "sites": out})
}

func (s *Server) apiDrafts(c *gin.Context) {
	ds, err := s.kits.Drafts(c.Request.Context())
	web.ListJSON(s.Base, c, ds, err, func(d kits.ReleaseDraft) gin.H {
		v := draftView(d)
		delete(v, "content")
		return v
	})
}

func (s *Server) apiCreateDraft(c *gin.Context) {
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

func (s *Server) apiDraft(c *gin.Context) {
	d, err := s.kits.Draft(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.Respond(c, err, "No such draft.")
		return
	}
	c.JSON(http.StatusOK, draftView(d))
}

func (s *Server) apiDraftContent(c *gin.Context) {
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
func readUpload(c *gin.Context) (kits.FileUpload, error) {
	var f kits.FileUpload
	fh, err := c.FormFile("file") // the body is bounded by limitUploads

	if err != nil && problem.ClientGone(c, err) {
		return f, err // the client went away mid-upload (see apiFailAs)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return f, &store.ValidationError{Field: "file", Msg: fmt.Sprintf("the file is larger than %d MiB", kits.MaxKitFileBytes>>20)}
		}
		return f, &store.ValidationError{Field: "file", Msg: "choose a file to attach (multipart/form-data, field file)"}
	}
	data, err := readFormFile(fh)
	if err != nil {
		return f, &store.ValidationError{Field: "file", Msg: "the file could not be read"}
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
	if fh.Size > kits.MaxKitFileBytes {
		return nil, &store.ValidationError{Field: "file", Msg: fmt.Sprintf("the file is larger than %d MiB", kits.MaxKitFileBytes>>20)}
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, kits.MaxKitFileBytes+1))
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

func (s *Server) apiAttach(c *gin.Context) {
	f, err := readUpload(c)
	if err == nil {
		var d kits.ReleaseDraft
		var pf program.File
		if d, pf, err = s.kits.AttachFile(c.Request.Context(), c.Param("id"), f); err == nil {
			c.JSON(http.StatusCreated, gin.H{"file": pf, "draft": draftView(d)})
			return
		}
	}
	s.Respond(c, err, "No such draft.")
}

func (s *Server) apiDetach(c *gin.Context) {
	d, err := s.kits.DetachFile(c.Request.Context(), c.Param("id"), c.Param("sha"), c.Query("lesson_plan"))
	if err != nil {
		s.Respond(c, err, "No such draft.")
		return
	}
	c.JSON(http.StatusOK, draftView(d))
}

func (s *Server) apiPublish(c *gin.Context) {
	r, err := s.kits.PublishDraft(c.Request.Context(), c.Param("id"), web.StaffName(c))
	if err != nil {
		s.Respond(c, err, "No such draft.")
		return
	}
	s.log.Info("release published", "release", r.Version, "by", web.StaffName(c))
	c.JSON(http.StatusOK, releaseView(r))
}

func (s *Server) apiDeleteDraft(c *gin.Context) {
	if err := s.kits.DeleteDraft(c.Request.Context(), c.Param("id")); err != nil {
		s.Respond(c, err, "No such draft.")
		return
	}
	c.Status(http.StatusNoContent)
}

// syncFile answers the bytes of a file a published release attaches, to an
// enrolled agent. The bytes never change, so they may be cached for ever.
func (s *Server) syncFile(c *gin.Context) {
	f, err := s.kits.KitFileFor(c.Request.Context(), c.Param("sha"))
	if err != nil {
		s.Respond(c, err, "No published release attaches a file with this SHA-256.")
		return
	}
	c.Header("Cache-Control", "private, max-age=31536000, immutable")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, f.MediaType, f.Data)
}

// Pages.

func (s *Server) kitsPage(c *gin.Context) { s.showKits(c, http.StatusOK, gin.H{}) }

func (s *Server) showKits(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	rs, err := s.kits.Releases(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	ds, err := s.kits.Drafts(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	// Newest first on the page.
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	data["Title"], data["Releases"], data["Drafts"] = "Training kits", rs, ds
	s.Render(c, status, "kits.html", data)
}

func (s *Server) createDraftSubmit(c *gin.Context) {
	var content []byte
	if fh, err := c.FormFile("content_file"); err == nil {
		if content, err = readFormFile(fh); err != nil {
			s.showKits(c, http.StatusUnprocessableEntity, gin.H{"Error": "The uploaded release could not be read. Nothing was changed."})
			return
		}
	}
	d, err := s.kits.CreateDraft(c.Request.Context(), c.PostForm("version"), c.PostForm("from"), content, web.StaffName(c))
	if err != nil {
		if msg, ok := s.Message(c, err, "There is no such release to start from."); ok {
			s.showKits(c, http.StatusUnprocessableEntity, gin.H{"Error": msg, "FormVersion": c.PostForm("version")})
		}
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits/drafts/"+d.ID)
}

func (s *Server) draftPage(c *gin.Context) { s.showDraft(c, http.StatusOK, gin.H{}) }

func (s *Server) showDraft(c *gin.Context, status int, data gin.H) {
	d, err := s.kits.Draft(c.Request.Context(), c.Param("id"))
	if errors.Is(err, store.ErrPublished) {
		c.Redirect(http.StatusSeeOther, "/kits/releases/"+d.PublishedAs)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		s.Render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no such draft (see Training kits)."})
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	rel, err := d.Release()
	if err != nil {
		s.Respond(c, err)
		return
	}
	if verr := rel.Validate(); verr != nil {
		data["Invalid"] = verr.Error()
	}
	if d.BaseVersion != "" {
		if base, err := s.resolveRelease(c, d.BaseVersion); err == nil {
			data["Changes"] = program.Diff(base, rel)
		}
	}
	pretty, _ := json.MarshalIndent(rel, "", "  ")
	data["Title"], data["Draft"], data["Rel"], data["JSON"], data["Kinds"] = "Draft "+d.Version, d, rel, string(pretty), program.FileKinds
	data["Types"], data["MaxMiB"] = kits.KitMediaTypes, kits.MaxKitFileBytes>>20
	if msg, ok := map[string]string{"content": "The draft's content is saved.", "file": "The file is attached."}[c.Query("saved")]; ok {
		data["Saved"], data["SavedWhat"] = msg, c.Query("saved")
	}
	s.Render(c, status, "draft.html", data)
}

// draftFail shows a client's mistake on the draft page, or the error page.
func (s *Server) draftFail(c *gin.Context, err error) {
	if errors.Is(err, store.ErrPublished) {
		s.Render(c, http.StatusConflict, "error.html", gin.H{"Title": "Not changed", "Message": "This draft has been published, and a published release never changes. Nothing was changed; start a new draft from it on the Training kits page."})
		return
	}
	if msg, ok := s.Message(c, err, "There is no such draft."); ok {
		s.showDraft(c, http.StatusUnprocessableEntity, gin.H{"Error": msg})
	}
}

func (s *Server) draftContentSubmit(c *gin.Context) {
	content := []byte(c.PostForm("content"))
	if fh, err := c.FormFile("content_file"); err == nil {
		if content, err = readFormFile(fh); err != nil {
			s.draftFail(c, &store.ValidationError{Field: "content", Msg: "the uploaded release could not be read"})
			return
		}
	}
	if _, err := s.kits.ReplaceDraftContent(c.Request.Context(), c.Param("id"), content); err != nil {
		s.draftFail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits/drafts/"+c.Param("id")+"?saved=content")
}

func (s *Server) attachSubmit(c *gin.Context) {
	f, err := readUpload(c)
	if err == nil {
		_, _, err = s.kits.AttachFile(c.Request.Context(), c.Param("id"), f)
	}
	if err != nil {
		s.draftFail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits/drafts/"+c.Param("id")+"?saved=file")
}

func (s *Server) detachSubmit(c *gin.Context) {
	if _, err := s.kits.DetachFile(c.Request.Context(), c.Param("id"), c.PostForm("sha256"), c.PostForm("lesson_plan")); err != nil {
		s.draftFail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits/drafts/"+c.Param("id"))
}

func (s *Server) publishSubmit(c *gin.Context) {
	r, err := s.kits.PublishDraft(c.Request.Context(), c.Param("id"), web.StaffName(c))
	if err != nil {
		s.draftFail(c, err)
		return
	}
	s.log.Info("release published", "release", r.Version, "by", web.StaffName(c))
	c.Redirect(http.StatusSeeOther, "/kits/releases/"+r.Version+"?published=1")
}

func (s *Server) deleteDraftSubmit(c *gin.Context) {
	if err := s.kits.DeleteDraft(c.Request.Context(), c.Param("id")); err != nil {
		s.draftFail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits")
}

func (s *Server) releasePage(c *gin.Context) { s.showRelease(c, http.StatusOK, gin.H{}) }

func (s *Server) showRelease(c *gin.Context, status int, data gin.H) {
	r, err := s.st.ReleaseByVersion(c.Request.Context(), c.Param("version"))
	if errors.Is(err, store.ErrNotFound) {
		s.Missing(c, "release")
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	var rel program.Release
	if err := json.Unmarshal([]byte(r.Content), &rel); err != nil {
		s.Respond(c, err)
		return
	}
	rs, err := s.kits.Releases(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	data["Title"], data["Release"], data["Rel"], data["Releases"], data["Published"] = "Release "+r.Version, r, rel, rs, c.Query("published") != ""
	s.Render(c, status, "release.html", data)
}

func (s *Server) retireSubmit(c *gin.Context) {
	r, err := s.kits.RetireRelease(c.Request.Context(), c.Param("version"), c.PostForm("reason"))
	if err != nil {
		if msg, ok := s.Message(c, err, "There is no such release."); ok {
			s.showRelease(c, http.StatusUnprocessableEntity, gin.H{"Error": msg})
		}
		return
	}
	s.log.Info("release retired", "release", r.Version, "by", web.StaffName(c))
	c.Redirect(http.StatusSeeOther, "/kits/releases/"+r.Version)
}

// kitFile lets staff open a file a draft or release attaches.
func (s *Server) kitFile(c *gin.Context) {
	f, err := s.kits.DraftFile(c.Request.Context(), c.Param("sha"))
	if errors.Is(err, store.ErrNotFound) {
		s.Missing(c, "file")
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "sandbox")
	c.Data(http.StatusOK, f.MediaType, f.Data)
}

func (s *Server) diffPage(c *gin.Context) {
	rs, err := s.kits.Releases(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	data := gin.H{"Title": "What changed", "Releases": rs, "From": c.Query("from"), "To": c.Query("to")}
	status := http.StatusOK
	if c.Query("from") != "" || c.Query("to") != "" {
		changes, err := s.diffOf(c)
		if err != nil {
			msg, ok := s.Message(c, err, "There is no such release.")
			if !ok {
				return
			}
			data["Error"], status = msg, http.StatusUnprocessableEntity
		} else {
			data["Changes"], data["Compared"] = changes, true
		}
	}
	s.Render(c, status, "diff.html", data)
}

func (s *Server) releaseSitesPage(c *gin.Context) {
	ctx := c.Request.Context()
	sites, latest, err := s.kits.SiteReleases(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	orgs, err := s.orgNames(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	behind := 0
	for _, st := range sites {
		if st.Behind {
			behind++
		}
	}
	s.Render(c, http.StatusOK, "kit_sites.html", gin.H{"Title": "Releases at the sites", "Sites": sites, "Latest": latest, "OrgNames": orgs, "Behind": behind})
}

// orgNames maps organization ids to names.
func (s *Server) orgNames(c *gin.Context) (map[string]string, error) {
	os, err := s.st.Organizations(c.Request.Context())
	names := make(map[string]string, len(os))
	for _, o := range os {
		names[o.ID] = o.Name
	}
	return names, err
}
