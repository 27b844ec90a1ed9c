package outcomes

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// ModelLabels are the program models' names.
var ModelLabels = map[string]string{contract.ModelPeerPartners: "Peer Partners", contract.ModelSocialExplorations: "Social Explorations"}

// outcomeFilter reads and checks the report's filter from the query: org,
// org_type, state, model, year and site. A Program Director's organization
// is forced to their own.
func (s *Handlers) outcomeFilter(c *gin.Context) (OutcomeFilter, *problem.Problem) {
	u := c.MustGet(web.CtxUser).(store.User)
	q := c.Request.URL.Query()
	f := OutcomeFilter{OrgID: q.Get("org"), OrgType: q.Get("org_type"), State: strings.ToUpper(strings.TrimSpace(q.Get("state"))), Model: q.Get("model"), SiteID: q.Get("site")}
	var errs []problem.FieldError
	if f.OrgType != "" && !slices.Contains(store.OrgTypes, f.OrgType) {
		errs = append(errs, problem.FieldError{Field: "org_type", Detail: "Choose one of " + strings.Join(store.OrgTypes, ", ")})
	}
	if f.State != "" && (len(f.State) != 2 || f.State[0] < 'A' || f.State[0] > 'Z' || f.State[1] < 'A' || f.State[1] > 'Z') {
		errs = append(errs, problem.FieldError{Field: "state", Detail: "Enter a two-letter state code such as VA"})
	}
	if f.Model != "" && !slices.Contains(contract.Models, f.Model) {
		errs = append(errs, problem.FieldError{Field: "model", Detail: "Choose one of " + strings.Join(contract.Models, ", ")})
	}
	if y := q.Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			errs = append(errs, problem.FieldError{Field: "year", Detail: "Enter an enrollment year such as 2026"})
		}
		f.Year = n
	}
	if len(errs) > 0 {
		f.Year = 0
		return f, problem.Validation("The filter is not valid.", errs...)
	}
	var p *problem.Problem
	f.OrgID, p = s.scopeFilter(c, u, f.OrgID, f.SiteID)
	return f, p
}

// scopeFilter checks an outcome filter's organization and site: both must
// exist, the site must belong to the organization, and a Program
// Director only ever sees their own organization (it is the organization
// returned when none is asked for).
func (s *Handlers) scopeFilter(c *gin.Context, u store.User, orgID, siteID string) (string, *problem.Problem) {
	if u.Role == store.RoleDirector {
		if orgID != "" && orgID != u.OrgID {
			return orgID, problem.New(http.StatusForbidden, problem.TypeForbidden, "You can only see your own organization's outcomes.")
		}
		orgID = u.OrgID
	}
	ctx := c.Request.Context()
	if orgID != "" {
		o, err := s.St.FindOrganization(ctx, orgID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && o.ID != orgID) {
			return orgID, problem.Validation("No such organization.", problem.FieldError{Field: "org", Detail: "Choose an organization from the list"})
		}
		if err != nil {
			return orgID, s.Internal(c, err)
		}
	}
	if siteID != "" {
		site, err := s.St.FindSite(ctx, siteID)
		if err == nil && site.ID != siteID {
			err = store.ErrNotFound
		}
		var ve *store.ValidationError
		if errors.Is(err, store.ErrNotFound) || errors.As(err, &ve) {
			return orgID, problem.Validation("No such site.", problem.FieldError{Field: "site", Detail: "Choose a site from the list"})
		}
		if err != nil {
			return orgID, s.Internal(c, err)
		}
		if u.Role == store.RoleDirector && site.OrgID != u.OrgID {
			return orgID, problem.New(http.StatusForbidden, problem.TypeForbidden, "You can only see your own organization's outcomes.")
		}
		if orgID != "" && site.OrgID != orgID {
			return orgID, problem.Validation("The site is not one of the organization's.", problem.FieldError{Field: "site", Detail: "belongs to another organization"})
		}
	}
	return orgID, nil
}

// defaultFilter is what a page falls back to after a bad filter.
func defaultFilter(c *gin.Context) OutcomeFilter {
	if u := c.MustGet(web.CtxUser).(store.User); u.Role == store.RoleDirector {
		return OutcomeFilter{OrgID: u.OrgID}
	}
	return OutcomeFilter{}
}

func filterQuery(f OutcomeFilter) string {
	v := url.Values{}
	for k, x := range map[string]string{"org": f.OrgID, "org_type": f.OrgType, "state": f.State, "model": f.Model, "site": f.SiteID} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if f.Year != 0 {
		v.Set("year", strconv.Itoa(f.Year))
	}
	return v.Encode()
}

func (s *Handlers) APIOutcomes(c *gin.Context) {
	start := time.Now()
	f, p := s.outcomeFilter(c)
	if p != nil {
		problem.Write(c, p)
		return
	}
	rep, err := s.outcomes.Outcomes(c.Request.Context(), f, s.minCell)
	if err != nil {
		s.Respond(c, err)
		return
	}
	body, err := json.Marshal(rep)
	if err != nil {
		s.Respond(c, err)
		return
	}
	// The server's own time for the report (filter checks, queries,
	// suppression, encoding), for operators and the benchmark.
	c.Header("Server-Timing", fmt.Sprintf("report;dur=%.3f", float64(time.Since(start).Microseconds())/1000))
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

func (s *Handlers) APIFidelity(c *gin.Context) {
	f, p := s.outcomeFilter(c)
	if p != nil {
		problem.Write(c, p)
		return
	}
	rep, err := s.outcomes.Fidelity(c.Request.Context(), f, s.fidelity, s.minCell)
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// filterChoices fills in what the filter form offers.
func (s *Handlers) filterChoices(c *gin.Context, data gin.H, f OutcomeFilter) {
	ctx := c.Request.Context()
	u := c.MustGet(web.CtxUser).(store.User)
	orgs, _ := s.St.Organizations(ctx)
	if u.Role == store.RoleDirector {
		var own []store.Organization
		for _, o := range orgs {
			if o.ID == u.OrgID {
				own = append(own, o)
			}
		}
		orgs = own
	}
	sites, _ := s.St.Sites(ctx, f.OrgID)
	var states []string
	for _, o := range orgs {
		if !slices.Contains(states, o.State) {
			states = append(states, o.State)
		}
	}
	slices.Sort(states)
	data["Filter"], data["Orgs"], data["Sites"], data["States"], data["OrgTypes"] = f, orgs, sites, states, store.OrgTypes
	data["Models"], data["ModelLabels"], data["Query"] = contract.Models, ModelLabels, filterQuery(f)
	pending, _ := s.St.PendingProjection(ctx)
	data["Pending"] = pending
}

// pageFilter reads the filter for a page; the page falls back to the
// default filter when it is bad, its mistakes shown next to its fields
// (422), or when it asks for what the user may not see (403, a message).
func (s *Handlers) pageFilter(c *gin.Context, data gin.H) (OutcomeFilter, int) {
	f, p := s.outcomeFilter(c)
	if p == nil {
		return f, http.StatusOK
	}
	if len(p.Errors) == 0 {
		data["Error"] = p.Detail
		return defaultFilter(c), p.Status
	}
	fe := map[string]string{}
	for _, e := range p.Errors {
		fe[e.Field] = e.Detail
	}
	data["Errors"], data["Failed"], data["Posted"] = map[string]map[string]string{"filter": fe}, "filter", c.Request.URL.Query()
	return defaultFilter(c), http.StatusUnprocessableEntity
}

func (s *Handlers) OutcomesPage(c *gin.Context) { s.reportPage(c, "outcomes.html", "Outcomes") }

func (s *Handlers) PrintPage(c *gin.Context) {
	s.reportPage(c, "outcomes_print.html", "Outcomes report")
}

func (s *Handlers) reportPage(c *gin.Context, tpl, title string) {
	data := gin.H{"Title": title, "Path": c.Request.URL.Path}
	f, status := s.pageFilter(c, data)
	rep, err := s.outcomes.Outcomes(c.Request.Context(), f, s.minCell)
	if err != nil {
		s.Respond(c, err)
		return
	}
	trend, err := s.outcomes.Trend(c.Request.Context(), f, c.Query("trend"), s.minCell)
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.filterChoices(c, data, f)
	data["Report"], data["Answers"], data["Trend"] = rep, answerLabels, trend
	data["IndicatorChart"], data["SurveyChart"], data["HospChart"] = indicatorChart(rep), surveyChart(rep), hospitalizationChart(rep)
	data["PartChart"], data["TrendChart"], data["MonthChart"] = participationChart(rep), trendChart(trend), monthsChart(rep)
	data["FilterText"] = filterText(data, f)
	s.Render(c, status, tpl, data)
}

func (s *Handlers) FidelityPage(c *gin.Context) {
	data := gin.H{"Title": "Fidelity"}
	f, status := s.pageFilter(c, data)
	rep, err := s.outcomes.Fidelity(c.Request.Context(), f, s.fidelity, s.minCell)
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.filterChoices(c, data, f)
	data["Fidelity"], data["FidelityChart"] = rep, fidelityChart(rep)
	s.Render(c, status, "fidelity.html", data)
}

var answerLabels = []string{"Definitely agree", "Somewhat agree", "Somewhat disagree", "Definitely disagree"}

// filterText says in words what a report covers, for the printed report.
// filterText says in words what a filter shows, naming its organization
// and site from the choices filterChoices put in data.
func filterText(data gin.H, f OutcomeFilter) string {
	var parts []string
	if orgs, _ := data["Orgs"].([]store.Organization); f.OrgID != "" {
		if i := slices.IndexFunc(orgs, func(o store.Organization) bool { return o.ID == f.OrgID }); i >= 0 {
			parts = append(parts, orgs[i].Name)
		}
	}
	if sites, _ := data["Sites"].([]store.Site); f.SiteID != "" {
		if i := slices.IndexFunc(sites, func(st store.Site) bool { return st.ID == f.SiteID }); i >= 0 {
			parts = append(parts, "site "+sites[i].Name)
		}
	}
	if f.OrgType != "" {
		parts = append(parts, store.OrgTypeLabels[f.OrgType])
	}
	if f.State != "" {
		parts = append(parts, "state "+f.State)
	}
	if f.Model != "" {
		parts = append(parts, ModelLabels[f.Model])
	}
	if f.Year != 0 {
		parts = append(parts, fmt.Sprintf("enrolled in %d", f.Year))
	}
	if len(parts) == 0 {
		return "All sites"
	}
	return strings.Join(parts, ", ")
}

// csvTables are the tables a CSV export can hold.
var csvTables = []string{"indicators", "paired", "statements", "hospitalizations", "services", "participation", "months", "sites", "fidelity"}

// exportCSV streams one table of the report as shown on the page:
// suppressed figures say so.
func (s *Handlers) ExportCSV(c *gin.Context) {
	table := strings.TrimSuffix(c.Param("table"), ".csv")
	if !slices.Contains(csvTables, table) || !strings.HasSuffix(c.Param("table"), ".csv") {
		s.Render(c, http.StatusNotFound, "error.html", gin.H{"Title": "No such table", "Message": "Exports are: " + strings.Join(csvTables, ".csv, ") + ".csv."})
		return
	}
	f, p := s.outcomeFilter(c)
	if p != nil {
		msg := p.Detail
		for _, e := range p.Errors {
			msg += " " + e.Field + " " + e.Detail + "."
		}
		s.Render(c, p.Status, "error.html", gin.H{"Title": "The filter is not valid", "Message": msg})
		return
	}
	ctx := c.Request.Context()
	var rows [][]string
	if table == "fidelity" {
		rep, err := s.outcomes.Fidelity(ctx, f, s.fidelity, s.minCell)
		if err != nil {
			s.Respond(c, err)
			return
		}
		rows = fidelityRows(rep)
	} else {
		rep, err := s.outcomes.Outcomes(ctx, f, s.minCell)
		if err != nil {
			s.Respond(c, err)
			return
		}
		rows = reportRows(rep, table)
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="outcomes-`+table+`.csv"`)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			s.Log.Warn("csv export", "err", err)
			return
		}
	}
	w.Flush()
}

func figs(fs ...Figure) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.String()
	}
	return out
}

// reportRows are a report table's rows, a header first.
func reportRows(rep OutcomeReport, table string) [][]string {
	var rows [][]string
	switch table {
	case "indicators":
		rows = append(rows, []string{"indicator", "number", "text", "first_n", "first_share_pct", "midpoint_n", "midpoint_share_pct", "closing_n", "closing_share_pct", "change_points"})
		for _, r := range rep.Indicators {
			rows = append(rows, append([]string{r.Code, numberText(r.Number), r.Text}, figs(r.FirstN, r.FirstShare, r.MidpointN, r.MidpointShare, r.ClosingN, r.ClosingShare, r.ChangePoints)...))
		}
	case "paired":
		rows = append(rows, []string{"indicator", "number", "text", "span", "paired_n", "both", "gained", "lost", "neither", "change_points", "ci95_lower", "ci95_upper", "mcnemar_p"})
		for _, r := range rep.Indicators {
			for _, sp := range []struct {
				name string
				f    PairedFigures
			}{{"first_to_midpoint", r.ToMidpoint}, {"first_to_closing", r.ToClosing}} {
				f := sp.f
				rows = append(rows, append([]string{r.Code, numberText(r.Number), r.Text, sp.name}, figs(f.N, f.Both, f.Gained, f.Lost, f.Neither, f.Points, f.Lower, f.Upper, f.P)...))
			}
		}
	case "statements":
		head := append([]string{"statement", "number", "text"}, contract.SurveyAnswers...)
		for _, a := range contract.SurveyAnswers {
			head = append(head, a+"_pct")
		}
		rows = append(rows, append(head, "n", "highest_share_pct"))
		for _, r := range rep.Statements {
			row := append(append([]string{r.Code, numberText(r.Number), r.Text}, figs(r.Answers...)...), figs(r.Shares...)...)
			rows = append(rows, append(row, figs(r.N, r.HighestShare)...))
		}
	case "hospitalizations":
		h := rep.Hospitalizations
		rows = append(rows, []string{"participants", "before_total_top_coded", "during_total", "hospitalized_during", "participant_years", "before_per_participant_year", "during_per_participant_year"},
			figs(h.Participants, h.Before, h.During, h.Hospitalized, h.ParticipantYears, h.BeforeRate, h.DuringRate))
	case "services":
		rows = append(rows, []string{"service", "change", "participants"})
		for _, r := range rep.Hospitalizations.Services {
			rows = append(rows, append([]string{r.Service, r.Kind}, figs(r.Participants)...))
		}
	case "participation":
		p := rep.Participation
		rows = append(rows, []string{"participants", "participant_months", "meetings_held", "meetings_attended", "attendance_pct", "journals_due", "journals_completed", "journal_completion_pct",
			"stipend_spent_dollars", "receipt_compliance_pct", "outings_stage1", "outings_stage2", "outings_stage3", "outings_stage4"},
			append(figs(p.Participants, p.ParticipantMonths, p.MeetingsHeld, p.MeetingsAttended, p.AttendanceShare, p.JournalsDue, p.JournalsCompleted, p.JournalShare, p.StipendSpent, p.ReceiptShare), figs(p.OutingsByStage...)...))
	case "months":
		rows = append(rows, []string{"program_month", "participants", "attendance_pct", "journal_completion_pct", "stipend_spent_dollars"})
		for _, m := range rep.Participation.Months {
			rows = append(rows, append([]string{strconv.Itoa(m.Month)}, figs(m.Participants, m.AttendanceShare, m.JournalShare, m.StipendSpent)...))
		}
	case "sites":
		rows = append(rows, []string{"site_id", "site", "organization", "state", "participants", "first_interviews", "closing_interviews", "surveys", "hospitalization_participants"})
		for _, r := range rep.Sites {
			rows = append(rows, append([]string{r.SiteID, r.Site, r.Organization, r.State}, figs(r.Participants, r.FirstInterviews, r.ClosingInterviews, r.Surveys, r.HospParticipants)...))
		}
	}
	return rows
}

func fidelityRows(rep FidelityReport) [][]string {
	rows := [][]string{{"site_id", "site", "organization", "state", "peer_partners_cohort_months", "group_size_share", "peer_partners_meetings_per_month",
		"social_explorations_meetings_per_month", "theme_share", "journal_completion_pct", "receipt_compliance_pct", "flagged_for_ta", "reasons"}}
	for _, f := range rep.Sites {
		rows = append(rows, []string{f.SiteID, f.Site, f.Organization, f.State, strconv.FormatInt(f.PPCohortMonths, 10), optText(f.GroupSizeShare), optText(f.PPMeetings),
			f.SEMeetings.String(), optText(f.ThemeShare), f.JournalShare.String(), f.ReceiptShare.String(), strconv.FormatBool(f.FlaggedForTA), strings.Join(f.Reasons, "; ")})
	}
	return rows
}

func numberText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func optText(v *float64) string {
	if v == nil {
		return "–"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}
