package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/problem"
)

// CurrentUser is the signed-in staff user (after RequireUser).
func CurrentUser(c *gin.Context) store.User { return c.MustGet(ctxUser).(store.User) }

// Forbid answers that the signed-in user may not do this.
func (s *App) Forbid(c *gin.Context, msg string) {
	if IsAPI(c) {
		problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, msg))
		return
	}
	s.Render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Not allowed", "Message": msg})
	c.Abort()
}

// RequireRole lets only the given roles through.
func (s *App) RequireRole(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !slices.Contains(roles, CurrentUser(c).Role) {
			s.Forbid(c, "Only the Program Director can do this.")
			return
		}
		c.Next()
	}
}

// ParticipantAccess lets through only users who may see the participant
// named by :id, and writes the access to the audit log first: every view of
// a participant's record is recorded, as is every attempt to change it,
// and then whether the attempt was done or refused.
func (s *App) ParticipantAccess(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := CurrentUser(c)
		id := c.Param("id")
		ok, err := s.St.CanSee(c.Request.Context(), u, id)
		if err != nil {
			s.Respond(c, err)
			return
		}
		if !ok {
			if _, err := s.St.Participants.Participant(c.Request.Context(), id); err != nil {
				s.Respond(c, store.ErrNotFound) // "No such participant."
				return
			}
			s.Forbid(c, notYours)
			return
		}
		line, err := s.St.AuditAttempt(c.Request.Context(), u, action, "participant", id, c.Request.Method+" "+c.FullPath())
		if err != nil {
			s.Respond(c, err)
			return
		}
		c.Next()
		if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
			// Whether the change was done or refused (a view needs no word).
			if err := s.St.AuditOutcome(context.WithoutCancel(c.Request.Context()), line, c.Writer.Status()); err != nil {
				s.Log.Error("audit: recording the outcome", "err", err)
			}
		}
	}
}

// notYours is the refusal of a participant the user may not see.
const notYours = "This participant is not in one of your cohorts."

// MaySee reports whether the signed-in user may name participant id in
// something they change (a cohort's members): a director may name anyone;
// a coach only someone they already see (store.CanSee). Naming someone
// they may not see is refused as ParticipantAccess refuses them (403, the
// "not allowed" page) and reports false; nothing is audited, as nothing
// was let through. An id that names no participant passes, for the
// action's own check to answer it as a mistake in the field.
func (s *App) MaySee(c *gin.Context, id string) bool {
	ctx := c.Request.Context()
	ok, err := s.St.CanSee(ctx, CurrentUser(c), id)
	if err != nil {
		s.Respond(c, err)
		return false
	}
	if ok {
		return true
	}
	if _, err := s.St.Participants.Participant(ctx, id); errors.Is(err, store.ErrNotFound) {
		return true
	} else if err != nil {
		s.Respond(c, err)
		return false
	}
	s.Forbid(c, notYours)
	return false
}

// OwnCoachID is the coach id whose cohorts a user sees ("" for a director,
// who sees all; "-" for a coach account not linked to a coach).
func (s *App) OwnCoachID(c *gin.Context) (string, error) {
	u := CurrentUser(c)
	if u.Role == store.RoleDirector {
		return "", nil
	}
	co, ok, err := s.St.Coaches.CoachOfUser(c.Request.Context(), u.ID)
	if err != nil || !ok {
		return "-", err
	}
	return co.ID, nil
}

// CohortAccess lets through the director and the cohort's own coach.
func (s *App) CohortAccess(c *gin.Context) {
	coh, err := s.St.Cohorts.Cohort(c.Request.Context(), c.Param("cid"))
	if err != nil {
		s.Respond(c, NotFound(err, "No such cohort."))
		return
	}
	own, err := s.OwnCoachID(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	if own != "" && own != coh.CoachID {
		s.Forbid(c, "This cohort is led by another coach.")
		return
	}
	c.Next()
}

// LeadsParticipant lets through the director and the coach who leads the
// participant's cohort (see store.LeadsParticipant). It follows
// ParticipantAccess, which has audited the attempt.
func (s *App) LeadsParticipant(c *gin.Context) {
	ok, err := s.St.Outings.LeadsParticipant(c.Request.Context(), CurrentUser(c), c.Param("id"))
	if err != nil {
		s.Respond(c, err)
		return
	}
	if !ok {
		s.Forbid(c, "Only the coach who leads this participant's cohort, or the Program Director, can correct or remove their outings.")
		return
	}
	c.Next()
}

// RequireUser lets through a signed-in staff user (a bearer token, or the
// session cookie with the CSRF token of a form); page tells a page, which
// sends anyone else to sign in, from the API, which answers 401.
func (s *App) RequireUser(page bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok := auth.Bearer(c)
		viaBearer := tok != ""
		if !viaBearer {
			tok, _ = c.Cookie(SessionCookie)
		}
		u, sess, err := s.St.SessionUser(c.Request.Context(), tok)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.Respond(c, err)
			return
		}
		if err != nil {
			if page {
				if n, _ := s.St.UserCount(c.Request.Context()); n == 0 {
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
				s.Render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Form expired", "Message": "This form is out of date. Go back, reload the page and try again."})
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
