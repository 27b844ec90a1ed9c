package web

import (
	"embed"
	"html/template"
	"io/fs"
	"strings"

	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/webui"
)

//go:embed templates
var webFS embed.FS

// Pages are the agent's page templates (templates/*.html), with funcs,
// the clock's (webui.Clock.Funcs: when, ago, day, dayOf, dollars,
// timeAttr) and the catalogue's: t (a message in a language, {{t .Lang
// "English text" args...}}) and tr (a text that is not a format, such as a
// release's journal prompt, {{tr .Lang .Text}}).
func Pages(clock webui.Clock) *template.Template {
	fm := template.FuncMap{}
	for k, v := range funcs {
		fm[k] = v
	}
	for k, v := range clock.Funcs() {
		fm[k] = v
	}
	cat := i18n.Default()
	fm["t"] = cat.T
	fm["tr"] = cat.Text
	return webui.Templates(fm, webFS, "templates/*.html")
}

// SessionCookie holds a staff session's token.
const SessionCookie = "iml_agent_session"

// The context keys of the signed-in user and session (staff), and of the
// signed-in participant and their session (their own journal).
const (
	ctxUser        = "iml.user"
	ctxSession     = "iml.session"
	CtxParticipant = "iml.participant"
	CtxPartSession = "iml.participant_session"
)

var funcs = template.FuncMap{
	"answer": func(m map[string]bool, code string) string {
		v, ok := m[code]
		switch {
		case !ok:
			return "–"
		case v:
			return "present"
		default:
			return "not present"
		}
	},
	// arr packs arguments for a sub-template.
	"arr": func(v ...any) []any { return v },
	// invalid marks a form field with a message (formerrors.go);
	// errorItems are a form's error summary.
	"invalid":    invalidAttrs,
	"errorItems": ErrorItems,
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
}

// TemplateFS is the pages' template sources (for the tests that check the
// catalogue translates them).
func TemplateFS() fs.FS { return webFS }
