package server

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
)

func currentUser(c *gin.Context) store.User { return c.MustGet(ctxUser).(store.User) }

// forbid answers that the signed-in user may not do this.
func (s *Server) forbid(c *gin.Context, msg string) {
	if isAPI(c) {
		problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, msg))
		return
	}
	s.render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Not allowed", "Message": msg})
	c.Abort()
}

// requireRole lets only the given roles through.
func (s *Server) requireRole(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !slices.Contains(roles, currentUser(c).Role) {
			s.forbid(c, "Only the Program Director can do this.")
			return
		}
		c.Next()
	}
}

// participantAccess lets through only users who may see the participant
// named by :id, and writes the access to the audit log first: every view of
// a participant's record is recorded, as is every attempt to change it.
func (s *Server) participantAccess(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		id := c.Param("id")
		ok, err := s.st.CanSee(c.Request.Context(), u, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		if !ok {
			if _, err := s.st.Participant(c.Request.Context(), id); err != nil {
				s.notFoundParticipant(c)
				return
			}
			s.forbid(c, "This participant is not in one of your cohorts.")
			return
		}
		if err := s.st.Audit(c.Request.Context(), u, action, "participant", id, c.Request.Method+" "+c.FullPath()); err != nil {
			s.fail(c, err)
			return
		}
		c.Next()
	}
}

func (s *Server) notFoundParticipant(c *gin.Context) {
	if isAPI(c) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "No such participant."))
		return
	}
	s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no such participant."})
	c.Abort()
}
