package web

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/webui"
)

// Render executes a page template; the layout fills in the signed-in user
// and the CSRF token for forms.
func (s *Base) Render(c *gin.Context, status int, name string, data gin.H) {
	if status >= http.StatusBadRequest {
		// A form shown again never sends a huge value back.
		webui.ShortenKept(data)
	}
	if u, ok := c.Get(CtxUser); ok {
		data["User"] = u
	}
	if sess, ok := c.Get(CtxSession); ok {
		data["CSRF"] = sess.(store.Session).CSRF
	}
	// A page's forms find their mistakes here (FormFailed), none when
	// nothing failed.
	for k, v := range map[string]any{"Failed": "", "Errors": map[string]map[string]string{}, "FormErrors": map[string]string{}} {
		if _, ok := data[k]; !ok {
			data[k] = v
		}
	}
	var buf bytes.Buffer
	if err := s.Pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.Log.Error("template", "name", name, "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("The page could not be drawn. The failure has been logged."))
		return
	}
	// The other security headers are auth.SecurityHeaders'.
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}
