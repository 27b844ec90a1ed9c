package cohorts

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
)

// Cohorts are cohorts and their members; a cohort's page shows every
// feature's section.
type Cohorts struct{ *web.App }

// auditMembership records an attempt to change a participant's cohort.
func (s *Cohorts) auditMembership(c *gin.Context, action, participantID string) error {
	if participantID == "" {
		return nil
	}
	return s.St.Audit(c.Request.Context(), web.CurrentUser(c), action, "participant", participantID, "cohort "+c.Param("cid"))
}

// addMember adds a participant to cohort :cid, the attempt audited first.
// Its handlers let through only a participant the user already sees
// (MaySee): putting someone in a coach's cohort lets the coach see them.
// A participant whose program year has ended joins only when the person
// confirms (confirmed).
func (s *Cohorts) addMember(c *gin.Context, participantID, joinedOn string, confirmed bool) error {
	if err := s.auditMembership(c, "add_to_cohort", participantID); err != nil {
		return err
	}
	var opts []store.MemberOption
	if confirmed {
		opts = append(opts, store.ConfirmYearEnded)
	}
	return s.St.Cohorts.AddMember(c.Request.Context(), c.Param("cid"), participantID, joinedOn, opts...)
}

func (s *Cohorts) APICohorts(c *gin.Context) {
	own, err := s.OwnCoachID(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	cs, err := s.St.Cohorts.Cohorts(c.Request.Context(), own)
	s.Reply(c, http.StatusOK, cs, err)
}

func (s *Cohorts) APIAddCohort(c *gin.Context) {
	var in store.CohortInput
	if !web.BindJSON(c, &in) {
		return
	}
	coh, err := s.St.Cohorts.AddCohort(c.Request.Context(), in)
	s.Reply(c, http.StatusCreated, coh, err)
}

func (s *Cohorts) APICohort(c *gin.Context) {
	v, err := s.St.Cohorts.ViewCohort(c.Request.Context(), c.Param("cid"))
	s.Reply(c, http.StatusOK, v, err)
}

func (s *Cohorts) APIAddMember(c *gin.Context) {
	var in struct {
		ParticipantID    string `json:"participant_id"`
		JoinedOn         string `json:"joined_on"`
		ConfirmYearEnded bool   `json:"confirm_year_ended"`
	}
	if !web.BindJSON(c, &in) || !s.MaySee(c, in.ParticipantID) {
		return
	}
	if err := s.addMember(c, in.ParticipantID, in.JoinedOn, in.ConfirmYearEnded); err != nil {
		s.Respond(c, err)
		return
	}
	v, err := s.St.Cohorts.ViewCohort(c.Request.Context(), c.Param("cid"))
	s.Reply(c, http.StatusOK, v, err)
}

func (s *Cohorts) APIRemoveMember(c *gin.Context) {
	var in struct {
		LeftOn string `json:"left_on"`
	}
	if !web.BindJSON(c, &in) {
		return
	}
	if err := s.auditMembership(c, "leave_cohort", c.Param("pid")); err != nil {
		s.Respond(c, err)
		return
	}
	if err := s.St.Cohorts.RemoveMember(c.Request.Context(), c.Param("cid"), c.Param("pid"), in.LeftOn); err != nil {
		s.Respond(c, web.NotFound(err, "The participant is not a current member of this cohort."))
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Cohorts) CohortsPage(c *gin.Context) { s.showCohorts(c, http.StatusOK, gin.H{}) }

func (s *Cohorts) showCohorts(c *gin.Context, status int, data gin.H) {
	own, err := s.OwnCoachID(c)
	if err != nil {
		s.Respond(c, err)
		return
	}
	cs, err := s.St.Cohorts.Cohorts(c.Request.Context(), own)
	if err != nil {
		s.Respond(c, err)
		return
	}
	coaches, err := s.St.Coaches.Coaches(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	names := map[string]string{}
	var leaders []store.Coach
	for _, co := range coaches {
		names[co.ID] = co.Name
		if co.Active && co.CertifiedOn(s.St.Now()) {
			leaders = append(leaders, co)
		}
	}
	data["Title"], data["Cohorts"], data["CoachNames"], data["Leaders"] = "Cohorts", cs, names, leaders
	if _, ok := data["Form"]; !ok {
		data["Form"] = store.CohortInput{Model: "peer_partners", Frequency: "weekly", MixedPairs: true}
	}
	s.Render(c, status, "cohorts.html", data)
}

func (s *Cohorts) AddCohortSubmit(c *gin.Context) {
	var in store.CohortInput
	_ = c.ShouldBind(&in)
	in.MixedPairs = c.PostForm("mixed_pairs") == "true"
	coh, err := s.St.Cohorts.AddCohort(c.Request.Context(), in)
	if err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showCohorts(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+coh.ID)
}

func (s *Cohorts) CohortPage(c *gin.Context) { s.ShowCohort(c, http.StatusOK, gin.H{}) }

func (s *Cohorts) ShowCohortPage(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	v, err := s.St.Cohorts.ViewCohort(ctx, c.Param("cid"))
	if err != nil {
		s.Respond(c, err)
		return
	}
	// Participants who could join: visible to the user, active, in no cohort.
	candidates, err := s.St.Joinable(ctx, web.CurrentUser(c))
	if err != nil {
		s.Respond(c, err)
		return
	}
	data["Title"], data["V"], data["Candidates"], data["Today"] = v.Cohort.Name, v, candidates, s.St.Now().Format("2006-01-02")
	data["YearEnded"] = yearsEnded(candidates, s.St.Now())
	if _, ok := data["MemberForm"]; !ok {
		data["MemberForm"] = memberForm{JoinedOn: data["Today"].(string)}
	}
	if _, ok := data["LeaveFor"]; !ok {
		data["LeaveFor"] = ""
	}
	if pid := c.Query("left"); pid != "" {
		if err := s.departed(c, pid, data); err != nil {
			s.Respond(c, err)
			return
		}
	}
	for _, add := range s.CohortSections {
		if err := add(c, v, data); err != nil {
			s.Respond(c, err)
			return
		}
	}
	s.Render(c, status, "cohort.html", data)
}

func (s *Cohorts) AddMemberSubmit(c *gin.Context) {
	pid, joined := c.PostForm("participant_id"), c.PostForm("joined_on")
	if !s.MaySee(c, pid) {
		return
	}
	if err := s.addMember(c, pid, joined, c.PostForm(store.YearEndedField) == "yes"); err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		if msg, ended := fe[store.YearEndedField]; ended && len(fe) == 1 {
			// Ask, on a page of its own, before adding someone whose year is over.
			s.Render(c, http.StatusConflict, "member_confirm.html", gin.H{"Title": "Program year ended", "Message": msg,
				"Action": "/cohorts/" + c.Param("cid") + "/members", "ParticipantID": pid, "JoinedOn": joined, "Back": "/cohorts/" + c.Param("cid")})
			return
		}
		s.ShowCohort(c, http.StatusUnprocessableEntity, gin.H{"Errors": fe, "MemberForm": memberForm{ParticipantID: pid, JoinedOn: joined}})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid"))
}

// memberForm is the form that adds a member, with what was entered.
type memberForm struct{ ParticipantID, JoinedOn string }

// departed puts on the page the departure just recorded (?left=<pid>): who
// left and on which day.
func (s *Cohorts) departed(c *gin.Context, pid string, data gin.H) error {
	on, err := s.St.Cohorts.Departure(c.Request.Context(), c.Param("cid"), pid)
	if err != nil || on == "" {
		return err
	}
	p, err := s.St.Participants.Participant(c.Request.Context(), pid)
	if err != nil {
		return web.NotFound(err, "No such participant.")
	}
	data["Left"] = map[string]string{"Name": p.FirstName + " " + p.LastName, "On": on}
	return nil
}

// LeaveMemberSubmit records that a member left the cohort, on the day the
// form gives (today unless changed); a mistake shows the cohort again with
// the member's form open.
func (s *Cohorts) LeaveMemberSubmit(c *gin.Context) {
	pid, leftOn := c.Param("pid"), c.PostForm("left_on")
	err := s.auditMembership(c, "leave_cohort", pid)
	if err == nil {
		err = s.St.Cohorts.RemoveMember(c.Request.Context(), c.Param("cid"), pid, leftOn)
	}
	if err != nil {
		if fe, ok := web.FieldErrors(c, err); ok {
			s.ShowCohort(c, http.StatusUnprocessableEntity, gin.H{"LeaveErrors": fe, "LeaveFor": pid, "LeaveOn": leftOn})
			return
		}
		s.Respond(c, web.NotFound(err, "The participant is not a current member of this cohort."))
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"?left="+url.QueryEscape(pid)+"#members")
}

// yearsEnded gives, by participant, the last day of a program year that has
// ended by now (YYYY-MM-DD), for the candidates to join a cohort: the list
// marks them, as adding them needs a confirmation.
func yearsEnded(ps []store.Participant, now time.Time) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		enrolled, err := time.Parse(time.DateOnly, p.EnrolledOn)
		if err != nil {
			continue
		}
		if rules.YearStatus(enrolled, false, false, now) == rules.StatusCompleted {
			out[p.ID] = rules.YearEnd(enrolled).Format(time.DateOnly)
		}
	}
	return out
}
