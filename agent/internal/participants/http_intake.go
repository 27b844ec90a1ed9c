package participants

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
)

// changeRow is a line of the history of a participant's intake details.
type changeRow struct {
	At        time.Time
	By, Field string
	Old, New  string
}

// intakeOrder is the order of the intake form's fields, for its error
// summary.
const intakeOrder = "first_name last_name birth_date enrolled_on phone email address coach_id informed_consent manages_finances sets_goals accepts_responsibilities age_override_reason agreement_signed_on hospitalization_consent_on participant"

// inputOf is a participant's intake details as the form shows them.
func inputOf(p store.Participant) store.ParticipantInput {
	return store.ParticipantInput{FirstName: p.FirstName, LastName: p.LastName, BirthDate: p.BirthDate, Phone: p.Phone, Email: p.Email,
		Address: p.Address, EnrolledOn: p.EnrolledOn, AgeOverrideReason: p.AgeOverrideReason, InformedConsent: p.InformedConsent,
		ManagesFinances: p.ManagesFinances, SetsGoals: p.SetsGoals, AcceptsResponsibilities: p.AcceptsResponsibilities,
		AgreementSignedOn: p.AgreementSignedOn, HospitalizationConsentOn: p.HospitalizationConsentOn, CoachID: p.CoachID}
}

// IntakePage is the form that corrects a participant's intake details,
// coach and consents.
func (s *Handlers) IntakePage(c *gin.Context) {
	p, err := s.St.Participants.Participant(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.showIntake(c, http.StatusOK, p, inputOf(p), nil)
}

func (s *Handlers) showIntake(c *gin.Context, status int, p store.Participant, in store.ParticipantInput, errs map[string]string) {
	coaches, err := s.St.Coaches.Coaches(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.Render(c, status, "participant_intake.html", gin.H{"Title": "Intake details: " + p.FirstName + " " + p.LastName, "P": p, "Form": in,
		"Errors": errs, "Order": intakeOrder, "Coaches": coaches, "Tabs": s.TabLinks(p.ID, web.TabProfile)})
}

// IntakeSubmit saves the corrected intake details; each field changed
// goes to the participant's history, with who changed it. A form with
// mistakes is shown again and nothing is saved.
func (s *Handlers) IntakeSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := s.St.Participants.Participant(ctx, c.Param("id"))
	if err != nil {
		s.Respond(c, err)
		return
	}
	var in store.ParticipantInput
	if err := c.ShouldBind(&in); err != nil {
		s.showIntake(c, http.StatusUnprocessableEntity, p, in, map[string]string{"participant": "The form could not be read: send it again from this page."})
		return
	}
	if _, err := s.St.Participants.UpdateParticipant(ctx, p.ID, in, web.CurrentUser(c)); err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showIntake(c, http.StatusUnprocessableEntity, p, in, fe)
		return
	}
	s.NudgeSync()
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(p.ID, web.TabProfile, "saved=intake", "intake-history"))
}
