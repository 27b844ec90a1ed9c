package web

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/i18n"
)

// The participant's pages (their journal, its sign-in and start, the
// anonymous survey and survey mode) are offered in English and Spanish,
// as the participant chooses (i18n.Pick: ?lang=, kept in a cookie, else
// the browser's languages); staff pages are in English.

// ParticipantPath tells the paths of the participant's pages: /journal...
// and /survey... (not the staff's /surveys).
func ParticipantPath(path string) bool {
	for _, p := range []string{"/journal", "/survey"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// Language picks the language of a participant's page (i18n.Middleware);
// any other page is English.
func Language(secure bool) gin.HandlerFunc {
	pick := i18n.Middleware(secure)
	return func(c *gin.Context) {
		if ParticipantPath(c.Request.URL.Path) {
			pick(c)
			return
		}
		c.Next()
	}
}

// Lang is the language of the request's page.
func Lang(c *gin.Context) string { return i18n.Lang(c) }

// T translates a message the participant reads into the language of the
// page, filling its verbs with args (English on staff pages). The tests
// check that the catalogue translates every message passed to T.
func T(c *gin.Context, msg string, args ...any) string {
	return i18n.Default().T(Lang(c), msg, args...)
}

// Tr translates a text that is not a format (a release's text, a message
// marked with i18n.M) into the language of the page; a text the catalogue
// does not know stays as it is.
func Tr(c *gin.Context, text string) string { return i18n.Default().Text(Lang(c), text) }

// langLink is a link of the language switch.
type langLink struct {
	Code, Name, Href string
	Current          bool
}

// langLinks are the language switch of a participant's page: the same
// page in each language.
func langLinks(c *gin.Context) []langLink {
	lang := Lang(c)
	out := make([]langLink, len(i18n.Languages))
	for i, l := range i18n.Languages {
		q := url.Values{}
		if c.Request.Method == "GET" {
			q = c.Request.URL.Query()
		}
		q.Set("lang", l.Code)
		out[i] = langLink{Code: l.Code, Name: l.Name, Href: c.Request.URL.Path + "?" + q.Encode(), Current: l.Code == lang}
	}
	return out
}
