package web

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
)

// NoSuchResource is what a 404 says when the caller names nothing better.
const NoSuchResource = "No such resource."

// clientProblem is the problem a store error makes for the client, or nil
// when the error is not the client's mistake.
func clientProblem(err error, notFound string) *problem.Problem {
	if p := problem.FromInvalid(err); p != nil {
		return p
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return problem.New(http.StatusNotFound, problem.TypeNotFound, notFound)
	case errors.Is(err, store.ErrPublished):
		return problem.New(http.StatusConflict, problem.TypeConflict, "This release is published, and a published release never changes. Start a new draft from it instead.")
	}
	return nil
}

// Respond is the one error path of the hub's handlers. To the API it
// answers a client's mistake (a validation error, a missing record, named
// by notFound when given, a change to a published release) as its problem
// and any other failure as a logged 500. A page shows the error page; the
// cause is logged once, with the route pattern and never the path (a
// client's to write). A client that went away is not answered.
func (s *Base) Respond(c *gin.Context, err error, notFound ...string) {
	if IsAPI(c) {
		nf := NoSuchResource
		if len(notFound) > 0 {
			nf = notFound[0]
		}
		if p := clientProblem(err, nf); p != nil {
			problem.Write(c, p)
			return
		}
		problem.Internal(c, s.Log, err)
		return
	}
	defer c.Abort()
	if problem.ClientGone(c, err) {
		problem.Gone(c, s.Log, err)
		return
	}
	s.Log.Error("request failed", "method", c.Request.Method, "route", c.FullPath(), "err", err)
	s.Render(c, http.StatusInternalServerError, "error.html", gin.H{"Title": "Something went wrong", "Message": "The page could not be shown. The failure has been logged."})
}

// Answer writes v, or responds with err.
func (s *Base) Answer(c *gin.Context, status int, v any, err error) {
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.JSON(status, v)
}

// Deny answers 403 (API) or the "not allowed" page.
func (s *Base) Deny(c *gin.Context, msg string) {
	if IsAPI(c) {
		problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, msg))
		return
	}
	s.Render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Not allowed", "Message": msg})
	c.Abort()
}

// Missing answers 404 (API) or the "not found" page.
func (s *Base) Missing(c *gin.Context, what string) {
	if IsAPI(c) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "No such "+what+"."))
		return
	}
	s.Render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no such " + what + "."})
	c.Abort()
}

// Internal logs a failure and makes the problem the client sees; a client
// that went away is logged as such, and its problem is never read.
func (s *Base) Internal(c *gin.Context, err error) *problem.Problem {
	if problem.ClientGone(c, err) {
		problem.LogGone(c, s.Log, err)
		return problem.New(problem.StatusClientClosed, problem.TypeBadRequest, "The client went away.")
	}
	s.Log.Error("request failed", "method", c.Request.Method, "route", c.FullPath(), "err", err)
	return problem.New(http.StatusInternalServerError, problem.TypeInternal, "The server could not complete the request. The failure has been logged.")
}

// Admit decides whether a guard lets a request reach the record its path
// names, given the error of finding it and the organization it belongs
// to: a missing record is not found, a failure is answered, and a
// Program Director is denied (with deny) another organization's.
func (s *Base) Admit(c *gin.Context, err error, what, orgID, deny string) bool {
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.Missing(c, what)
	case err != nil:
		s.Respond(c, err)
	default:
		if u := User(c); u.Role == store.RoleDirector && u.OrgID != orgID {
			s.Deny(c, deny)
			return false
		}
		return true
	}
	return false
}
