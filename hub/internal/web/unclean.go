package web

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/textx"
	"github.com/itsmylife/iml/pkg/webui"
)

// A page's form holding a character no one types (a control character, an
// invisible formatting one: textx.FormGuard) comes back as its handler
// shows any mistake, with what else was typed kept, and changes nothing:
// its values are cleaned of those characters (MarkUnclean), the handler
// runs with the database's writes barred (dbx.BarRequest, dbx.BarMarked),
// so its first write fails with these fields' mistakes,
// and the form is shown again with their messages next to them (FormFailed).
// The API refuses such a form with a problem naming the field.

// MarkUnclean cleans a page's form whose fields hold a character no one
// types and marks the request with their mistakes.
func MarkUnclean(c *gin.Context, fields []textx.Unclean) {
	ves := make(problem.Invalids, len(fields))
	for i, f := range fields {
		name := "“" + f.Field + "”"
		if l := FieldLabel(f.Field); l != f.Field {
			name = strings.ToLower(l[:1]) + l[1:]
		}
		msg := "Check " + name + " and send the form again: a hidden control or formatting character was taken out of it"
		if f.File {
			msg = "Rename the file of " + name + " and choose it again: its name holds a hidden control or formatting character"
		}
		ves[i] = problem.Invalid{Field: f.Field, Msg: msg}
	}
	textx.StripForm(c.Request)
	dbx.BarRequest(c, ves)
}

// PageForm tells a page's form (not the API's, not the sync protocol's):
// it shows its mistakes next to its fields.
func PageForm(c *gin.Context) bool {
	return !IsAPI(c) && !strings.HasPrefix(c.Request.URL.Path, "/sync/")
}

// MarkRepeated marks a page's form that sends a field more than once (no
// page's form does that) as MarkUnclean does, each such field with its
// message: the action runs with writes barred and the form comes back
// with the message next to the field. The API's forms are refused whole
// before (textx.SingleFields).
func MarkRepeated(c *gin.Context) {
	if c.Request.Method != http.MethodPost || !PageForm(c) || c.Request.PostForm == nil {
		return
	}
	rep := webui.RepeatedFields(c, slices.Collect(maps.Keys(c.Request.PostForm))...)
	if len(rep) == 0 {
		return
	}
	ves, _ := problem.Fields(dbx.RequestBar(c))
	for _, f := range slices.Sorted(maps.Keys(rep)) {
		ves = append(ves, problem.Invalid{Field: f, Msg: rep[f]})
	}
	dbx.BarRequest(c, ves)
}
