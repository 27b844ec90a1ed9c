package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
)

// Correcting and removing meetings and outings: only the director and the
// coach who leads the cohort (cohortAccess for meetings, leadsParticipant
// for outings). The rules are applied again to a corrected record; a
// removal is asked for on a page of its own first (the pages work without
// script); every change is in the audit log.

// leadsParticipant lets through the director and the coach who leads the
// participant's cohort (see store.LeadsParticipant). It follows
// participantAccess, which has audited the attempt.
func (s *Server) leadsParticipant(c *gin.Context) {
	ok, err := s.st.LeadsParticipant(c.Request.Context(), currentUser(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if !ok {
		s.forbid(c, "Only the coach who leads this participant's cohort, or the Program Director, can correct or remove their outings.")
		return
	}
	c.Next()
}

// confirmPage asks before a removal: what goes, a button that posts to
// action, and a way back.
func (s *Server) confirmPage(c *gin.Context, title, what, action, back string) {
	s.render(c, http.StatusOK, "confirm.html", gin.H{"Title": title, "What": what, "Action": action, "Back": back})
}

// notFoundPage answers a page for a record that does not exist.
func (s *Server) notFoundPage(c *gin.Context, msg string) {
	s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": msg})
	c.Abort()
}

// pageMeeting finds the meeting :mid of cohort :cid for a page, answering
// 404 or failing when it cannot (ok false).
func (s *Server) pageMeeting(c *gin.Context) (store.MeetingView, bool) {
	m, err := s.st.Meeting(c.Request.Context(), c.Param("cid"), c.Param("mid"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.notFoundPage(c, "There is no such meeting of this cohort.")
	case err != nil:
		s.fail(c, err)
	}
	return m, err == nil
}

// pageOuting finds the outing :oid recorded on participant :id for a
// page, answering 404 or failing when it cannot (ok false).
func (s *Server) pageOuting(c *gin.Context) (store.Outing, bool) {
	o, err := s.st.Outing(c.Request.Context(), c.Param("id"), c.Param("oid"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.notFoundPage(c, "There is no such outing of this participant.")
	case err != nil:
		s.fail(c, err)
	}
	return o, err == nil
}

func (s *Server) auditMeeting(c *gin.Context, action string, m store.MeetingView) error {
	return s.st.Audit(c.Request.Context(), currentUser(c), action, "cohort", m.CohortID, "meeting "+m.ID+" on "+m.HeldOn)
}

func (s *Server) apiUpdateMeeting(c *gin.Context) {
	var in store.MeetingInput
	if !bindJSON(c, &in) {
		return
	}
	m, err := s.st.UpdateMeeting(c.Request.Context(), c.Param("cid"), c.Param("mid"), in)
	if err != nil {
		s.writeNotFound(c, err, "No such meeting of this cohort.")
		return
	}
	if err := s.auditMeeting(c, "update_meeting", m); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *Server) apiDeleteMeeting(c *gin.Context) {
	if _, err := s.deleteMeeting(c); err != nil {
		s.writeNotFound(c, err, "No such meeting of this cohort.")
		return
	}
	c.Status(http.StatusNoContent)
}

// deleteMeeting removes the meeting :mid of cohort :cid and audits it.
func (s *Server) deleteMeeting(c *gin.Context) (store.MeetingView, error) {
	ctx := c.Request.Context()
	m, err := s.st.Meeting(ctx, c.Param("cid"), c.Param("mid"))
	if err != nil {
		return m, err
	}
	if err := s.st.DeleteMeeting(ctx, m.CohortID, m.ID); err != nil {
		return m, err
	}
	return m, s.auditMeeting(c, "delete_meeting", m)
}

func (s *Server) meetingEditPage(c *gin.Context) { s.showMeetingEdit(c, http.StatusOK, gin.H{}) }

// showMeetingEdit shows the form correcting a meeting: the lesson plans of
// the theme of its date, and the people it was recorded with (for a
// one-to-one meeting, the cohort's current members too).
func (s *Server) showMeetingEdit(c *gin.Context, status int, data gin.H) {
	m, ok := s.pageMeeting(c)
	if !ok {
		return
	}
	if err := s.meetingEditData(c, m, data); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "meeting_edit.html", data)
}

// meetingEditData fills the meeting correction form's data.
func (s *Server) meetingEditData(c *gin.Context, m store.MeetingView, data gin.H) error {
	ctx := c.Request.Context()
	v, err := s.st.ViewCohort(ctx, m.CohortID)
	if err != nil {
		return err
	}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	day := m.HeldOn
	if f, ok := data["MeetingForm"].(meetingForm); ok {
		day = f.HeldOn
	}
	o, err := s.st.MeetingOptions(ctx, m.CohortID, day)
	var ves store.ValidationErrors
	if err != nil && !errors.As(err, &ves) {
		return err
	}
	if err != nil {
		// A date outside the program year: the form shows the error; the
		// meeting's own theme stays.
		o, _ = s.st.MeetingOptions(ctx, m.CohortID, m.HeldOn)
	}
	data["Title"], data["V"], data["Meeting"], data["Today"] = "Correct the meeting of "+m.HeldOn, v, m, s.st.Now().Format("2006-01-02")
	data["MeetingOptions"], data["MeetingPlans"], data["MeetingSkills"] = o, planOptions(rel, o.Plans), rel.Skills
	data["MeetingPeople"] = meetingPeople(m, v)
	if _, ok := data["MeetingForm"]; !ok {
		f := meetingForm{HeldOn: m.HeldOn, LessonPlan: m.LessonPlan, Notes: m.Notes, Present: map[string]bool{}, Skills: map[string]bool{}, Attended: "yes"}
		for _, a := range m.Attendance {
			f.Present[a.ParticipantID] = a.Present
			f.Participant = a.ParticipantID
			if !a.Present {
				f.Attended = "no"
			}
		}
		for _, sk := range m.Skills {
			f.Skills[sk] = true
		}
		data["MeetingForm"] = f
	}
	return nil
}

// meetingPeople are the people a meeting's form lists: those it was
// recorded with, and for a one-to-one meeting the cohort's current members.
func meetingPeople(m store.MeetingView, v store.CohortView) []option {
	var out []option
	seen := map[string]bool{}
	for _, a := range m.Attendance {
		out, seen[a.ParticipantID] = append(out, option{Value: a.ParticipantID, Label: a.Name}), true
	}
	if v.Cohort.Model == "social_explorations" {
		for _, p := range memberOptions(v.Members) {
			if !seen[p.Value] {
				out = append(out, p)
			}
		}
	}
	return out
}

func (s *Server) meetingUpdateSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	m, ok := s.pageMeeting(c)
	if !ok {
		return
	}
	v, err := s.st.ViewCohort(ctx, m.CohortID)
	if err != nil {
		s.fail(c, err)
		return
	}
	var people []string
	for _, p := range meetingPeople(m, v) {
		people = append(people, p.Value)
	}
	f, in := meetingFromForm(c, v.Cohort.Model, people)
	u, err := s.st.UpdateMeeting(ctx, m.CohortID, m.ID, in)
	if err != nil {
		s.meetingFormErr(c, err, f, s.showMeetingEdit)
		return
	}
	if err := s.auditMeeting(c, "update_meeting", u); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+m.CohortID+"?meeting=updated#meetings")
}

func (s *Server) meetingDeletePage(c *gin.Context) {
	m, ok := s.pageMeeting(c)
	if !ok {
		return
	}
	what := "The meeting of " + m.HeldOn + " (month " + strconv.Itoa(m.ProgramMonth) + ": " + m.ThemeTitle + "), with its attendance of " +
		strconv.Itoa(len(m.Attendance)) + ", its skills and its notes."
	base := "/cohorts/" + m.CohortID
	s.confirmPage(c, "Delete this meeting?", what, base+"/meetings/"+m.ID+"/delete", base+"#meetings")
}

func (s *Server) meetingDeleteSubmit(c *gin.Context) {
	if _, err := s.deleteMeeting(c); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.notFoundPage(c, "There is no such meeting of this cohort.")
			return
		}
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"?meeting=deleted#meetings")
}

func (s *Server) apiUpdateOuting(c *gin.Context) {
	var in store.OutingInput
	if !bindJSON(c, &in) {
		return
	}
	o, err := s.st.UpdateOuting(c.Request.Context(), c.Param("id"), c.Param("oid"), in)
	if err != nil {
		s.writeNotFound(c, err, "No such outing of this participant.")
		return
	}
	c.JSON(http.StatusOK, o)
}

func (s *Server) apiDeleteOuting(c *gin.Context) {
	if _, err := s.st.DeleteOuting(c.Request.Context(), c.Param("id"), c.Param("oid")); err != nil {
		s.writeNotFound(c, err, "No such outing of this participant.")
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) outingEditPage(c *gin.Context) { s.showOutingEdit(c, http.StatusOK, gin.H{}) }

func (s *Server) showOutingEdit(c *gin.Context, status int, data gin.H) {
	o, ok := s.pageOuting(c)
	if !ok {
		return
	}
	if err := s.outingEditData(c, o, data); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "outing_edit.html", data)
}

// outingEditData fills the outing correction form's data.
func (s *Server) outingEditData(c *gin.Context, o store.Outing, data gin.H) error {
	ctx := c.Request.Context()
	p, err := s.st.Participant(ctx, o.ParticipantID)
	if err != nil {
		return err
	}
	v, err := s.st.ViewOutings(ctx, p.ID)
	if err != nil {
		return err
	}
	goals, err := s.st.Goals(ctx, p.ID)
	if err != nil {
		return err
	}
	f, ok := data[keyOutingForm].(outingForm)
	if !ok {
		f = outingForm{Date: o.OutingOn, Activity: o.Activity, Stage: strconv.Itoa(o.Stage), GoalID: o.GoalID, PartnerID: o.PartnerID, Cost: dollars(o.CostCents)[1:]}
	}
	sec := outingsSection{Form: f}
	sec.Stages, sec.Goals, sec.Partners = outingChoices(f, goals, v.Partners)
	if e, ok := data[keyOutingErrors].(map[string]string); ok {
		sec.Errors = e
	}
	data["Title"], data["P"], data["Outing"], data["OutingsSection"] = "Correct an outing of "+p.FirstName+" "+p.LastName, p, o, sec
	return nil
}

func (s *Server) outingUpdateSubmit(c *gin.Context) {
	f, in, err := outingFromForm(c)
	if err == nil {
		_, err = s.st.UpdateOuting(c.Request.Context(), c.Param("id"), c.Param("oid"), in)
	}
	if errors.Is(err, store.ErrNotFound) {
		s.notFoundPage(c, "There is no such outing of this participant.")
		return
	}
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showOutingEdit(c, http.StatusUnprocessableEntity, gin.H{keyOutingErrors: fe, keyOutingForm: f})
		return
	}
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#outings")
}

func (s *Server) outingDeletePage(c *gin.Context) {
	o, ok := s.pageOuting(c)
	if !ok {
		return
	}
	what := "The outing of " + o.OutingOn + ": " + o.Activity + " (" + stageLabel(o.Stage) + ")."
	if o.PartnerID != "" {
		what += " It is a joint outing: it leaves the peer partner's outings too."
	}
	base := "/participants/" + o.ParticipantID
	s.confirmPage(c, "Delete this outing?", what, base+"/outings/"+o.ID+"/delete", base+"#outings")
}

func (s *Server) outingDeleteSubmit(c *gin.Context) {
	if _, err := s.st.DeleteOuting(c.Request.Context(), c.Param("id"), c.Param("oid")); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.notFoundPage(c, "There is no such outing of this participant.")
			return
		}
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#outings")
}
