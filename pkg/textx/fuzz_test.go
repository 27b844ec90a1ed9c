package textx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// FuzzFormGuard posts arbitrary form bodies, url-encoded and multipart,
// through the guard: it never panics, and a form it lets through (clean,
// or cleaned by StripForm when no field's name is unclean) holds only
// clean names, values and file names.
func FuzzFormGuard(f *testing.F) {
	gin.SetMode(gin.TestMode)
	for _, s := range []string{"a=1&b=two", "name=Ann%00", "x=%E2%80%AE", "a=%zz", "&&&=", "a=1&a=2",
		"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--B--\r\n",
		"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"e\x07.pdf\"\r\n\r\nbytes\r\n--B--\r\n"} {
		f.Add(s, strings.HasPrefix(s, "--B"))
	}
	f.Fuzz(func(t *testing.T, body string, multipart bool) {
		var passed bool
		r := gin.New()
		r.Use(FormGuard(func(c *gin.Context, fields []Unclean) {
			if len(fields) == 0 {
				t.Fatalf("the guard named no field: %v", fields)
			}
			for _, f := range fields {
				if f.Field == NameField {
					c.AbortWithStatus(http.StatusUnprocessableEntity)
					return
				}
			}
			StripForm(c.Request)
		}))
		r.POST("/", func(c *gin.Context) {
			passed = true
			_ = c.Request.ParseForm()
			for k, vs := range c.Request.Form {
				for _, v := range append(vs, k) {
					if !Clean(v) {
						t.Fatalf("the guard let %q through", v)
					}
				}
			}
			if mf := c.Request.MultipartForm; mf != nil {
				for _, fs := range mf.File {
					for _, fh := range fs {
						if !Clean(fh.Filename) {
							t.Fatalf("the guard let file name %q through", fh.Filename)
						}
					}
				}
			}
			c.Status(http.StatusNoContent)
		})
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if multipart {
			req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if passed != (w.Code == http.StatusNoContent) || (!passed && w.Code != http.StatusUnprocessableEntity) {
			t.Fatalf("status %d, handler reached %v", w.Code, passed)
		}
	})
}
