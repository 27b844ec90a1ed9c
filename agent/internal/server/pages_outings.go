package server

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
)

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

// profileForm is the pairing profile form with what was entered.
type profileForm struct {
	Interests, Gender, Notes string
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

// withoutSelf leaves the participant whose page it is out of their pairs.
func withoutSelf(rows []pairRow, id string) []pairRow {
	for i := range rows {
		kept := rows[i].Partners[:0:0]
		for _, p := range rows[i].Partners {
			if p.ID != id {
				kept = append(kept, p)
			}
		}
		rows[i].Partners = kept
	}
	return rows
}

func dollars(cents int64) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }

func (s *Server) participantOutingsSection(c *gin.Context, p store.Participant, data gin.H) error {
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

var dollarsRE = regexp.MustCompile(`^\$?\s*(\d{1,7})(?:\.(\d{1,2}))?$`)

// parseCents reads an amount in dollars ("12", "12.5", "$12.50") as cents.
func parseCents(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	m := dollarsRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	d, _ := strconv.ParseInt(m[1], 10, 64)
	frac := m[2]
	if len(frac) == 1 {
		frac += "0"
	}
	c, _ := strconv.ParseInt("0"+frac, 10, 64)
	return d*100 + c, true
}

// participantFormErr shows the participant page again with a form's
// errors, or fails on an unexpected error.
func (s *Server) participantFormErr(c *gin.Context, err error, key string, data gin.H) {
	if errors.Is(err, store.ErrNotFound) {
		s.notFoundParticipant(c)
		return
	}
	fe, ok := fieldErrors(err)
	if !ok {
		s.fail(c, err)
		return
	}
	data[key] = fe
	s.showParticipant(c, http.StatusUnprocessableEntity, data)
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

func (s *Server) outingSubmit(c *gin.Context) {
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

func (s *Server) pairingProfileSubmit(c *gin.Context) {
	f := profileForm{Interests: c.PostForm("interests"), Gender: c.PostForm("gender"), Notes: c.PostForm("notes")}
	in := store.PairingProfileInput{Interests: strings.Split(f.Interests, ","), Gender: f.Gender, Notes: f.Notes}
	if _, err := s.st.SavePairingProfile(c.Request.Context(), c.Param("id"), in); err != nil {
		s.participantFormErr(c, err, keyProfileErrors, gin.H{keyProfileForm: f})
		return
	}
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#pairing")
}

// Geometry of the outings chart, in SVG user units.
const (
	chartW      = 640
	chartH      = 230
	chartLeft   = 240
	chartRight  = 16
	chartTop    = 14
	chartBottom = 44
)

// outingsChart draws the highest outing stage of each program month as a
// step chart: one level per stage, a step for each month with outings, a
// gap for a month without, and a dashed line at the current month. It is
// plain SVG (well-formed XML) with no script and no inline style, so the
// page's content security policy lets it show.
func outingsChart(prog []rules.MonthStage, month int) template.HTML {
	n := len(prog)
	if n == 0 {
		return ""
	}
	plotW := float64(chartW - chartLeft - chartRight)
	rowH := float64(chartH-chartTop-chartBottom) / 4
	colW := plotW / float64(n)
	x := func(m int) float64 { return chartLeft + float64(m-1)*colW }
	y := func(stage int) float64 { return chartTop + float64(4-stage)*rowH + rowH/2 }
	var b strings.Builder
	var summary []string
	for _, m := range prog {
		if m.Highest > 0 {
			summary = append(summary, fmt.Sprintf("month %d: stage %d", m.Month, m.Highest))
		}
	}
	desc := "No outings recorded yet."
	if len(summary) > 0 {
		desc = "Highest stage by program month: " + strings.Join(summary, "; ") + "."
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="outings-chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="outings-chart-title outings-chart-desc">`,
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<title id="outings-chart-title">Social outing stages by program month</title><desc id="outings-chart-desc">%s</desc>`, html.EscapeString(desc))
	for _, st := range rules.Stages {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e3e7eb"/>`, chartLeft, chartW-chartRight, y(st), y(st))
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle" font-size="11">%s</text>`,
			chartLeft-8, y(st), html.EscapeString(fmt.Sprintf("%d %s", st, rules.StageName(st))))
	}
	for _, m := range prog {
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle" font-size="11">%d</text>`, x(m.Month)+colW/2, chartH-chartBottom+16, m.Month)
	}
	fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%d" text-anchor="middle" font-size="12">Program month</text>`, chartLeft+plotW/2, chartH-6)
	if month >= 1 && month <= n {
		fmt.Fprintf(&b, `<line class="now" x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#6b7785" stroke-dasharray="4 3"><title>This month (month %d)</title></line>`,
			x(month)+colW/2, x(month)+colW/2, chartTop, chartH-chartBottom, month)
	}
	var path strings.Builder
	prev := 0
	for _, m := range prog {
		switch {
		case m.Highest == 0:
		case prev == 0:
			fmt.Fprintf(&path, "M%.1f %.1fH%.1f", x(m.Month), y(m.Highest), x(m.Month)+colW)
		default:
			fmt.Fprintf(&path, "V%.1fH%.1f", y(m.Highest), x(m.Month)+colW)
		}
		prev = m.Highest
	}
	if path.Len() > 0 {
		fmt.Fprintf(&b, `<path class="step" d="%s" fill="none" stroke="#1f6f5c" stroke-width="3"/>`, path.String())
	}
	for _, m := range prog {
		if m.Highest == 0 {
			continue
		}
		outings := "1 outing"
		if m.Outings != 1 {
			outings = fmt.Sprintf("%d outings", m.Outings)
		}
		fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="4" fill="#1f6f5c"><title>%s</title></circle>`, x(m.Month)+colW/2, y(m.Highest),
			html.EscapeString(fmt.Sprintf("Month %d: stage %d (%s), %s", m.Month, m.Highest, rules.StageName(m.Highest), outings)))
	}
	b.WriteString(`</svg>`)
	// #nosec G203 -- built above from numbers and escaped text only.
	return template.HTML(b.String())
}
