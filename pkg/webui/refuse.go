package webui

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/textx"
)

// Refusals answer what a program's guards refuse before any handler
// reads the request: an address or a form that cannot be taken as the
// client meant it (textx.QueryGuard, textx.SingleFields, a field whose
// name holds a control character), and a page form sent again after it
// was carried out (Once). A request to the API gets a problem; a page,
// the program's error page.
type Refusals struct {
	// IsAPI tells a request answered with problems.
	IsAPI func(*gin.Context) bool
	// Render draws one of the program's pages.
	Render func(c *gin.Context, status int, name string, data gin.H)
}

// Query answers a request whose address's query (or a form's field sent
// twice) cannot be taken as the client meant it.
func (r Refusals) Query(c *gin.Context, field, msg string) {
	if r.IsAPI(c) {
		problem.Write(c, problem.Query(field, msg))
		return
	}
	if field != "" {
		r.TextPage(c, field)
		return
	}
	r.Render(c, http.StatusBadRequest, "error.html", gin.H{"Title": RefusedTitle(c), "Message": msg})
	c.Abort()
}

// TextPage is the error page for a field, named in the address or by a
// form, that cannot be shown next to its field.
func (r Refusals) TextPage(c *gin.Context, field string) {
	r.Render(c, http.StatusUnprocessableEntity, "error.html", gin.H{"Title": i18n.M("Check what you typed"),
		"Message": "The field \"" + field + "\" " + textx.Problem + ". Nothing was saved: go back, type it again and send the form."})
	c.Abort()
}

// SentAlready answers a page form sent again after it was carried out
// (Once) when there is no page to go back to: nothing was done twice.
func (r Refusals) SentAlready(c *gin.Context) {
	r.Render(c, http.StatusConflict, "error.html", gin.H{"Title": i18n.M("This form was sent already"),
		"Message": i18n.M("It was carried out once, when it was first sent; nothing was done again. Go back to the page to see the result.")})
}

// SentChanged answers a page form sent again with the token of one
// carried out already but with other content (Once): the first was saved,
// this one is not, and the page says so, with a link to what the first
// saved (saved, where it sent the browser; no link when it is not an
// address of this program).
func (r Refusals) SentChanged(c *gin.Context, saved string) {
	if !strings.HasPrefix(saved, "/") || strings.HasPrefix(saved, "//") || strings.HasPrefix(saved, "/\\") {
		saved = ""
	}
	r.Render(c, http.StatusConflict, "sent_changed.html", gin.H{"Title": i18n.M("This form was sent already"),
		"Message": i18n.M("This form was already sent and saved"), "Saved": saved, "SavedLink": i18n.M("see what it saved"),
		"Next": i18n.M("What you changed since was not saved: open the form again and send your changes.")})
}

// RefusedTitle is the title of the page that refuses a request's address
// or form.
func RefusedTitle(c *gin.Context) string {
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		return i18n.M("Check the address")
	}
	return i18n.M("Check the form")
}

// TooLarge answers a request whose body is larger than limit bytes,
// before anything read it: a problem for the API, the error page for a
// page (never an empty answer).
func (r Refusals) TooLarge(c *gin.Context, limit int64) {
	size := fmt.Sprintf("%d MiB", limit>>20)
	if limit < 1<<20 {
		size = fmt.Sprintf("%d KiB", limit>>10)
	}
	if r.IsAPI(c) {
		problem.Write(c, problem.New(http.StatusRequestEntityTooLarge, problem.TypeTooLarge, "The request is larger than "+size+"; nothing was read or changed."))
		return
	}
	r.Render(c, http.StatusRequestEntityTooLarge, "error.html", gin.H{"Title": i18n.M("The form is too large"),
		"Message": "What was sent is larger than " + size + ", so nothing was read or saved. Go back, shorten what you typed (or choose a smaller file) and send the form again."})
	c.Abort()
}

// LimitBody bounds the body of each request applies says (every request
// when nil) to limit bytes: one that says it is larger is answered at
// once (TooLarge); any other cannot be read past the limit.
func (r Refusals) LimitBody(limit int64, applies func(*gin.Context) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if applies != nil && !applies(c) {
			c.Next()
			return
		}
		if c.Request.ContentLength > limit {
			r.TooLarge(c, limit)
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

// MethodNotAllowed answers a method an address does not take: a problem
// of its own type for the API, the error page for a page.
func (r Refusals) MethodNotAllowed(c *gin.Context) {
	if r.IsAPI(c) {
		problem.Write(c, problem.New(http.StatusMethodNotAllowed, problem.TypeMethodNotAllowed, "This method is not allowed here."))
		return
	}
	r.Render(c, http.StatusMethodNotAllowed, "error.html", gin.H{"Title": i18n.M("Not allowed"), "Message": i18n.M("This page cannot be used that way.")})
	c.Abort()
}
