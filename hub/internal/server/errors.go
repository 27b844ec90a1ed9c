package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
)

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

// apiFailAs answers a store error: a client's mistake as its problem, any
// other failure as a logged 500.
func (s *Server) apiFailAs(c *gin.Context, err error, notFound string) {
	if p := clientProblem(err, notFound); p != nil {
		problem.Write(c, p)
		return
	}
	problem.Internal(c, s.log, err)
}

// pageMessage returns the message a page shows for a client's mistake; for
// any other failure it draws the error page, logs the cause and returns
// false.
func (s *Server) pageMessage(c *gin.Context, err error, notFound string) (string, bool) {
	if p := clientProblem(err, notFound); p != nil {
		return p.Detail, true
	}
	s.pageError(c, err)
	return "", false
}

// staffName is how a change names the staff member who made it.
func staffName(c *gin.Context) string {
	u := c.MustGet(ctxUser).(store.User)
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}
