package web

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/textx"
)

// A form holding a character no one types (a control character, an
// invisible formatting one: textx.FormGuard) changes nothing. The API
// refuses it with a 422 problem naming the field. A page's form comes
// back as its handler shows any mistake, with the rest of what was typed
// kept: the form's values are cleaned of those characters, the handler
// runs with the database's writes barred (dbx.BarRequest, dbx.BarMarked),
// so its first write fails with these fields' mistakes, and FieldErrors
// puts each next to its field and in the summary, whatever else the
// handler found.

// The messages next to such a field (in the catalogue: a participant's
// forms show them in their language).
var (
	uncleanValue = i18n.M("Check this text and send the form again: a hidden control or formatting character was taken out of it")
	uncleanFile  = i18n.M("Rename the file and choose it again: its name holds a hidden control or formatting character")
)

// RefuseText answers a form whose fields hold a control or invisible
// formatting character (textx.FormGuard): the API with a problem; a page
// goes on to its handler, as above. A field whose name holds one (no
// page's form sends that) gets the error page.
func (s *App) RefuseText(c *gin.Context, fields []textx.Unclean) {
	if IsAPI(c) {
		problem.Write(c, problem.UncleanText(fields[0].Field))
		return
	}
	mistakes := make(problem.Invalids, 0, len(fields))
	for _, f := range fields {
		switch {
		case f.Field == textx.NameField:
			s.Refusals().TextPage(c, f.Field)
			return
		case f.File:
			mistakes = append(mistakes, problem.Invalid{Field: storeField(f.Field), Msg: uncleanFile})
		default:
			mistakes = append(mistakes, problem.Invalid{Field: storeField(f.Field), Msg: uncleanValue})
		}
	}
	textx.StripForm(c.Request)
	dbx.BarRequest(c, mistakes)
}

// storeField is the field a form's input is known by in the store's
// mistakes, which its form shows next to it: the answers of the journal,
// interview and survey forms (a_<code>, s_<code>) are answers.<code>; any
// other input is its own name.
func storeField(input string) string {
	for _, prefix := range []string{"a_", "s_"} {
		if code, ok := strings.CutPrefix(input, prefix); ok && code != "" {
			return "answers." + code
		}
	}
	return input
}
