package textx

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// FormGuard refuses, before any handler reads it, a form (url-encoded or
// multipart) holding a value or a file name that is not Clean: refuse
// answers the client, naming the field (it must abort the chain).
func FormGuard(refuse func(c *gin.Context, field string)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !parseForm(c) {
			c.Next()
			return
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

// QueryGuard refuses a request whose address holds a query that cannot be
// read (a semicolon, a broken escape), names a parameter more than once,
// or holds a character no one types: read on, each would be taken as
// something the client did not mean (the first of two values, or no
// filter at all). refuse answers with the message, naming the parameter
// when it holds a character no one types (answered as a body's field is).
// Characters are checked only where checkText says (the API): a page may
// take a search with such a character and say so beside its results.
func QueryGuard(refuse func(c *gin.Context, field, msg string), checkText func(c *gin.Context) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		raw := c.Request.URL.RawQuery
		if raw == "" {
			c.Next()
			return
		}
		q, err := url.ParseQuery(raw)
		if err != nil {
			refuse(c, "", "The query of the address cannot be read: separate its parameters with & and escape the rest.")
			return
		}
		text := checkText(c)
		for k, vs := range q {
			if text && !Clean(k) {
				refuse(c, "(a parameter name)", "")
				return
			}
			if text && !Clean(strings.Join(vs, "")) {
				refuse(c, k, "")
				return
			}
			if len(vs) > 1 {
				refuse(c, "", "The parameter \""+k+"\" appears more than once in the address: give it once.")
				return
			}
		}
		c.Next()
	}
}

// SingleFields refuses a form (url-encoded or multipart) that sends a
// field more than once, other than those named in multi (a group of
// checkboxes): read on, the first value would be taken and the other
// silently dropped. refuse answers with the message (its field is "").
// Forms for which own says true report a repeated field next to it
// themselves, and are let through.
func SingleFields(refuse func(c *gin.Context, field, msg string), own func(c *gin.Context) bool, multi ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if (own != nil && own(c)) || !parseForm(c) {
			c.Next()
			return
		}
		for k, vs := range c.Request.PostForm {
			if len(vs) > 1 && !slices.Contains(multi, k) && Clean(k) {
				refuse(c, "", "The field \""+k+"\" was sent more than once: send the form again from its page.")
				return
			}
		}
		c.Next()
	}
}

// parseForm parses a posted form (url-encoded or multipart) and reports
// whether the request is one; the guards look at nothing else.
func parseForm(c *gin.Context) bool {
	ct := c.ContentType()
	if c.Request.Method == "GET" || c.Request.Method == "HEAD" ||
		(ct != "application/x-www-form-urlencoded" && !strings.HasPrefix(ct, "multipart/form-data")) {
		return false
	}
	if ct == "application/x-www-form-urlencoded" {
		_ = c.Request.ParseForm()
	} else {
		_, _ = c.MultipartForm()
	}
	return true
}
