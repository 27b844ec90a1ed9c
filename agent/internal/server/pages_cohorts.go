package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
)

func (s *Server) coachesPage(c *gin.Context) { s.showCoaches(c, http.StatusOK, gin.H{}) }

func (s *Server) showCoaches(c *gin.Context, status int, data gin.H) {
	cs, err := s.st.Coaches(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	data["Title"], data["Coaches"], data["Today"], data["WarnDays"] = "Coaches", cs, s.st.Now(), store.ExpiryWarnDays
	// Coach accounts not yet linked to a coach, for the add form.
	accounts, err := s.st.Users(c.Request.Context(), store.RoleCoach)
	if err != nil {
		s.fail(c, err)
		return
	}
	linked := map[string]string{}
	for _, co := range cs {
		if co.UserID != "" {
			linked[co.UserID] = co.Name
		}
	}
	var free []store.User
	emails := map[string]string{}
	for _, u := range accounts {
		emails[u.ID] = u.Email
		if linked[u.ID] == "" {
			free = append(free, u)
		}
	}
	data["FreeAccounts"], data["AccountEmails"] = free, emails
	if _, ok := data["Form"]; !ok {
		data["Form"] = store.CoachInput{}
	}
	s.render(c, status, "coaches.html", data)
}

func (s *Server) addCoachSubmit(c *gin.Context) {
	var in store.CoachInput
	_ = c.ShouldBind(&in)
	if _, err := s.st.AddCoach(c.Request.Context(), in); err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showCoaches(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	c.Redirect(http.StatusSeeOther, "/coaches")
}

func (s *Server) certifySubmit(c *gin.Context) {
	var in store.Certification
	_ = c.ShouldBind(&in)
	if _, err := s.st.RecordCertification(c.Request.Context(), c.Param("cid"), "site", in); err != nil {
		s.coachFormFail(c, err, "CertErrors", "CertCoach")
		return
	}
	c.Redirect(http.StatusSeeOther, "/coaches")
}

// coachFormFail shows the coaches page again with the mistakes of a form
// under one coach (errKey and coachKey name them for the template), or the
// error page for a failure that is not the user's.
func (s *Server) coachFormFail(c *gin.Context, err error, errKey, coachKey string) {
	fe, ok := fieldErrors(err)
	if !ok && !errors.Is(err, store.ErrNotFound) {
		s.fail(c, err)
		return
	}
	if fe == nil {
		fe = map[string]string{"coach": "There is no such coach."}
	}
	s.showCoaches(c, http.StatusUnprocessableEntity, gin.H{errKey: fe, coachKey: c.Param("cid")})
}

func (s *Server) cohortsPage(c *gin.Context) { s.showCohorts(c, http.StatusOK, gin.H{}) }

func (s *Server) showCohorts(c *gin.Context, status int, data gin.H) {
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
	coaches, err := s.st.Coaches(c.Request.Context())
	if err != nil {
		s.fail(c, err)
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

func (s *Server) addCohortSubmit(c *gin.Context) {
	var in store.CohortInput
	_ = c.ShouldBind(&in)
	in.MixedPairs = c.PostForm("mixed_pairs") == "true"
	coh, err := s.st.AddCohort(c.Request.Context(), in)
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showCohorts(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+coh.ID)
}

func (s *Server) cohortPage(c *gin.Context) { s.showCohort(c, http.StatusOK, gin.H{}) }

func (s *Server) showCohort(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	v, err := s.st.ViewCohort(ctx, c.Param("cid"))
	if err != nil {
		s.fail(c, err)
		return
	}
	// Participants who could join: visible to the user, active, in no cohort.
	candidates, err := s.st.Joinable(ctx, currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	data["Title"], data["V"], data["Candidates"], data["Today"] = v.Cohort.Name, v, candidates, s.st.Now().Format("2006-01-02")
	for _, add := range s.cohortSections {
		if err := add(c, v, data); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.render(c, status, "cohort.html", data)
}

func (s *Server) addMemberSubmit(c *gin.Context) {
	if err := s.auditMembership(c, "add_to_cohort", c.PostForm("participant_id")); err != nil {
		s.fail(c, err)
		return
	}
	err := s.st.AddMember(c.Request.Context(), c.Param("cid"), c.PostForm("participant_id"), c.PostForm("joined_on"))
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showCohort(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid"))
}

func (s *Server) auditPage(c *gin.Context) {
	limit, _ := strconv.Atoi(c.Query("limit"))
	es, err := s.st.AuditLog(c.Request.Context(), store.AuditFilter{SubjectID: c.Query("participant"), Limit: limit})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "audit.html", gin.H{"Title": "Audit log", "Entries": es, "Participant": c.Query("participant")})
}
