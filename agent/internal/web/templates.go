package web

import (
	"embed"
	"html/template"
	"io/fs"
	"strconv"

	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/webui"
)

//go:embed templates
var webFS embed.FS

// Pages are the agent's page templates (templates/*.html), with funcs,
// the clock's (webui.Clock.Funcs: when, ago, day, dayOf, date, month,
// dollars, timeAttr: every date-only value a page shows goes through date,
// "Tue 4 Mar 2025", and a month through month, "March 2025") and the catalogue's: t (a message in a language, {{t .Lang
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
	// fig shows a figure that may be missing (*float64 nil: "–") with
	// one decimal; signed adds the sign of a change.
	"fig":    func(v any) string { return fig(v, false) },
	"signed": func(v any) string { return fig(v, true) },
	// pval shows a p-value: three decimals, "< 0.001" below, "–" missing.
	"pval": func(v any) string {
		p, ok := v.(float64)
		switch {
		case !ok:
			return "–"
		case p < 0.001:
			return "< 0.001"
		}
		return strconv.FormatFloat(p, 'f', 3, 64)
	},
}

func fig(v any, signed bool) string {
	var x float64
	switch f := v.(type) {
	case *float64:
		if f == nil {
			return "–"
		}
		x = *f
	case float64:
		x = f
	default:
		return "–"
	}
	s := strconv.FormatFloat(x, 'f', 1, 64)
	if signed && x > 0 {
		s = "+" + s
	}
	return s
}

// TemplateFS is the pages' template sources (for the tests that check the
// catalogue translates them).
func TemplateFS() fs.FS { return webFS }
