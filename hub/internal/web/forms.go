package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/webui"
)

// fieldLabels name a form's fields in the message of a field that held a
// character no one types (MarkUnclean).
var fieldLabels = map[string]string{
	"to": "The new stage", "on": "The date", "reason": "The reason", "name": "The name", "type": "The type", "state": "The state",
	"role": "The role", "email": "The email", "phone": "The phone", "due_on": "The due date", "done_on": "The date",
	"note": "The note", "notes": "The notes", "mode": "How", "minutes": "The duration", "specialist_id": "The TA specialist",
	"assignee_id": "The TA specialist", "answer": "The answer", "status": "The status", "request": "The request", "stage": "The stage",
	"since": "The date of the first inquiry", "title": "The title", "trainee_id": "The person", "org": "The organization", "org_id": "The organization",
	"capacity": "The capacity", "location": "The place", "starts_on": "The first day", "ends_on": "The last day", "module": "The module",
	"version": "The version", "code": "The certification code", "held_on": "The date", "completed_on": "The date", "trainer": "The trainer",
}

// FieldLabel is how a form names a field.
func FieldLabel(f string) string {
	if l := fieldLabels[f]; l != "" {
		return l
	}
	return f
}

// A page's form that failed is shown again, with status 422, every typed
// value kept and nothing saved, the way the agent's forms are
// (pkg/webui/forms.go): the show func of the page is given
//
//   - Failed, the name of the form's section (a page may hold several
//     forms), and Posted, the form's values, which the template func kept
//     puts back in that form's fields;
//   - Errors, the section's field mistakes (Errors[section][field]): its
//     summary (template "errsummary") links to each field, and each field
//     has its message ("ferr", func invalid);
//   - FormErrors, the section's message about no one field (a record that
//     no longer exists, a published release), template "formerror".

// FieldErrors maps an error's field mistakes to messages per field; ok is
// false for any other error.
var FieldErrors = webui.FieldErrors

// FormFailed shows the page again with the mistakes of its form's action
// (section names the form), or the failure page when the error is not the
// client's; notFound is the message of a record that does not exist.
func (s *Base) FormFailed(c *gin.Context, err error, section, notFound string, show func(status int, data gin.H)) {
	if data, ok := s.Mistakes(c, err, section, notFound); ok {
		show(http.StatusUnprocessableEntity, data)
	}
}

// Mistakes are the data of a page whose form (section) failed with err:
// for a POST its posted values, for a GET form (a filter) its query's.
// When err is not the client's it answers the failure page and ok is
// false.
func (s *Base) Mistakes(c *gin.Context, err error, section, notFound string) (data gin.H, ok bool) {
	posted := c.Request.PostForm
	if c.Request.Method == http.MethodGet {
		posted = c.Request.URL.Query()
	}
	data = gin.H{"Failed": section, "Posted": posted}
	fe, ok := webui.FieldErrors(c, err)
	if !ok {
		p := clientProblem(err, notFound)
		if p == nil {
			s.Respond(c, err)
			return nil, false
		}
		data["FormErrors"] = map[string]string{section: p.Detail}
		// The fields that held a character no one types are marked
		// whatever else the action found.
		fe = map[string]string{}
		for _, e := range webui.UncleanFields(c) {
			fe[e.Field] = e.Msg
		}
	}
	if len(fe) > 0 {
		data["Errors"] = map[string]map[string]string{section: fe}
	}
	return data, true
}

// Kept is the value a form's field shows: what was typed when the form
// (section) failed, else def.
func Kept(data gin.H, section, field, def string) string {
	if data["Failed"] == section {
		if v, ok := data["Posted"].(url.Values); ok {
			return v.Get(field)
		}
	}
	return def
}

// NonNil is v, or an empty list (never null in JSON).
func NonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// FormInt reads an integer form field; -1 when it is not one.
func FormInt(c *gin.Context, name string) int {
	n, err := strconv.Atoi(c.PostForm(name))
	if err != nil {
		return -1
	}
	return n
}

// Back sends the browser to a page after a form, with the code of a notice.
func Back(c *gin.Context, path, notice string) {
	c.Redirect(http.StatusSeeOther, path+"?done="+notice)
}

// Notices are the messages a page shows after a form went through, by the
// code in ?done= (never text from the address).
var Notices = map[string]string{
	"saved": "Saved.", "contact": "Contact added.", "removed": "Contact removed.", "stage": "Stage changed.",
	"plan": "TA specialist set.", "checkin": "Check-in scheduled.", "moved": "Check-in moved.", "checked": "Check-in marked done.",
	"logged": "Contact logged.", "assigned": "Request assigned.", "answered": "Answer saved; the site receives it at its next sync.",
	"closed": "Request closed.",
}
