package server

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/problem"
)

func currentUser(c *gin.Context) store.User { return c.MustGet(ctxUser).(store.User) }

// forbid answers that the signed-in user may not do this.
func (s *app) forbid(c *gin.Context, msg string) {
	if isAPI(c) {
		problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, msg))
		return
	}
	s.render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Not allowed", "Message": msg})
	c.Abort()
}

// requireRole lets only the given roles through.
func (s *app) requireRole(roles ...string) gin.HandlerFunc {
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
func (s *app) participantAccess(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		id := c.Param("id")
		ok, err := s.st.CanSee(c.Request.Context(), u, id)
		if err != nil {
			s.respond(c, err)
			return
		}
		if !ok {
			if _, err := s.st.Participant(c.Request.Context(), id); err != nil {
				s.respond(c, store.ErrNotFound) // "No such participant."
				return
			}
			s.forbid(c, "This participant is not in one of your cohorts.")
			return
		}
		if err := s.st.Audit(c.Request.Context(), u, action, "participant", id, c.Request.Method+" "+c.FullPath()); err != nil {
			s.respond(c, err)
			return
		}
		c.Next()
	}
}

// ownCoachID is the coach id whose cohorts a user sees ("" for a director,
// who sees all; "-" for a coach account not linked to a coach).
func (s *app) ownCoachID(c *gin.Context) (string, error) {
	u := currentUser(c)
	if u.Role == store.RoleDirector {
		return "", nil
	}
	co, ok, err := s.st.CoachOfUser(c.Request.Context(), u.ID)
	if err != nil || !ok {
		return "-", err
	}
	return co.ID, nil
}

// cohortAccess lets through the director and the cohort's own coach.
func (s *app) cohortAccess(c *gin.Context) {
	coh, err := s.st.Cohort(c.Request.Context(), c.Param("cid"))
	if err != nil {
		s.respond(c, notFound(err, "No such cohort."))
		return
	}
	own, err := s.ownCoachID(c)
	if err != nil {
		s.respond(c, err)
		return
	}
	if own != "" && own != coh.CoachID {
		s.forbid(c, "This cohort is led by another coach.")
		return
	}
	c.Next()
}

// leadsParticipant lets through the director and the coach who leads the
// participant's cohort (see store.LeadsParticipant). It follows
// participantAccess, which has audited the attempt.
func (s *app) leadsParticipant(c *gin.Context) {
	ok, err := s.st.LeadsParticipant(c.Request.Context(), currentUser(c), c.Param("id"))
	if err != nil {
		s.respond(c, err)
		return
	}
	if !ok {
		s.forbid(c, "Only the coach who leads this participant's cohort, or the Program Director, can correct or remove their outings.")
		return
	}
	c.Next()
}

func (s *app) requireUser(page bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok := auth.Bearer(c)
		viaBearer := tok != ""
		if !viaBearer {
			tok, _ = c.Cookie(sessionCookie)
		}
		u, sess, err := s.st.SessionUser(c.Request.Context(), tok)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.respond(c, err)
			return
		}
		if err != nil {
			if page {
				if n, _ := s.st.UserCount(c.Request.Context()); n == 0 {
					c.Redirect(http.StatusSeeOther, "/setup")
				} else {
					c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
				}
				c.Abort()
				return
			}
			problem.Write(c, problem.New(http.StatusUnauthorized, problem.TypeUnauthorized, "Sign in first (POST /api/v1/auth/login) and send the token as a Bearer token."))
			return
		}
		if !viaBearer && !auth.Safe(c.Request.Method) && !auth.CSRFValid(c, sess.CSRF) {
			if page {
				s.render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Form expired", "Message": "This form is out of date. Go back, reload the page and try again."})
				c.Abort()
				return
			}
			problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, "The CSRF token is missing or wrong."))
			return
		}
		c.Set(ctxUser, u)
		c.Set(ctxSession, sess)
		c.Next()
	}
}
