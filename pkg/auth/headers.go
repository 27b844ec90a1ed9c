package auth

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// StaticPrefix is where both programs serve their embedded static files
// (the stylesheet), the only answers that may be cached.
const StaticPrefix = "/static/"

// SecurityHeaders sets the headers every answer of both programs carries,
// before the handler runs (a handler may set its own instead: a page its
// Content-Security-Policy, a release file its caching):
//
//   - Cache-Control: no-store, on everything but the static files: pages
//     and API answers show participants' and sites' data, which must not
//     stay in a browser's or a proxy's cache;
//   - Referrer-Policy: no-referrer: no address of a page (with the ids in
//     it) goes to another site with a link followed or a file fetched;
//   - X-Content-Type-Options: nosniff;
//   - X-Frame-Options: DENY and a Content-Security-Policy that allows
//     nothing, frames included (pages replace it with their own, which
//     keeps frame-ancestors 'none');
//   - Strict-Transport-Security, when hsts is set: the program is served
//     over HTTPS (its cookies are marked Secure), and browsers should go
//     on using HTTPS for it.
func SecurityHeaders(hsts bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		if !strings.HasPrefix(c.Request.URL.Path, StaticPrefix) {
			h.Set("Cache-Control", "no-store")
		}
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		c.Next()
	}
}
