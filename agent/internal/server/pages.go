package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
)

// fieldErrors maps a store error to messages per form field; ok is false
// for an unexpected error.
func fieldErrors(err error) (map[string]string, bool) {
	var ves store.ValidationErrors
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ves):
		m := map[string]string{}
		for _, e := range ves {
			m[e.Field] = e.Msg
		}
		return m, true
	case errors.As(err, &ve):
		return map[string]string{ve.Field: ve.Msg}, true
	}
	return nil, false
}

func (s *Server) participantsPage(c *gin.Context) {
	s.showParticipants(c, http.StatusOK, gin.H{})
}

func (s *Server) showParticipants(c *gin.Context, status int, data gin.H) {
	ps, err := s.st.VisibleParticipants(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	coaches, err := s.st.Coaches(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	data["Title"], data["Participants"], data["Coaches"] = "Participants", ps, coaches
	if _, ok := data["Form"]; !ok {
		data["Form"] = store.ParticipantInput{}
	}
	s.render(c, status, "participants.html", data)
}

func (s *Server) addParticipantSubmit(c *gin.Context) {
	var in store.ParticipantInput
	_ = c.ShouldBind(&in)
	if err := s.defaultCoach(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.st.AddParticipant(c.Request.Context(), in)
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showParticipants(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	s.nudgeSync()
	c.Redirect(http.StatusSeeOther, "/participants/"+p.ID+"?added=1")
}

func (s *Server) participantPage(c *gin.Context) {
	s.showParticipant(c, http.StatusOK, gin.H{})
}

func (s *Server) showParticipant(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	p, err := s.st.Participant(ctx, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no such participant."})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	ivs, err := s.st.Interviews(ctx, p.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	answers := map[string]map[string]bool{}
	for tp, iv := range ivs {
		answers[tp] = iv.AnswersOf()
	}
	data["Title"], data["P"], data["Interviews"], data["Answers"], data["Release"], data["Timepoints"] = p.FirstName+" "+p.LastName, p, ivs, answers, rel, contract.Timepoints
	data["POM"] = store.SideBySide(rel, ivs)
	data["Added"] = c.Query("added") == "1"
	for _, add := range s.participantSections {
		if err := add(c, p, data); err != nil {
			s.fail(c, err)
			return
		}
	}
	if _, ok := data["Form"]; !ok {
		data["Form"] = gin.H{"Timepoint": nextTimepoint(ivs), "Answers": map[string]string{}}
	}
	s.render(c, status, "participant.html", data)
}

func nextTimepoint(ivs map[string]store.POMInterview) string {
	for _, tp := range contract.Timepoints {
		if _, ok := ivs[tp]; !ok {
			return tp
		}
	}
	return contract.TimepointClosing
}

func (s *Server) interviewSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	tp := c.PostForm("timepoint")
	in := store.InterviewInput{InterviewedOn: c.PostForm("interviewed_on"), Notes: c.PostForm("notes"), Answers: map[string]bool{}}
	raw := map[string]string{}
	for _, it := range rel.POM.Items {
		switch v := c.PostForm("a_" + it.Code); v {
		case "present", "absent":
			in.Answers[it.Code] = v == "present"
			raw[it.Code] = v
		}
	}
	if _, err := s.st.RecordInterview(ctx, c.Param("id"), tp, in); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no such participant."})
			return
		}
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showParticipant(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe,
			"Form": gin.H{"Timepoint": tp, "InterviewedOn": in.InterviewedOn, "Notes": in.Notes, "Answers": raw}})
		return
	}
	s.nudgeSync()
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#interviews")
}

func (s *Server) withdrawSubmit(c *gin.Context) {
	if c.PostForm("confirm") != "yes" {
		s.showParticipant(c, http.StatusUnprocessableEntity, gin.H{"WithdrawError": "Tick the box to confirm the participant asked to withdraw."})
		return
	}
	if err := s.st.Withdraw(c.Request.Context(), c.Param("id")); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no such participant."})
			return
		}
		s.fail(c, err)
		return
	}
	s.nudgeSync()
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id"))
}

func (s *Server) syncPage(c *gin.Context) {
	st, err := s.syncStatus(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	st["Title"] = "Sync with the hub"
	st["Requested"] = c.Query("requested") == "1"
	s.render(c, http.StatusOK, "sync.html", st)
}

func (s *Server) syncSubmit(c *gin.Context) {
	s.nudgeSync()
	c.Redirect(http.StatusSeeOther, "/sync?requested=1")
}
