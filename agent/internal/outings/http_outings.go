package outings

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/cohorts"
	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
)

// Handlers are a participant's social outings. Correcting and
// removing one: only the director and the coach who leads the
// participant's cohort (leadsParticipant); the rules are applied again to
// a corrected record; a removal is asked for on a page of its own first;
// every change is in the audit log.
type Handlers struct{ *web.App }

// pageOuting finds the outing :oid recorded on participant :id for a
// page, answering 404 or failing when it cannot (ok false).
func (s *Handlers) pageOuting(c *gin.Context) (store.Outing, bool) {
	o, err := s.St.Outings.Outing(c.Request.Context(), c.Param("id"), c.Param("oid"))
	return o, s.Found(c, err, "No such outing of this participant.")
}

func (s *Handlers) APIUpdateOuting(c *gin.Context) {
	var in store.OutingInput
	if !web.BindJSON(c, &in) {
		return
	}
	o, err := s.St.Outings.UpdateOuting(c.Request.Context(), c.Param("id"), c.Param("oid"), in)
	s.Reply(c, http.StatusOK, o, web.NotFound(err, "No such outing of this participant."))
}

func (s *Handlers) APIDeleteOuting(c *gin.Context) {
	if _, err := s.St.Outings.DeleteOuting(c.Request.Context(), c.Param("id"), c.Param("oid")); err != nil {
		s.Respond(c, web.NotFound(err, "No such outing of this participant."))
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Handlers) OutingEditPage(c *gin.Context) { s.showOutingEdit(c, http.StatusOK, gin.H{}) }

func (s *Handlers) showOutingEdit(c *gin.Context, status int, data gin.H) {
	web.EditPage(s.App, c, status, "outing_edit.html", data, s.pageOuting, s.outingEditData)
}

// outingEditData fills the outing correction form's data.
func (s *Handlers) outingEditData(c *gin.Context, o store.Outing, data gin.H) error {
	ctx := c.Request.Context()
	p, err := s.St.Participants.Participant(ctx, o.ParticipantID)
	if err != nil {
		return err
	}
	v, err := s.St.Outings.ViewOutings(ctx, p.ID)
	if err != nil {
		return err
	}
	goals, err := s.St.Stipends.Goals(ctx, p.ID)
	if err != nil {
		return err
	}
	f, ok := data[keyOutingForm].(outingForm)
	if !ok {
		f = outingForm{Date: o.OutingOn, Activity: o.Activity, Stage: strconv.Itoa(o.Stage), GoalID: o.GoalID, PartnerID: o.PartnerID, Cost: rules.PlainCents(o.CostCents)}
	}
	sec := outingsSection{Form: f}
	sec.Stages, sec.Goals, sec.Partners = outingChoices(f, goals, v.Partners)
	if e, ok := data[keyOutingErrors].(map[string]string); ok {
		sec.Errors = e
	}
	data["Title"], data["P"], data["Outing"], data["OutingsSection"] = "Correct an outing of "+p.FirstName+" "+p.LastName, p, o, sec
	return nil
}

func (s *Handlers) OutingUpdateSubmit(c *gin.Context) {
	f, in, costProblem := outingFromForm(c)
	_, err := s.St.Outings.UpdateOuting(c.Request.Context(), c.Param("id"), c.Param("oid"), in)
	if err = withCostProblem(err, costProblem); err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, web.NotFound(err, "No such outing of this participant."))
			return
		}
		s.showOutingEdit(c, http.StatusUnprocessableEntity, gin.H{keyOutingErrors: fe, keyOutingForm: f})
		return
	}
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabOutings, "", "outings"))
}

func (s *Handlers) OutingDeletePage(c *gin.Context) {
	o, ok := s.pageOuting(c)
	if !ok {
		return
	}
	what := "The outing of " + o.OutingOn + ": " + o.Activity + " (" + web.StageLabel(o.Stage) + ")."
	if o.PartnerID != "" {
		what += " It is a joint outing: it leaves the peer partner's outings too."
	}
	base := "/participants/" + o.ParticipantID
	s.ConfirmPage(c, "Delete this outing?", what, base+"/outings/"+o.ID+"/delete", base+"#outings")
}

func (s *Handlers) OutingDeleteSubmit(c *gin.Context) {
	if _, err := s.St.Outings.DeleteOuting(c.Request.Context(), c.Param("id"), c.Param("oid")); err != nil {
		s.Respond(c, web.NotFound(err, "No such outing of this participant."))
		return
	}
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabOutings, "", "outings"))
}

func (s *Handlers) APIOutings(c *gin.Context) {
	v, err := s.St.Outings.ViewOutings(c.Request.Context(), c.Param("id"))
	s.Reply(c, http.StatusOK, v, err)
}

func (s *Handlers) APIAddOuting(c *gin.Context) {
	var in store.OutingInput
	if !web.BindJSON(c, &in) {
		return
	}
	o, err := s.St.Outings.AddOuting(c.Request.Context(), c.Param("id"), in)
	s.Reply(c, http.StatusCreated, o, err)
}

// outingRow is an outing as the participant page shows it.
type outingRow struct {
	Date, Activity, Stage, Partner, GoalID, Cost string
	// RecordedBy names the partner a joint outing is recorded for, when it
	// is not this participant; Edit is the outing's address when it is.
	RecordedBy, Edit string
}

// outingForm is the record-an-outing form with what was entered.
type outingForm struct {
	Date, Activity, Stage, GoalID, Cost, PartnerID string
}

// outingsSection is what the participant page's "participant-outings"
// section shows.
type outingsSection struct {
	CurrentStage string
	ProgramMonth int
	TotalCost    string
	Chart        template.HTML
	Rows         []outingRow
	Stages       []web.Option
	Partners     []web.Option
	Goals        []web.Option
	Form         outingForm
	Errors       map[string]string
	// Pairing: shown to members of a Peer Partners group and to anyone
	// who has had a peer partner.
	ShowPairing    bool
	Current        []cohorts.PairRow
	History        []cohorts.PairRow
	Genders        []web.Option
	Profile        cohorts.ProfileForm
	ProfileErrors  map[string]string
	ProfileUpdated string
}

// Data keys the participant forms use to show their errors again.
const (
	keyOutingErrors = "OutingErrors"
	keyOutingForm   = "OutingForm"
)

func (s *Handlers) ParticipantOutingsSection(c *gin.Context, p store.Participant, data gin.H) error {
	ctx := c.Request.Context()
	v, err := s.St.Outings.ViewOutings(ctx, p.ID)
	if err != nil {
		return err
	}
	sec := outingsSection{CurrentStage: web.StageLabel(v.CurrentStage), ProgramMonth: v.ProgramMonth, TotalCost: web.Dollars(v.TotalCostCents),
		Chart: outingsChart(v.Progression, v.ProgramMonth)}
	names := map[string]string{}
	for _, x := range v.Partners {
		names[x.ID] = x.Name
	}
	goals, err := s.St.Stipends.Goals(ctx, p.ID)
	if err != nil {
		return err
	}
	goalNames := map[string]string{}
	for _, g := range goals {
		goalNames[g.ID] = fmt.Sprintf("Goal %d: %s", g.Slot, g.Title)
	}
	for _, o := range v.Outings {
		row := outingRow{Date: o.OutingOn, Activity: o.Activity, Stage: web.StageLabel(o.Stage), Cost: web.Dollars(o.CostCents)}
		if o.ParticipantID == p.ID {
			row.Partner, row.Edit = names[o.PartnerID], "/participants/"+p.ID+"/outings/"+o.ID
			row.GoalID = goalNames[o.GoalID]
			if row.GoalID == "" && o.GoalID != "" {
				row.GoalID = "a goal no longer set"
			}
		} else {
			// A joint outing the partner's record holds: its goal and cost
			// are the partner's.
			row.Partner, row.RecordedBy = names[o.ParticipantID], names[o.ParticipantID]
		}
		sec.Rows = append(sec.Rows, row)
	}
	sec.Form = outingForm{Date: s.St.Now().Format("2006-01-02"), Stage: strconv.Itoa(max(v.CurrentStage, 1))}
	if f, ok := data[keyOutingForm].(outingForm); ok {
		sec.Form = f
	}
	if e, ok := data[keyOutingErrors].(map[string]string); ok {
		sec.Errors = e
	}
	sec.Stages, sec.Goals, sec.Partners = outingChoices(sec.Form, goals, v.Partners)

	pairs, err := s.St.Pairs.ParticipantPairs(ctx, p.ID)
	if err != nil {
		return err
	}
	inGroup, err := s.St.Pairs.InPeerPartnersGroup(ctx, p.ID)
	if err != nil {
		return err
	}
	sec.ShowPairing = inGroup || len(pairs) > 0
	var cur, past []store.PairInfo
	for _, pr := range pairs {
		if pr.Current() {
			cur = append(cur, pr)
		} else {
			past = append(past, pr)
		}
	}
	sec.Current, sec.History = cohorts.WithoutSelf(cohorts.PairRows(cur, "", "", store.EndPairInput{}), p.ID), cohorts.WithoutSelf(cohorts.PairRows(past, "", "", store.EndPairInput{}), p.ID)
	pp, err := s.St.Pairs.PairingProfileOf(ctx, p.ID)
	if err != nil {
		return err
	}
	sec.Profile = cohorts.ProfileForm{Interests: strings.Join(pp.InterestList(), ", "), Gender: pp.Gender, Notes: pp.Notes}
	if !pp.UpdatedAt.IsZero() {
		sec.ProfileUpdated = s.Clock.When(pp.UpdatedAt)
	}
	if f, ok := data[cohorts.KeyProfileForm].(cohorts.ProfileForm); ok {
		sec.Profile = f
	}
	if e, ok := data[cohorts.KeyProfileErrors].(map[string]string); ok {
		sec.ProfileErrors = e
	}
	sec.Genders = append([]web.Option{{Value: "", Label: "Not recorded", Selected: sec.Profile.Gender == ""}},
		web.Options(rules.Genders, rules.GenderLabel, sec.Profile.Gender)...)
	data["OutingsSection"] = sec
	return nil
}

// outingChoices are the outing form's stages, goals and peer partners,
// with what the form holds selected.
func outingChoices(f outingForm, goals []store.Goal, partners []store.Partner) (stages, goalOpts, partnerOpts []web.Option) {
	stages = make([]web.Option, len(rules.Stages))
	for i, st := range rules.Stages {
		val := strconv.Itoa(st)
		stages[i] = web.Option{Value: val, Label: fmt.Sprintf("%d: %s", st, rules.StageName(st)), Selected: val == f.Stage}
	}
	goalOpts = []web.Option{{Value: "", Label: "No particular goal", Selected: f.GoalID == ""}}
	for _, g := range goals {
		goalOpts = append(goalOpts, web.Option{Value: g.ID, Label: fmt.Sprintf("Goal %d: %s", g.Slot, g.Title), Selected: g.ID == f.GoalID})
	}
	partnerOpts = []web.Option{{Value: "", Label: "No peer partner", Selected: f.PartnerID == ""}}
	for _, x := range partners {
		partnerOpts = append(partnerOpts, web.Option{Value: x.ID, Label: x.Name, Selected: x.ID == f.PartnerID})
	}
	return stages, goalOpts, partnerOpts
}

// outingFromForm reads the outing form. A cost that is not an amount goes
// on as -1, which an outing's cost cannot be, so that the store says every
// mistake of the form at once; costProblem then says what is wrong with
// the cost ("" when it was read).
func outingFromForm(c *gin.Context) (f outingForm, in store.OutingInput, costProblem string) {
	f = outingForm{Date: c.PostForm("date"), Activity: c.PostForm("activity"), Stage: c.PostForm("stage"), GoalID: c.PostForm("goal_id"),
		Cost: c.PostForm("cost"), PartnerID: c.PostForm("partner_id")}
	stage, _ := strconv.Atoi(f.Stage)
	cents, ok := web.ParseCents(f.Cost)
	if !ok {
		cents, costProblem = -1, rules.AmountProblem(f.Cost)
	}
	return f, store.OutingInput{Date: f.Date, Activity: f.Activity, Stage: stage, GoalID: f.GoalID, CostCents: cents, PartnerID: f.PartnerID}, costProblem
}

// withCostProblem puts the cost's own problem, if any, in place of the
// store's message about it.
func withCostProblem(err error, costProblem string) error {
	var errs store.ValidationErrors
	var one *store.ValidationError
	switch {
	case costProblem == "":
		return err
	case errors.As(err, &one):
		errs = store.ValidationErrors{*one}
	case !errors.As(err, &errs):
		return err
	}
	out := store.ValidationErrors{{Field: "cost_cents", Msg: costProblem}}
	for _, e := range errs {
		if e.Field != "cost_cents" {
			out = append(out, e)
		}
	}
	return out
}

func (s *Handlers) OutingSubmit(c *gin.Context) {
	f, in, costProblem := outingFromForm(c)
	_, err := s.St.Outings.AddOuting(c.Request.Context(), c.Param("id"), in)
	if err = withCostProblem(err, costProblem); err != nil {
		s.ParticipantFormErr(c, err, keyOutingErrors, gin.H{keyOutingForm: f})
		return
	}
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabOutings, "", "outings"))
}
