package participants

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
)

// ParticipantPage shows a section of a participant's record (?tab).
func (s *Handlers) ParticipantPage(c *gin.Context) {
	s.ShowParticipant(c, http.StatusOK, gin.H{})
}

// ShowParticipantPage draws a participant's page: their name, the
// navigation between the sections of their record and one section (the
// one web.TabOf names), with the data only that section needs.
func (s *Handlers) ShowParticipantPage(c *gin.Context, status int, data gin.H) {
	p, err := s.St.Participants.Participant(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.Respond(c, err)
		return
	}
	tab := s.TabOf(c, data)
	data["Title"], data["P"], data["Tab"], data["Tabs"] = p.FirstName+" "+p.LastName, p, tab, s.TabLinks(p.ID, tab)
	data["Added"] = c.Query("added") == "1"
	if t := s.Tab(tab); t != nil && t.Add != nil {
		if err := t.Add(c, p, data); err != nil {
			s.Respond(c, err)
			return
		}
	}
	s.Render(c, status, "participant.html", data)
}

// ProfileSection adds the intake details to a participant's page: their
// coach, the checklist and consents, and the history of changes.
func (s *Handlers) ProfileSection(c *gin.Context, p store.Participant, data gin.H) error {
	ctx := c.Request.Context()
	if p.CoachID != "" {
		co, err := s.St.Coaches.Coach(ctx, p.CoachID)
		if err == nil {
			data["CoachName"] = co.Name
		}
	}
	standing, err := s.St.Cohorts.StandingOf(ctx, p)
	if err != nil {
		return err
	}
	data["Standing"], data["StatusLabel"] = standing, rules.StatusLabel(standing.Status)
	changes, err := s.St.Participants.ParticipantChanges(ctx, p.ID)
	if err != nil {
		return err
	}
	rows := make([]changeRow, len(changes))
	for i, ch := range changes {
		rows[i] = changeRow{At: ch.ChangedAt, By: ch.ChangedByName, Field: store.IntakeLabel(ch.Field), Old: ch.OldValue, New: ch.NewValue}
		if store.IntakeIsDate(ch.Field) {
			rows[i].Old, rows[i].New = s.Clock.DayOf(ch.OldValue), s.Clock.DayOf(ch.NewValue)
		}
	}
	data["Changes"], data["Saved"] = rows, c.Query("saved") == "intake"
	return nil
}

// InterviewsSection adds the POM interviews side by side and the form to
// record one.
func (s *Handlers) InterviewsSection(c *gin.Context, p store.Participant, data gin.H) error {
	ctx := c.Request.Context()
	ivs, err := s.St.Participants.Interviews(ctx, p.ID)
	if err != nil {
		return err
	}
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	data["Interviews"], data["Release"], data["Timepoints"], data["POM"] = ivs, rel, contract.Timepoints, store.SideBySide(rel, ivs)
	data["InterviewSaved"] = c.Query("saved") == "interview"
	if _, ok := data["Form"]; !ok {
		data["Form"] = gin.H{"Timepoint": nextTimepoint(ivs), "Answers": map[string]string{}}
	}
	return nil
}
