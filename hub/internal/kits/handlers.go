package kits

import (
	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
)

// Handlers is the training kits' HTTP surface: the staff API and pages
// for releases, drafts and their files, and the files agents download.
type Handlers struct {
	*web.Base
	kits *Store
}

// NewHandlers returns the kits' handlers.
func NewHandlers(b *web.Base) *Handlers { return &Handlers{Base: b, kits: New(b.St)} }

// The actions the API and the pages share: each parses nothing, makes its
// one store call and logs who acted; the handlers read the request and
// answer in their own way.

// publish publishes the draft the path names.
func (s *Handlers) publish(c *gin.Context) (store.Release, error) {
	r, err := s.kits.PublishDraft(c.Request.Context(), c.Param("id"), web.StaffName(c))
	if err == nil {
		s.Log.Info("release published", "release", r.Version, "by", web.StaffName(c))
	}
	return r, err
}

// retire retires the release the path names, for a reason.
func (s *Handlers) retire(c *gin.Context, reason string) (store.Release, error) {
	r, err := s.kits.RetireRelease(c.Request.Context(), c.Param("version"), reason)
	if err == nil {
		s.Log.Info("release retired", "release", r.Version, "by", web.StaffName(c))
	}
	return r, err
}
