package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/problem"
)

func coachView(c store.Coach, now time.Time) gin.H {
	return gin.H{"id": c.ID, "name": c.Name, "email": c.Email, "bio": c.Bio, "user_id": c.UserID, "active": c.Active,
		"certification": gin.H{"code": c.CertCode, "certified_until": c.CertifiedUntil, "revoked": c.CertRevoked, "source": c.CertSource,
			"current": c.CertifiedOn(now), "expires_soon": c.ExpiresSoon(now, store.ExpiryWarnDays)}}
}

func (s *Server) apiCoaches(c *gin.Context) {
	cs, err := s.st.Coaches(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, len(cs))
	for i, x := range cs {
		out[i] = coachView(x, s.st.Now())
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) apiAddCoach(c *gin.Context) {
	var in store.CoachInput
	if !bindJSON(c, &in) {
		return
	}
	co, err := s.st.AddCoach(c.Request.Context(), in)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, coachView(co, s.st.Now()))
}

// apiUpdateCoach changes a coach's profile: the director any coach's, a
// coach their own (whose account link they cannot change).
func (s *Server) apiUpdateCoach(c *gin.Context) {
	u := currentUser(c)
	cur, err := s.st.Coach(c.Request.Context(), c.Param("cid"))
	if err != nil {
		s.writeNotFound(c, err, "No such coach.")
		return
	}
	if u.Role != store.RoleDirector && cur.UserID != u.ID {
		s.forbid(c, "Coaches can change only their own profile.")
		return
	}
	var in store.CoachInput
	if !bindJSON(c, &in) {
		return
	}
	if u.Role != store.RoleDirector {
		in.UserID = cur.UserID
	}
	co, err := s.st.UpdateCoach(c.Request.Context(), cur.ID, in)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, coachView(co, s.st.Now()))
}

func (s *Server) apiCertify(c *gin.Context) {
	var in store.Certification
	if !bindJSON(c, &in) {
		return
	}
	co, err := s.st.RecordCertification(c.Request.Context(), c.Param("cid"), "site", in)
	if err != nil {
		s.writeNotFound(c, err, "No such coach.")
		return
	}
	c.JSON(http.StatusOK, coachView(co, s.st.Now()))
}

// writeNotFound is writeErr with the not-found message of the resource.
func (s *Server) writeNotFound(c *gin.Context, err error, msg string) {
	if errors.Is(err, store.ErrNotFound) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, msg))
		return
	}
	s.writeErr(c, err)
}

// ownCoachID is the coach id whose cohorts a user sees ("" for a director,
// who sees all; "-" for a coach account not linked to a coach).
func (s *Server) ownCoachID(c *gin.Context) (string, error) {
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
func (s *Server) cohortAccess(c *gin.Context) {
	coh, err := s.st.Cohort(c.Request.Context(), c.Param("cid"))
	if errors.Is(err, store.ErrNotFound) {
		if isAPI(c) {
			problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "No such cohort."))
			return
		}
		s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no such cohort."})
		c.Abort()
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	own, err := s.ownCoachID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if own != "" && own != coh.CoachID {
		s.forbid(c, "This cohort is led by another coach.")
		return
	}
	c.Next()
}

// auditMembership records an attempt to change a participant's cohort.
func (s *Server) auditMembership(c *gin.Context, action, participantID string) error {
	if participantID == "" {
		return nil
	}
	return s.st.Audit(c.Request.Context(), currentUser(c), action, "participant", participantID, "cohort "+c.Param("cid"))
}

func (s *Server) apiCohorts(c *gin.Context) {
	own, err := s.ownCoachID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	cs, err := s.st.Cohorts(c.Request.Context(), own)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cs)
}

func (s *Server) apiAddCohort(c *gin.Context) {
	var in store.CohortInput
	if !bindJSON(c, &in) {
		return
	}
	coh, err := s.st.AddCohort(c.Request.Context(), in)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, coh)
}

func (s *Server) apiCohort(c *gin.Context) {
	v, err := s.st.ViewCohort(c.Request.Context(), c.Param("cid"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) apiAddMember(c *gin.Context) {
	var in struct {
		ParticipantID string `json:"participant_id"`
		JoinedOn      string `json:"joined_on"`
	}
	if !bindJSON(c, &in) {
		return
	}
	if err := s.auditMembership(c, "add_to_cohort", in.ParticipantID); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.st.AddMember(c.Request.Context(), c.Param("cid"), in.ParticipantID, in.JoinedOn); err != nil {
		s.writeErr(c, err)
		return
	}
	v, err := s.st.ViewCohort(c.Request.Context(), c.Param("cid"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) apiRemoveMember(c *gin.Context) {
	var in struct {
		LeftOn string `json:"left_on"`
	}
	if !bindJSON(c, &in) {
		return
	}
	if err := s.auditMembership(c, "leave_cohort", c.Param("pid")); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.st.RemoveMember(c.Request.Context(), c.Param("cid"), c.Param("pid"), in.LeftOn); err != nil {
		s.writeNotFound(c, err, "The participant is not a current member of this cohort.")
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) apiAudit(c *gin.Context) {
	limit, _ := strconv.Atoi(c.Query("limit"))
	es, err := s.st.AuditLog(c.Request.Context(), store.AuditFilter{SubjectID: c.Query("participant"), UserID: c.Query("user"), Limit: limit})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, es)
}
