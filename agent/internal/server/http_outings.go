package server

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
)

// outingHandlers are a participant's social outings. Correcting and
// removing one: only the director and the coach who leads the
// participant's cohort (leadsParticipant); the rules are applied again to
// a corrected record; a removal is asked for on a page of its own first;
// every change is in the audit log.
type outingHandlers struct{ *app }

// pageOuting finds the outing :oid recorded on participant :id for a
// page, answering 404 or failing when it cannot (ok false).
func (s *outingHandlers) pageOuting(c *gin.Context) (store.Outing, bool) {
	o, err := s.st.Outing(c.Request.Context(), c.Param("id"), c.Param("oid"))
	return o, s.found(c, err, "No such outing of this participant.")
}

func (s *outingHandlers) apiUpdateOuting(c *gin.Context) {
	var in store.OutingInput
	if !bindJSON(c, &in) {
		return
	}
	o, err := s.st.UpdateOuting(c.Request.Context(), c.Param("id"), c.Param("oid"), in)
	s.reply(c, http.StatusOK, o, notFound(err, "No such outing of this participant."))
}

func (s *outingHandlers) apiDeleteOuting(c *gin.Context) {
	if _, err := s.st.DeleteOuting(c.Request.Context(), c.Param("id"), c.Param("oid")); err != nil {
		s.respond(c, notFound(err, "No such outing of this participant."))
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *outingHandlers) outingEditPage(c *gin.Context) { s.showOutingEdit(c, http.StatusOK, gin.H{}) }

func (s *outingHandlers) showOutingEdit(c *gin.Context, status int, data gin.H) {
	o, ok := s.pageOuting(c)
	if !ok {
		return
	}
	if err := s.outingEditData(c, o, data); err != nil {
		s.respond(c, err)
		return
	}
	s.render(c, status, "outing_edit.html", data)
}

// outingEditData fills the outing correction form's data.
func (s *outingHandlers) outingEditData(c *gin.Context, o store.Outing, data gin.H) error {
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

func (s *outingHandlers) outingUpdateSubmit(c *gin.Context) {
	f, in, err := outingFromForm(c)
	if err == nil {
		_, err = s.st.UpdateOuting(c.Request.Context(), c.Param("id"), c.Param("oid"), in)
	}
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.respond(c, notFound(err, "No such outing of this participant."))
			return
		}
		s.showOutingEdit(c, http.StatusUnprocessableEntity, gin.H{keyOutingErrors: fe, keyOutingForm: f})
		return
	}
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#outings")
}

func (s *outingHandlers) outingDeletePage(c *gin.Context) {
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

func (s *outingHandlers) outingDeleteSubmit(c *gin.Context) {
	if _, err := s.st.DeleteOuting(c.Request.Context(), c.Param("id"), c.Param("oid")); err != nil {
		s.respond(c, notFound(err, "No such outing of this participant."))
		return
	}
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#outings")
}

func (s *outingHandlers) apiOutings(c *gin.Context) {
	v, err := s.st.ViewOutings(c.Request.Context(), c.Param("id"))
	s.reply(c, http.StatusOK, v, err)
}

func (s *outingHandlers) apiAddOuting(c *gin.Context) {
	var in store.OutingInput
	if !bindJSON(c, &in) {
		return
	}
	o, err := s.st.AddOuting(c.Request.Context(), c.Param("id"), in)
	s.reply(c, http.StatusCreated, o, err)
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
	Stages       []option
	Partners     []option
	Goals        []option
	Form         outingForm
	Errors       map[string]string
	// Pairing: shown to members of a Peer Partners group and to anyone
	// who has had a peer partner.
	ShowPairing    bool
	Current        []pairRow
	History        []pairRow
	Genders        []option
	Profile        profileForm
	ProfileErrors  map[string]string
	ProfileUpdated string
}

// Data keys the participant forms use to show their errors again.
const (
	keyOutingErrors  = "OutingErrors"
	keyOutingForm    = "OutingForm"
	keyProfileErrors = "ProfileErrors"
	keyProfileForm   = "ProfileForm"
)

func (s *outingHandlers) participantOutingsSection(c *gin.Context, p store.Participant, data gin.H) error {
	ctx := c.Request.Context()
	v, err := s.st.ViewOutings(ctx, p.ID)
	if err != nil {
		return err
	}
	sec := outingsSection{CurrentStage: stageLabel(v.CurrentStage), ProgramMonth: v.ProgramMonth, TotalCost: dollars(v.TotalCostCents),
		Chart: outingsChart(v.Progression, v.ProgramMonth)}
	names := map[string]string{}
	for _, x := range v.Partners {
		names[x.ID] = x.Name
	}
	goals, err := s.st.Goals(ctx, p.ID)
	if err != nil {
		return err
	}
	goalNames := map[string]string{}
	for _, g := range goals {
		goalNames[g.ID] = fmt.Sprintf("Goal %d: %s", g.Slot, g.Title)
	}
	for _, o := range v.Outings {
		row := outingRow{Date: o.OutingOn, Activity: o.Activity, Stage: stageLabel(o.Stage), Cost: dollars(o.CostCents)}
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
	sec.Form = outingForm{Date: s.st.Now().Format("2006-01-02"), Stage: strconv.Itoa(max(v.CurrentStage, 1))}
	if f, ok := data[keyOutingForm].(outingForm); ok {
		sec.Form = f
	}
	if e, ok := data[keyOutingErrors].(map[string]string); ok {
		sec.Errors = e
	}
	sec.Stages, sec.Goals, sec.Partners = outingChoices(sec.Form, goals, v.Partners)

	pairs, err := s.st.ParticipantPairs(ctx, p.ID)
	if err != nil {
		return err
	}
	inGroup, err := s.st.InPeerPartnersGroup(ctx, p.ID)
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
	sec.Current, sec.History = withoutSelf(pairRows(cur, "", "", store.EndPairInput{}), p.ID), withoutSelf(pairRows(past, "", "", store.EndPairInput{}), p.ID)
	pp, err := s.st.PairingProfileOf(ctx, p.ID)
	if err != nil {
		return err
	}
	sec.Profile = profileForm{Interests: strings.Join(pp.InterestList(), ", "), Gender: pp.Gender, Notes: pp.Notes}
	if !pp.UpdatedAt.IsZero() {
		sec.ProfileUpdated = pp.UpdatedAt.Format("2006-01-02")
	}
	if f, ok := data[keyProfileForm].(profileForm); ok {
		sec.Profile = f
	}
	if e, ok := data[keyProfileErrors].(map[string]string); ok {
		sec.ProfileErrors = e
	}
	sec.Genders = append([]option{{Value: "", Label: "Not recorded", Selected: sec.Profile.Gender == ""}},
		options(rules.Genders, rules.GenderLabel, sec.Profile.Gender)...)
	data["OutingsSection"] = sec
	return nil
}

// outingChoices are the outing form's stages, goals and peer partners,
// with what the form holds selected.
func outingChoices(f outingForm, goals []store.Goal, partners []store.Partner) (stages, goalOpts, partnerOpts []option) {
	stages = make([]option, len(rules.Stages))
	for i, st := range rules.Stages {
		val := strconv.Itoa(st)
		stages[i] = option{Value: val, Label: fmt.Sprintf("%d: %s", st, rules.StageName(st)), Selected: val == f.Stage}
	}
	goalOpts = []option{{Value: "", Label: "No particular goal", Selected: f.GoalID == ""}}
	for _, g := range goals {
		goalOpts = append(goalOpts, option{Value: g.ID, Label: fmt.Sprintf("Goal %d: %s", g.Slot, g.Title), Selected: g.ID == f.GoalID})
	}
	partnerOpts = []option{{Value: "", Label: "No peer partner", Selected: f.PartnerID == ""}}
	for _, x := range partners {
		partnerOpts = append(partnerOpts, option{Value: x.ID, Label: x.Name, Selected: x.ID == f.PartnerID})
	}
	return stages, goalOpts, partnerOpts
}

// outingFromForm reads the outing form; a cost that is not an amount is
// its error.
func outingFromForm(c *gin.Context) (outingForm, store.OutingInput, error) {
	f := outingForm{Date: c.PostForm("date"), Activity: c.PostForm("activity"), Stage: c.PostForm("stage"), GoalID: c.PostForm("goal_id"),
		Cost: c.PostForm("cost"), PartnerID: c.PostForm("partner_id")}
	stage, _ := strconv.Atoi(f.Stage)
	cents, ok := parseCents(f.Cost)
	if !ok {
		return f, store.OutingInput{}, &store.ValidationError{Field: "cost_cents", Msg: "enter the cost in dollars, such as 12.50"}
	}
	return f, store.OutingInput{Date: f.Date, Activity: f.Activity, Stage: stage, GoalID: f.GoalID, CostCents: cents, PartnerID: f.PartnerID}, nil
}

func (s *outingHandlers) outingSubmit(c *gin.Context) {
	f, in, err := outingFromForm(c)
	if err == nil {
		_, err = s.st.AddOuting(c.Request.Context(), c.Param("id"), in)
	}
	if err != nil {
		s.participantFormErr(c, err, keyOutingErrors, gin.H{keyOutingForm: f})
		return
	}
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#outings")
}
