package textx

import (
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// Unclean is a field of a posted form that held a character no one
// types: in its value, or (File) in the name of a file it sent. A field
// whose name itself held one is named NameField.
type Unclean struct {
	Field string
	File  bool
}

// NameField stands for a field whose name is not Clean.
const NameField = "(a field name)"

// FormGuard finds, before any handler reads it, the fields of a form
// (url-encoded or multipart) whose value or file name is not Clean, and
// hands them to bad, in the order of their names. bad either answers the
// client (it must abort the chain) or lets the request go on, in which
// case it is for bad to clean the form first (StripForm).
func FormGuard(bad func(c *gin.Context, fields []Unclean)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !parseForm(c) {
			c.Next()
			return
		}
		var found []Unclean
		for k, vs := range c.Request.PostForm {
			if !Clean(k) {
				found = append(found, Unclean{Field: NameField})
				continue
			}
			if slices.ContainsFunc(vs, func(v string) bool { return !Clean(v) }) {
				found = append(found, Unclean{Field: k})
			}
		}
		if mf := c.Request.MultipartForm; mf != nil {
			for k, fs := range mf.File {
				switch {
				case !Clean(k):
					found = append(found, Unclean{Field: NameField})
				case slices.ContainsFunc(fs, func(f *multipart.FileHeader) bool { return !Clean(f.Filename) }):
					found = append(found, Unclean{Field: k, File: true})
				}
			}
		}
		if len(found) == 0 {
			c.Next()
			return
		}
		slices.SortFunc(found, func(a, b Unclean) int { return strings.Compare(a.Field, b.Field) })
		bad(c, slices.Compact(found))
	}
}

// StripForm takes the characters no one types out of every value and
// file name of a parsed form, where handlers read them (the request's
// Form, PostForm and multipart form).
func StripForm(r *http.Request) {
	for _, vals := range []url.Values{r.Form, r.PostForm} {
		for _, vs := range vals {
			for i, v := range vs {
				vs[i] = Strip(v)
			}
		}
	}
	if mf := r.MultipartForm; mf != nil {
		for _, vs := range mf.Value {
			for i, v := range vs {
				vs[i] = Strip(v)
			}
		}
		for _, fs := range mf.File {
			for _, f := range fs {
				f.Filename = Strip(f.Filename)
			}
		}
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
