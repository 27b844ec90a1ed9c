package textx

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// FormGuard refuses, before any handler reads it, a form (url-encoded or
// multipart) holding a value or a file name that is not Clean: refuse
// answers the client, naming the field (it must abort the chain).
func FormGuard(refuse func(c *gin.Context, field string)) gin.HandlerFunc {
	return func(c *gin.Context) {
		ct := c.ContentType()
		if c.Request.Method == "GET" || c.Request.Method == "HEAD" ||
			(ct != "application/x-www-form-urlencoded" && !strings.HasPrefix(ct, "multipart/form-data")) {
			c.Next()
			return
		}
		if ct == "application/x-www-form-urlencoded" {
			_ = c.Request.ParseForm()
		} else {
			_, _ = c.MultipartForm()
		}
		for k, vs := range c.Request.PostForm {
			if !Clean(k) {
				refuse(c, "(a field name)")
				return
			}
			for _, v := range vs {
				if !Clean(v) {
					refuse(c, k)
					return
				}
			}
		}
		if mf := c.Request.MultipartForm; mf != nil {
			for k, fs := range mf.File {
				for _, f := range fs {
					if !Clean(k) || !Clean(f.Filename) {
						refuse(c, k)
						return
					}
				}
			}
		}
		c.Next()
	}
}
