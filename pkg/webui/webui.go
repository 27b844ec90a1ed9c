// Package webui holds what the hub's and the agent's pages share: the
// stylesheet, the sign-in and error pages, and the way a form shows its
// mistakes (forms.go, templates/forms.html, static/forms.js). Each program brings its own
// layout (templates "head" and "foot") and its own pages.
package webui

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

//go:embed static templates
var files embed.FS

// Templates parses the shared pages and form snippets and then the
// program's own from fsys (matching pattern) into one set, with the form
// snippets' funcs (FormFuncs) and then the program's funcs.
func Templates(funcs template.FuncMap, fsys fs.FS, pattern string) *template.Template {
	t := template.Must(template.New("").Funcs(FormFuncs()).Funcs(funcs).ParseFS(files, "templates/*.html"))
	return template.Must(t.ParseFS(fsys, pattern))
}

// Static serves the shared stylesheet and other static files at /static.
func Static(r *gin.Engine) {
	static, _ := fs.Sub(files, "static")
	r.StaticFS("/static", http.FS(static))
}

// TemplateFS is the shared templates' sources (for the tests that check
// the catalogue translates them).
func TemplateFS() fs.FS { return files }
