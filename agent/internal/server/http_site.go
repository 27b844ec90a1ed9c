package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
)

// siteHandlers are the site as a whole: the audit log, the active release
// and the files it attaches to its lesson plans, and sync with the hub.
type siteHandlers struct{ *web.App }

func (s *siteHandlers) apiRelease(c *gin.Context) {
	rel, err := s.St.ActiveRelease(c.Request.Context())
	// The release keeps lesson_plans out of its canonical form when it has
	// none; the API answers [] all the same.
	s.Reply(c, http.StatusOK, struct {
		program.Release
		LessonPlans []program.LessonPlan `json:"lesson_plans"`
	}{rel, append([]program.LessonPlan{}, rel.LessonPlans...)}, err)
}

// syncStatus gathers what the sync page and API show.
func (s *siteHandlers) syncStatus(c *gin.Context) (gin.H, error) {
	ctx := c.Request.Context()
	ob, err := s.St.Outbox.Outbox(ctx)
	if err != nil {
		return nil, err
	}
	out := gin.H{"outbox": ob, "enrolled": false}
	if e, err := s.St.Enrollment(ctx); err == nil {
		out["enrolled"], out["hub_url"], out["site_name"], out["org_name"] = true, e.HubURL, e.SiteName, e.OrgName
	}
	for _, k := range []string{store.MetaRelease, store.MetaLastSync, store.MetaLastSuccess, store.MetaLastError} {
		v, err := s.St.Meta(ctx, k)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func (s *siteHandlers) apiSyncStatus(c *gin.Context) {
	st, err := s.syncStatus(c)
	s.Reply(c, http.StatusOK, st, err)
}

func (s *siteHandlers) apiSyncRun(c *gin.Context) {
	if _, err := s.St.Enrollment(c.Request.Context()); err != nil {
		problem.Write(c, problem.New(http.StatusConflict, problem.TypeConflict, err.Error()))
		return
	}
	s.NudgeSync()
	c.JSON(http.StatusAccepted, gin.H{"status": "a sync round has been requested"})
}

func (s *siteHandlers) syncPage(c *gin.Context) {
	st, err := s.syncStatus(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	st["Title"] = "Sync with the hub"
	// The times of the last rounds, kept as RFC 3339, shown in words.
	for key, meta := range map[string]string{"LastSync": store.MetaLastSync, "LastSuccess": store.MetaLastSuccess} {
		if t, err := time.Parse(time.RFC3339, fmt.Sprint(st[meta])); err == nil {
			st[key] = &t
		}
	}
	st["Requested"] = c.Query("requested") == "1"
	s.Render(c, http.StatusOK, "sync.html", st)
}

func (s *siteHandlers) syncSubmit(c *gin.Context) {
	s.NudgeSync()
	c.Redirect(http.StatusSeeOther, "/sync?requested=1")
}

// kitFile serves a file of the release, as the hub sent it.
func (s *siteHandlers) kitFile(c *gin.Context) {
	f, err := s.St.Coaches.KitFileBySHA(c.Request.Context(), c.Param("sha"))
	if errors.Is(err, store.ErrNotFound) {
		if web.IsAPI(c) {
			s.Respond(c, web.NotFound(err, "The site holds no such file; it arrives with the next sync."))
			return
		}
		s.Render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not here yet", "Message": "This file has not arrived from the hub yet; it comes with the next sync."})
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "sandbox")
	c.Header("Cache-Control", "private, max-age=86400")
	c.Data(http.StatusOK, f.MediaType, f.Data)
}
