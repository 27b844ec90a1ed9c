package kits

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/program"
)

// The training kits' pages.

func (s *Handlers) KitsPage(c *gin.Context) { s.showKits(c, http.StatusOK, gin.H{}) }

func (s *Handlers) showKits(c *gin.Context, status int, data gin.H) {
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

func (s *Handlers) CreateDraftSubmit(c *gin.Context) {
	var content []byte
	if fh, err := c.FormFile("content_file"); err == nil {
		if content, err = readFormFile(fh); err != nil {
			err = &store.ValidationError{Field: "content_file", Msg: "Choose the file again: the uploaded release could not be read"}
			s.FormFailed(c, err, "draft", "", func(status int, data gin.H) { s.showKits(c, status, data) })
			return
		}
	}
	d, err := s.kits.CreateDraft(c.Request.Context(), c.PostForm("version"), c.PostForm("from"), content, web.StaffName(c))
	if err != nil {
		s.FormFailed(c, err, "draft", "There is no such release to start from.", func(status int, data gin.H) { s.showKits(c, status, data) })
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits/drafts/"+d.ID)
}

func (s *Handlers) DraftPage(c *gin.Context) { s.showDraft(c, http.StatusOK, gin.H{}) }

func (s *Handlers) showDraft(c *gin.Context, status int, data gin.H) {
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
	data["Types"], data["MaxMiB"] = KitMediaTypes, MaxKitFileBytes>>20
	if msg, ok := map[string]string{"content": "The draft's content is saved.", "file": "The file is attached."}[c.Query("saved")]; ok {
		data["Saved"], data["SavedWhat"] = msg, c.Query("saved")
	}
	s.Render(c, status, "draft.html", data)
}

// draftFail shows the draft page again with the mistakes of its form
// (section), or the error page.
func (s *Handlers) draftFail(c *gin.Context, err error, section string) {
	if errors.Is(err, store.ErrPublished) {
		s.Render(c, http.StatusConflict, "error.html", gin.H{"Title": "Not changed", "Message": "This draft has been published, and a published release never changes. Nothing was changed; start a new draft from it on the Training kits page."})
		return
	}
	s.FormFailed(c, err, section, "There is no such draft.", func(status int, data gin.H) {
		if fe, ok := data["FormErrors"].(map[string]string); ok {
			// A message about no one field is the page's.
			data["FormErrors"] = map[string]string{"draft": fe[section]}
		}
		s.showDraft(c, status, data)
	})
}

func (s *Handlers) DraftContentSubmit(c *gin.Context) {
	content := []byte(c.PostForm("content"))
	if fh, err := c.FormFile("content_file"); err == nil {
		if content, err = readFormFile(fh); err != nil {
			s.draftFail(c, &store.ValidationError{Field: "content_file", Msg: "Choose the file again: the uploaded release could not be read"}, "content")
			return
		}
	}
	if _, err := s.kits.ReplaceDraftContent(c.Request.Context(), c.Param("id"), content); err != nil {
		s.draftFail(c, err, "content")
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits/drafts/"+c.Param("id")+"?saved=content")
}

func (s *Handlers) AttachSubmit(c *gin.Context) {
	f, err := readUpload(c)
	if err == nil {
		_, _, err = s.kits.AttachFile(c.Request.Context(), c.Param("id"), f)
	}
	if err != nil {
		s.draftFail(c, err, "attach")
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits/drafts/"+c.Param("id")+"?saved=file")
}

func (s *Handlers) DetachSubmit(c *gin.Context) {
	if _, err := s.kits.DetachFile(c.Request.Context(), c.Param("id"), c.PostForm("sha256"), c.PostForm("lesson_plan")); err != nil {
		s.draftFail(c, err, "remove")
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits/drafts/"+c.Param("id"))
}

func (s *Handlers) PublishSubmit(c *gin.Context) {
	r, err := s.publish(c)
	if err != nil {
		s.draftFail(c, err, "publish")
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits/releases/"+r.Version+"?published=1")
}

func (s *Handlers) DeleteDraftSubmit(c *gin.Context) {
	if err := s.kits.DeleteDraft(c.Request.Context(), c.Param("id")); err != nil {
		s.draftFail(c, err, "draft")
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits")
}

func (s *Handlers) ReleasePage(c *gin.Context) { s.showRelease(c, http.StatusOK, gin.H{}) }

func (s *Handlers) showRelease(c *gin.Context, status int, data gin.H) {
	r, err := s.St.ReleaseByVersion(c.Request.Context(), c.Param("version"))
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

func (s *Handlers) RetireSubmit(c *gin.Context) {
	r, err := s.retire(c, c.PostForm("reason"))
	if err != nil {
		s.FormFailed(c, err, "retire", "There is no such release.", func(status int, data gin.H) { s.showRelease(c, status, data) })
		return
	}
	c.Redirect(http.StatusSeeOther, "/kits/releases/"+r.Version)
}

// kitFile lets staff open a file a draft or release attaches.
func (s *Handlers) KitFile(c *gin.Context) {
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

func (s *Handlers) DiffPage(c *gin.Context) {
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
			m, ok := s.Mistakes(c, err, "diff", "There is no such release: choose one from the lists.")
			if !ok {
				return
			}
			maps.Copy(data, m)
			status = http.StatusUnprocessableEntity
		} else {
			data["Changes"], data["Compared"] = changes, true
		}
	}
	s.Render(c, status, "diff.html", data)
}

func (s *Handlers) ReleaseSitesPage(c *gin.Context) {
	ctx := c.Request.Context()
	sites, latest, err := s.kits.SiteReleases(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	_, orgs, err := s.St.OrganizationNames(c.Request.Context())
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
