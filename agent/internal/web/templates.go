package web

import (
	"embed"
	"html/template"
	"strings"

	"github.com/itsmylife/iml/pkg/webui"
)

//go:embed templates
var webFS embed.FS

// Pages are the agent's page templates (templates/*.html), with funcs.
func Pages() *template.Template { return webui.Templates(funcs, webFS, "templates/*.html") }

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
	"cents": Dollars,
	// arr packs arguments for a sub-template.
	"arr": func(v ...any) []any { return v },
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
}
