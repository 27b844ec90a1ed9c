package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
)

// The one error path of the agent's handlers: respond answers an action's
// error on the API with a problem (application/problem+json) and on a page
// with the error page, and logs an unexpected one once, with the method
// and the route pattern (never the path, which holds ids). A form that
// shows its field mistakes again takes them from fieldErrors first.

// missing is a record that does not exist, with what a person is told: the
// API's message ("No such coach.") and the page's ("There is no such
// coach.").
type missing struct{ api, page string }

func (m *missing) Error() string { return m.api }

// Is makes a missing record a store.ErrNotFound.
func (m *missing) Is(target error) bool { return target == store.ErrNotFound }

// notFound names what err did not find, when it is store.ErrNotFound: msg
// is the API's message; a page says "There is no such ..." for "No such
// ...", else the same.
func notFound(err error, msg string) error {
	var m *missing
	if !errors.Is(err, store.ErrNotFound) || errors.As(err, &m) {
		return err
	}
	page := msg
	if rest, ok := strings.CutPrefix(msg, "No such "); ok {
		page = "There is no such " + rest
	}
	return &missing{api: msg, page: page}
}

// respond answers err:
//   - a client that went away: logged at Info as a disconnect (on the
//     survey's routes not at all), nothing answered;
//   - field mistakes (problem.Invalid, problem.Invalids): 422;
//   - a missing record (missing, store.MissingError, store.ErrNotFound,
//     which is a participant): 404;
//   - a refusal (store.ErrForbidden): 403;
//   - a month already paid, or not payable (the API): 409, 422;
//   - anything else: logged in full, 500 shown without detail.
func (s *app) respond(c *gin.Context, err error) {
	if problem.ClientGone(c, err) {
		if surveyRoute(c.FullPath()) {
			c.AbortWithStatus(problem.StatusClientClosed)
			return
		}
		problem.Gone(c, s.log, err)
		return
	}
	var m *missing
	var me *store.MissingError
	var np *store.NotPayableError
	switch {
	case errors.As(err, &m):
		s.notFound(c, m)
	case errors.As(err, &me):
		s.notFound(c, &missing{api: "No such " + me.What + " for this participant.", page: "There is no such " + me.What + " for this participant."})
	case errors.Is(err, store.ErrNotFound):
		s.notFound(c, &missing{api: "No such participant.", page: "There is no such participant."})
	case errors.Is(err, store.ErrForbidden):
		s.forbid(c, "Only the Program Director can do this.")
	case !isAPI(c):
		s.log.Error("request failed", "method", c.Request.Method, "route", c.FullPath(), "err", err)
		s.render(c, http.StatusInternalServerError, "error.html", gin.H{"Title": "Something went wrong", "Message": "The page could not be shown. The failure has been logged."})
		c.Abort()
	case errors.As(err, &np):
		fe := make([]problem.FieldError, len(np.Reasons))
		for i, r := range np.Reasons {
			fe[i] = problem.FieldError{Field: "month", Detail: r}
		}
		problem.Write(c, problem.Validation("The stipend for "+np.Month+" is not payable; nothing was approved.", fe...))
	case errors.Is(err, store.ErrAlreadyPaid):
		problem.Write(c, problem.New(http.StatusConflict, problem.TypeConflict, "The stipend for this month has already been approved."))
	default:
		if p := invalidProblem(err); p != nil {
			problem.Write(c, p)
			return
		}
		problem.Internal(c, s.log, err)
	}
}

// reply answers an action: its result v as JSON with status, or its error
// (respond).
func (s *app) reply(c *gin.Context, status int, v any, err error) {
	if err != nil {
		s.respond(c, err)
		return
	}
	c.JSON(status, v)
}

// found tells whether a record a page needs was found; when it was not
// (or the lookup failed), it answers with respond (msg is the API's
// not-found message, as for notFound).
func (s *app) found(c *gin.Context, err error, msg string) bool {
	if err != nil {
		s.respond(c, notFound(err, msg))
	}
	return err == nil
}

// notFound answers a missing record.
func (s *app) notFound(c *gin.Context, m *missing) {
	if isAPI(c) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, m.api))
		return
	}
	s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": m.page})
	c.Abort()
}

// invalidProblem is the 422 problem of field mistakes, nil for another
// error.
func invalidProblem(err error) *problem.Problem {
	var ves problem.Invalids
	var ve *problem.Invalid
	switch {
	case errors.As(err, &ves):
		fe := make([]problem.FieldError, len(ves))
		for i, e := range ves {
			fe[i] = problem.FieldError{Field: e.Field, Detail: e.Msg}
		}
		return problem.Validation("Some fields need attention; nothing was saved.", fe...)
	case errors.As(err, &ve):
		return problem.Validation(ve.Error(), problem.FieldError{Field: ve.Field, Detail: ve.Msg})
	}
	return nil
}

// fieldErrors maps an error's field mistakes to messages per form field,
// for a form shown again; ok is false for any other error (respond's).
func fieldErrors(err error) (map[string]string, bool) {
	var ves problem.Invalids
	var ve *problem.Invalid
	switch {
	case errors.As(err, &ves):
		m := map[string]string{}
		for _, e := range ves {
			m[e.Field] = e.Msg
		}
		return m, true
	case errors.As(err, &ve):
		return map[string]string{ve.Field: ve.Msg}, true
	}
	return nil, false
}
