package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/webui"
)

// The one error path of the agent's handlers: respond answers an action's
// error on the API with a problem (application/problem+json) and on a page
// with the error page, and logs an unexpected one once, with the method
// and the route pattern (never the path, which holds ids). A form that
// shows its field mistakes again takes them from FieldErrors first.

// Missing is a record that does not exist, with what a person is told: the
// API's message ("No such coach.") and the page's ("There is no such
// coach.").
type Missing struct{ API, Page string }

func (m *Missing) Error() string { return m.API }

// Is makes a missing record a store.ErrNotFound.
func (m *Missing) Is(target error) bool { return target == store.ErrNotFound }

// NotFound names what err did not find, when it is store.ErrNotFound: msg
// is the API's message; a page says "There is no such ..." for "No such
// ...", else the same.
func NotFound(err error, msg string) error {
	var m *Missing
	if !errors.Is(err, store.ErrNotFound) || errors.As(err, &m) {
		return err
	}
	page := msg
	if rest, ok := strings.CutPrefix(msg, "No such "); ok {
		page = "There is no such " + rest
	}
	return &Missing{API: msg, Page: page}
}

// Respond answers err:
//   - a client that went away: logged at Info as a disconnect (on the
//     survey's routes not at all), nothing answered;
//   - field mistakes (problem.Invalid, problem.Invalids): 422;
//   - a missing record (missing, store.MissingError, store.ErrNotFound,
//     which is a participant): 404;
//   - a refusal (store.ErrForbidden): 403;
//   - a month already paid, or not payable (the API): 409, 422;
//   - anything else: logged in full, 500 shown without detail.
func (s *App) Respond(c *gin.Context, err error) {
	if problem.ClientGone(c, err) {
		if SurveyRoute(c.FullPath()) {
			c.AbortWithStatus(problem.StatusClientClosed)
			return
		}
		problem.Gone(c, s.Log, err)
		return
	}
	var m *Missing
	var me *store.MissingError
	var np *store.NotPayableError
	switch {
	case errors.As(err, &m):
		s.writeMissing(c, m)
	case errors.As(err, &me):
		s.writeMissing(c, &Missing{API: "No such " + me.What + " for this participant.", Page: "There is no such " + me.What + " for this participant."})
	case errors.Is(err, store.ErrNotFound):
		s.writeMissing(c, &Missing{API: "No such participant.", Page: "There is no such participant."})
	case errors.Is(err, store.ErrForbidden):
		s.Forbid(c, "Only the Program Director can do this.")
	case !IsAPI(c) && invalidProblem(err) != nil:
		// Field mistakes that no form shows next to its fields.
		ves, _ := problem.Fields(err)
		msgs := make([]string, len(ves))
		for i, e := range ves {
			msgs[i] = Sentence(e.Field, Tr(c, e.Msg))
		}
		s.Render(c, http.StatusUnprocessableEntity, "error.html", gin.H{"Title": webui.RefusedTitle(c), "Message": strings.Join(msgs, " ") + " Nothing was saved."})
		c.Abort()
	case !IsAPI(c):
		s.Log.Error("request failed", "method", c.Request.Method, "route", c.FullPath(), "err", err)
		s.Render(c, http.StatusInternalServerError, "error.html", gin.H{"Title": i18n.M("Something went wrong"), "Message": i18n.M("The page could not be shown. The failure has been logged.")})
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
		problem.Internal(c, s.Log, err)
	}
}

// Reply answers an action: its result v as JSON with status, or its error
// (respond).
func (s *App) Reply(c *gin.Context, status int, v any, err error) {
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.JSON(status, v)
}

// Found tells whether a record a page needs was found; when it was not
// (or the lookup failed), it answers with respond (msg is the API's
// not-found message, as for NotFound).
func (s *App) Found(c *gin.Context, err error, msg string) bool {
	if err != nil {
		s.Respond(c, NotFound(err, msg))
	}
	return err == nil
}

// writeMissing answers a missing record.
func (s *App) writeMissing(c *gin.Context, m *Missing) {
	if IsAPI(c) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, m.API))
		return
	}
	s.Render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": m.Page})
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

// SurveyRoute tells the routes of the anonymous survey (the survey page,
// its thanks, the staff's survey page and API): they are not logged, so
// that the log's times of surveys cannot be set beside the audit log's.
func SurveyRoute(path string) bool {
	return strings.HasPrefix(path, "/survey") || strings.HasPrefix(path, "/api/v1/survey")
}
