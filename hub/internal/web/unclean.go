package web

import (
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/textx"
)

// A page's form holding a character no one types (a control character, an
// invisible formatting one: textx.FormGuard) comes back as its handler
// shows any mistake, with what else was typed kept, and changes nothing:
// its values are cleaned of those characters (MarkUnclean), the handler
// runs with the database's writes barred (dbx.BarRequest, dbx.BarMarked),
// so its first write fails with these fields' mistakes,
// and the form's message (Message, FormError) says which fields to check.
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

// uncleanFields are the request's fields that held a character no one
// types, as field mistakes (none when it had none).
func uncleanFields(c *gin.Context) problem.Invalids {
	ves, _ := problem.Fields(dbx.RequestBar(c))
	return ves
}

// withUnclean is the message of a form's mistake, msg, led by what to
// check in the fields that held a character no one types: when err is
// the barrier's (the action's first write), those alone.
func withUnclean(c *gin.Context, err error, msg string) string {
	ves := uncleanFields(c)
	if len(ves) == 0 {
		return msg
	}
	msgs := make([]string, 0, len(ves)+1)
	for _, e := range ves {
		msgs = append(msgs, e.Msg+".")
	}
	if got, _ := problem.Fields(err); slices.Equal(got, ves) {
		msg = "Nothing was changed."
	}
	return strings.Join(append(msgs, msg), " ")
}
