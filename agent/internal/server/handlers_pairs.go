package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
)

// auditPair writes a pair's change to the audit log under each partner:
// pairing someone changes their record as much as an update does.
func (s *Server) auditPair(c *gin.Context, action string, p store.PairInfo) error {
	for _, x := range p.Partners {
		if err := s.st.Audit(c.Request.Context(), currentUser(c), action, "participant", x.ID, "cohort "+p.CohortID+" pair "+p.ID); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) apiCohortPairs(c *gin.Context) {
	v, err := s.st.CohortPairs(c.Request.Context(), c.Param("cid"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) apiFormPair(c *gin.Context) {
	var in store.PairInput
	if !bindJSON(c, &in) {
		return
	}
	p, warnings, err := s.st.FormPair(c.Request.Context(), c.Param("cid"), in)
	if err != nil {
		s.writeNotFound(c, err, "No such cohort.")
		return
	}
	if err := s.auditPair(c, "form_pair", p); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/cohorts/"+p.CohortID+"/pairs")
	c.JSON(http.StatusCreated, gin.H{"pair": p, "warnings": warnings})
}

func (s *Server) apiJoinPair(c *gin.Context) {
	var in store.JoinPairInput
	if !bindJSON(c, &in) {
		return
	}
	p, warnings, err := s.st.JoinPair(c.Request.Context(), c.Param("cid"), c.Param("pairid"), in)
	if err != nil {
		s.writeNotFound(c, err, "No such pair in this cohort.")
		return
	}
	if err := s.auditPair(c, "join_pair", p); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"pair": p, "warnings": warnings})
}

func (s *Server) apiEndPair(c *gin.Context) {
	var in store.EndPairInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.st.EndPair(c.Request.Context(), c.Param("cid"), c.Param("pairid"), in)
	if err != nil {
		s.writeNotFound(c, err, "No such pair in this cohort.")
		return
	}
	if err := s.auditPair(c, "end_pair", p); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func pairingProfileView(p store.PairingProfile) gin.H {
	var updated *time.Time
	if !p.UpdatedAt.IsZero() {
		updated = &p.UpdatedAt
	}
	return gin.H{"participant_id": p.ParticipantID, "interests": p.InterestList(), "gender": p.Gender, "notes": p.Notes, "updated_at": updated}
}

func (s *Server) apiPairingProfile(c *gin.Context) {
	p, err := s.st.PairingProfileOf(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, pairingProfileView(p))
}

func (s *Server) apiSavePairingProfile(c *gin.Context) {
	var in store.PairingProfileInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.st.SavePairingProfile(c.Request.Context(), c.Param("id"), in)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, pairingProfileView(p))
}

func (s *Server) apiParticipantPairs(c *gin.Context) {
	ps, err := s.st.ParticipantPairs(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ps)
}

func (s *Server) apiOutings(c *gin.Context) {
	v, err := s.st.ViewOutings(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) apiAddOuting(c *gin.Context) {
	var in store.OutingInput
	if !bindJSON(c, &in) {
		return
	}
	o, err := s.st.AddOuting(c.Request.Context(), c.Param("id"), in)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, o)
}
