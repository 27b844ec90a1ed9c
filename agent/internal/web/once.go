package web

import (
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
)

// A secret a form makes and a page shows once (a participant's new start
// code): the form's POST keeps it for the staff session that sent it and
// redirects (303); the page it redirects to takes it, and so it is gone.
// Reloading that page, or posting nothing again, shows it no more. It is
// kept in this process's memory only, for ShownFor at most: never in the
// database, a log or an address.

// ShownFor is how long a secret waits to be shown.
const ShownFor = 10 * time.Minute

// maxShown bounds the secrets waiting at once (each staff session keeps
// at most one per key).
const maxShown = 1024

type shownSecret struct {
	value any
	until time.Time
}

// shown holds the secrets waiting to be shown, by session and key.
type shown struct {
	mu sync.Mutex
	m  map[string]shownSecret
}

// shownKey is the secret's key for the request's staff session; "" when
// the request has none.
func shownKey(c *gin.Context, key string) string {
	sess, ok := c.Get(ctxSession)
	if !ok {
		return ""
	}
	return sess.(store.Session).Hash + "|" + key
}

// KeepShown keeps v to be shown once to this staff session under key (a
// newer one replaces it). It reports false when the request has no staff
// session.
func (s *App) KeepShown(c *gin.Context, key string, v any) bool {
	k := shownKey(c, key)
	if k == "" {
		return false
	}
	now := time.Now()
	s.shown.mu.Lock()
	defer s.shown.mu.Unlock()
	if s.shown.m == nil {
		s.shown.m = map[string]shownSecret{}
	}
	if len(s.shown.m) >= maxShown {
		for x, e := range s.shown.m {
			if now.After(e.until) || len(s.shown.m) >= maxShown {
				delete(s.shown.m, x)
			}
		}
	}
	s.shown.m[k] = shownSecret{value: v, until: now.Add(ShownFor)}
	return true
}

// TakeShown returns the secret kept for this staff session under key and
// forgets it; ok is false when there is none (shown already, expired, or
// never kept).
func (s *App) TakeShown(c *gin.Context, key string) (v any, ok bool) {
	k := shownKey(c, key)
	if k == "" {
		return nil, false
	}
	s.shown.mu.Lock()
	defer s.shown.mu.Unlock()
	e, ok := s.shown.m[k]
	delete(s.shown.m, k)
	if !ok || time.Now().After(e.until) {
		return nil, false
	}
	return e.value, true
}
