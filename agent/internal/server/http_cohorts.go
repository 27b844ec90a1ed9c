package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
)

// cohortHandlers are cohorts and their members; a cohort's page shows every
// feature's section.
type cohortHandlers struct{ *app }

// auditMembership records an attempt to change a participant's cohort.
func (s *cohortHandlers) auditMembership(c *gin.Context, action, participantID string) error {
	if participantID == "" {
		return nil
	}
	return s.st.Audit(c.Request.Context(), currentUser(c), action, "participant", participantID, "cohort "+c.Param("cid"))
}

// addMember adds a participant to cohort :cid, the attempt audited first.
func (s *cohortHandlers) addMember(c *gin.Context, participantID, joinedOn string) error {
	if err := s.auditMembership(c, "add_to_cohort", participantID); err != nil {
		return err
	}
	return s.st.AddMember(c.Request.Context(), c.Param("cid"), participantID, joinedOn)
}

func (s *cohortHandlers) apiCohorts(c *gin.Context) {
	own, err := s.ownCoachID(c)
	if err != nil {
		s.respond(c, err)
		return
	}
	cs, err := s.st.Cohorts(c.Request.Context(), own)
	s.reply(c, http.StatusOK, cs, err)
}

func (s *cohortHandlers) apiAddCohort(c *gin.Context) {
	var in store.CohortInput
	if !bindJSON(c, &in) {
		return
	}
	coh, err := s.st.AddCohort(c.Request.Context(), in)
	s.reply(c, http.StatusCreated, coh, err)
}

func (s *cohortHandlers) apiCohort(c *gin.Context) {
	v, err := s.st.ViewCohort(c.Request.Context(), c.Param("cid"))
	s.reply(c, http.StatusOK, v, err)
}

func (s *cohortHandlers) apiAddMember(c *gin.Context) {
	var in struct {
		ParticipantID string `json:"participant_id"`
		JoinedOn      string `json:"joined_on"`
	}
	if !bindJSON(c, &in) {
		return
	}
	if err := s.addMember(c, in.ParticipantID, in.JoinedOn); err != nil {
		s.respond(c, err)
		return
	}
	v, err := s.st.ViewCohort(c.Request.Context(), c.Param("cid"))
	s.reply(c, http.StatusOK, v, err)
}

func (s *cohortHandlers) apiRemoveMember(c *gin.Context) {
	var in struct {
		LeftOn string `json:"left_on"`
	}
	if !bindJSON(c, &in) {
		return
	}
	if err := s.auditMembership(c, "leave_cohort", c.Param("pid")); err != nil {
		s.respond(c, err)
		return
	}
	if err := s.st.RemoveMember(c.Request.Context(), c.Param("cid"), c.Param("pid"), in.LeftOn); err != nil {
		s.respond(c, notFound(err, "The participant is not a current member of this cohort."))
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *cohortHandlers) cohortsPage(c *gin.Context) { s.showCohorts(c, http.StatusOK, gin.H{}) }

func (s *cohortHandlers) showCohorts(c *gin.Context, status int, data gin.H) {
	own, err := s.ownCoachID(c)
	if err != nil {
		s.respond(c, err)
		return
	}
	cs, err := s.st.Cohorts(c.Request.Context(), own)
	if err != nil {
		s.respond(c, err)
		return
	}
	coaches, err := s.st.Coaches(c.Request.Context())
	if err != nil {
		s.respond(c, err)
		return
	}
	names := map[string]string{}
	var leaders []store.Coach
	for _, co := range coaches {
		names[co.ID] = co.Name
		if co.Active && co.CertifiedOn(s.st.Now()) {
			leaders = append(leaders, co)
		}
	}
	data["Title"], data["Cohorts"], data["CoachNames"], data["Leaders"] = "Cohorts", cs, names, leaders
	if _, ok := data["Form"]; !ok {
		data["Form"] = store.CohortInput{Model: "peer_partners", Frequency: "weekly", MixedPairs: true}
	}
	s.render(c, status, "cohorts.html", data)
}

func (s *cohortHandlers) addCohortSubmit(c *gin.Context) {
	var in store.CohortInput
	_ = c.ShouldBind(&in)
	in.MixedPairs = c.PostForm("mixed_pairs") == "true"
	coh, err := s.st.AddCohort(c.Request.Context(), in)
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.respond(c, err)
			return
		}
		s.showCohorts(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+coh.ID)
}

func (s *cohortHandlers) cohortPage(c *gin.Context) { s.showCohort(c, http.StatusOK, gin.H{}) }

func (s *cohortHandlers) showCohort(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	v, err := s.st.ViewCohort(ctx, c.Param("cid"))
	if err != nil {
		s.respond(c, err)
		return
	}
	// Participants who could join: visible to the user, active, in no cohort.
	candidates, err := s.st.Joinable(ctx, currentUser(c))
	if err != nil {
		s.respond(c, err)
		return
	}
	data["Title"], data["V"], data["Candidates"], data["Today"] = v.Cohort.Name, v, candidates, s.st.Now().Format("2006-01-02")
	for _, add := range s.cohortSections {
		if err := add(c, v, data); err != nil {
			s.respond(c, err)
			return
		}
	}
	s.render(c, status, "cohort.html", data)
}

func (s *cohortHandlers) addMemberSubmit(c *gin.Context) {
	if err := s.addMember(c, c.PostForm("participant_id"), c.PostForm("joined_on")); err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.respond(c, err)
			return
		}
		s.showCohort(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid"))
}
