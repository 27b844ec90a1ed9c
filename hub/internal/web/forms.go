package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
)

// FormError is the message a page shows for a client's mistake; ok is
// false for any other error.
func FormError(c *gin.Context, err error) (string, bool) {
	ves, invalid := problem.Fields(err)
	switch {
	case invalid:
		return withUnclean(c, err, FieldSentence(ves[0].Field, ves[0].Msg)+" Nothing was changed."), true
	case errors.Is(err, store.ErrNotFound):
		return withUnclean(c, err, "That item no longer exists. Nothing was changed."), true
	}
	return "", false
}

var fieldLabels = map[string]string{
	"to": "The new stage:", "on": "The date", "reason": "The reason", "name": "The name", "type": "The type", "state": "The state",
	"role": "The role", "email": "The email", "phone": "The phone", "due_on": "The due date", "done_on": "The date",
	"note": "The note", "notes": "The notes", "mode": "How", "minutes": "The duration", "specialist_id": "The TA specialist",
	"assignee_id": "The TA specialist", "answer": "The answer", "status": "The status", "request": "The request", "stage": "The stage",
	"since": "The date of the first inquiry", "title": "The title", "trainee_id": "The person", "org": "The organization", "org_id": "The organization",
	"capacity": "The capacity", "location": "The place", "starts_on": "The first day", "ends_on": "The last day", "module": "The module",
	"version": "The version", "code": "The certification code", "held_on": "The date", "completed_on": "The date", "trainer": "The trainer",
}

// FieldSentence writes a field's mistake as a sentence of a form's
// message: one that goes on from the field ("is ...", "must ...") is led
// by its label, one that says what to do ("Enter a date ...") is named
// by it ("The due date: enter a date ...") unless it names it ("Enter the
// title"), one about the form ("say why ...") stands alone.
func FieldSentence(field, msg string) string {
	for _, lead := range []string{"is ", "must ", "cannot ", "are ", "has ", "belongs "} {
		if strings.HasPrefix(msg, lead) {
			return FieldLabel(field) + " " + msg + "."
		}
	}
	r, n := utf8.DecodeRuneInString(msg)
	label := FieldLabel(field)
	if unicode.IsUpper(r) && !strings.Contains(strings.ToLower(msg), strings.ToLower(strings.TrimPrefix(label, "The "))) {
		return label + ": " + string(unicode.ToLower(r)) + msg[n:] + "."
	}
	return string(unicode.ToUpper(r)) + msg[n:] + "."
}

// FieldLabel is how a form names a field.
func FieldLabel(f string) string {
	if l := fieldLabels[f]; l != "" {
		return l
	}
	return f
}

// FormFailed shows the page again with the error of a form, or the failure
// page when the error is not the client's.
func (s *Base) FormFailed(c *gin.Context, err error, show func(status int, data gin.H), section string) {
	msg, ok := FormError(c, err)
	if !ok {
		s.Respond(c, err)
		return
	}
	show(http.StatusUnprocessableEntity, gin.H{"Errors": map[string]string{section: msg}})
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
