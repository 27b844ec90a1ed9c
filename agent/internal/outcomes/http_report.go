package outcomes

import (
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/evaluate"
	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/problem"
)

// Reports is the site's own year-end report for the Program Director:
// the page (printable on one page), its JSON and a CSV of each table.
type Reports struct{ *web.App }

// reportYear reads ?year=: the enrollment year asked for, or, without
// one, the newest the site has (this year when it has none).
func (s *Reports) reportYear(c *gin.Context) (int, bool) {
	v := c.Query("year")
	if v == "" {
		years, err := s.St.Outcomes.SiteReportYears(c.Request.Context())
		if err != nil || len(years) == 0 {
			return s.St.Now().Year(), true
		}
		return years[0], true
	}
	y, err := strconv.Atoi(v)
	if err != nil || len(c.QueryArray("year")) != 1 || y < 2000 || y > 2100 {
		return 0, false
	}
	return y, true
}

const badYear = "year must be one enrollment year, from 2000 to 2100"

// report answers the report of the year asked for, or false after
// answering the client's mistake.
func (s *Reports) report(c *gin.Context) (store.SiteReport, bool) {
	y, ok := s.reportYear(c)
	if !ok {
		if web.IsAPI(c) {
			problem.Write(c, problem.Validation("The report could not be made.", problem.FieldError{Field: "year", Detail: badYear}))
		} else {
			s.Render(c, http.StatusBadRequest, "error.html", gin.H{"Title": i18n.M("Site report"), "Message": i18n.M("Choose an enrollment year from 2000 to 2100.")})
		}
		return store.SiteReport{}, false
	}
	rep, err := s.St.Outcomes.SiteReport(c.Request.Context(), y)
	if err != nil {
		s.Respond(c, err)
		return rep, false
	}
	return rep, true
}

// SiteReportPage is the report as a page.
func (s *Reports) SiteReportPage(c *gin.Context) {
	rep, ok := s.report(c)
	if !ok {
		return
	}
	s.Render(c, http.StatusOK, "site_report.html", gin.H{"Title": fmt.Sprintf("Site report: enrolled in %d", rep.Year), "R": rep,
		"Rows": pomViews(rep), "Survey": surveyView(rep), "Hosp": hospView(rep.Hospital), "Part": partView(rep.Participation),
		"POMChart": pomChart(rep), "SurveyChart": surveyChart(rep), "HospChart": hospChart(rep.Hospital)})
}

// APISiteReport is the report as JSON.
func (s *Reports) APISiteReport(c *gin.Context) {
	rep, ok := s.report(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"year": rep.Year, "years": rep.Years, "release": rep.Release.Version, "as_of": rep.AsOf, "participants": rep.Participants,
		"pom": pomViews(rep), "survey": surveyView(rep), "hospitalizations": hospView(rep.Hospital), "participation": partView(rep.Participation)})
}

// SiteReportCSV is one table of the report as CSV: ?table=pom, survey,
// hospitalizations or participation.
func (s *Reports) SiteReportCSV(c *gin.Context) {
	table := c.Query("table")
	rows, ok := map[string]func(store.SiteReport) [][]string{"pom": pomCSV, "survey": surveyCSV, "hospitalizations": hospCSV, "participation": partCSV}[table]
	if !ok {
		s.Render(c, http.StatusBadRequest, "error.html", gin.H{"Title": i18n.M("Site report"), "Message": i18n.M("Choose a table: pom, survey, hospitalizations or participation.")})
		return
	}
	rep, ok := s.report(c)
	if !ok {
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="site-report-%d-%s.csv"`, rep.Year, table))
	w := csv.NewWriter(c.Writer)
	_ = w.WriteAll(rows(rep))
}

// pct is a share in percent with one decimal, nil when there is none.
func pct(x float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	v := math.Round(x*10) / 10
	return &v
}

func shareView(sh evaluate.Share) gin.H {
	p, ok := sh.Pct()
	return gin.H{"n": sh.N, "present": sh.Present, "share_pct": pct(p, ok), "not_asked": sh.NotAsked, "declined": sh.Declined}
}

func changeView(ch evaluate.Change) gin.H {
	v := gin.H{"n": ch.N(), "both": ch.Both, "gained": ch.Gained, "lost": ch.Lost, "neither": ch.Neither}
	if ch.OK {
		v["before_pct"], v["after_pct"], v["change_points"] = pct(ch.Before, true), pct(ch.After, true), pct(ch.Points, true)
		v["ci_lower_points"], v["ci_upper_points"], v["p"] = pct(ch.Lower, true), pct(ch.Upper, true), math.Round(ch.P*10000)/10000
	}
	return v
}

func pomViews(rep store.SiteReport) []gin.H {
	out := make([]gin.H, len(rep.POM))
	for i, r := range rep.POM {
		it, _ := rep.Release.Indicator(r.Code)
		out[i] = gin.H{"code": r.Code, "number": it.Number, "text": it.Text, "first": shareView(r.First), "midpoint": shareView(r.Mid), "closing": shareView(r.Closing),
			"first_to_midpoint": changeView(r.ToMid), "first_to_closing": changeView(r.ToClosing)}
	}
	return out
}

func surveyView(rep store.SiteReport) gin.H {
	rows := make([]gin.H, len(rep.Survey.Rows))
	for i, r := range rep.Survey.Rows {
		counts, shares := gin.H{}, gin.H{}
		for k, a := range contract.SurveyAnswers {
			p, ok := r.Pct(k)
			counts[a], shares[a] = r.Counts[k], pct(p, ok)
		}
		it := statementOf(rep, r.Code)
		hp, hok := r.Pct(0)
		rows[i] = gin.H{"code": r.Code, "number": it.Number, "text": it.Text, "n": r.N, "counts": counts, "shares_pct": shares, "highest_pct": pct(hp, hok)}
	}
	hp, ok := rep.Survey.Highest.Pct()
	return gin.H{"completed": rep.Survey.Completed, "statements": rows, "highest": gin.H{"answers": rep.Survey.Highest.N, "at_highest": rep.Survey.Highest.Present, "share_pct": pct(hp, ok)}}
}

func hospView(h evaluate.Hospitalizations) gin.H {
	v := gin.H{"participants": h.Participants, "before": h.Before, "during": h.During, "hospitalized_during": h.HospitalizedDuring, "months_enrolled": h.MonthsEnrolled,
		"rate_before_per_year": nil, "rate_during_per_year": nil}
	if h.RateBeforeOK {
		v["rate_before_per_year"] = math.Round(h.RateBefore*1000) / 1000
	}
	if h.RateDuringOK {
		v["rate_during_per_year"] = math.Round(h.RateDuring*1000) / 1000
	}
	return v
}

func partView(p evaluate.Participation) gin.H {
	t := p.Total
	a, aok := t.AttendancePct()
	j, jok := t.JournalPct()
	return gin.H{"participants": p.Participants, "meetings_held": t.MeetingsHeld, "meetings_attended": t.MeetingsAttended, "attendance_pct": pct(a, aok),
		"journals_due": t.JournalsDue, "journals_completed": t.JournalsCompleted, "journals_pct": pct(j, jok), "stipend_spent_cents": t.StipendSpentCents,
		"outings_by_stage": t.OutingsByStage[:], "outings": t.OutingsByStage[0] + t.OutingsByStage[1] + t.OutingsByStage[2] + t.OutingsByStage[3]}
}

func statementOf(rep store.SiteReport, code string) struct {
	Number int
	Text   string
} {
	for _, it := range rep.Release.Survey.Statements {
		if it.Code == code {
			return struct {
				Number int
				Text   string
			}{it.Number, it.Text}
		}
	}
	return struct {
		Number int
		Text   string
	}{}
}

// fig writes a figure for a CSV cell: "" when there is none.
func fig(v any) string {
	switch x := v.(type) {
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func pomCSV(rep store.SiteReport) [][]string {
	out := [][]string{{"code", "number", "indicator",
		"first_n", "first_present", "first_share_pct", "first_not_asked", "first_declined",
		"midpoint_n", "midpoint_present", "midpoint_share_pct", "midpoint_not_asked", "midpoint_declined",
		"closing_n", "closing_present", "closing_share_pct", "closing_not_asked", "closing_declined",
		"paired_first_closing_n", "gained", "lost", "before_pct", "after_pct", "change_points", "ci95_lower_points", "ci95_upper_points", "mcnemar_exact_p",
		"paired_first_midpoint_n", "gained_mid", "lost_mid", "before_mid_pct", "after_mid_pct", "change_mid_points", "ci95_lower_mid_points", "ci95_upper_mid_points", "mcnemar_exact_p_mid"}}
	for _, v := range pomViews(rep) {
		row := []string{fig(v["code"]), fig(v["number"]), fig(v["text"])}
		for _, tp := range []string{"first", "midpoint", "closing"} {
			s := v[tp].(gin.H)
			row = append(row, fig(s["n"]), fig(s["present"]), fig(s["share_pct"]), fig(s["not_asked"]), fig(s["declined"]))
		}
		for _, ch := range []string{"first_to_closing", "first_to_midpoint"} {
			c := v[ch].(gin.H)
			row = append(row, fig(c["n"]), fig(c["gained"]), fig(c["lost"]), fig(c["before_pct"]), fig(c["after_pct"]), fig(c["change_points"]),
				fig(c["ci_lower_points"]), fig(c["ci_upper_points"]), fig(c["p"]))
		}
		out = append(out, row)
	}
	return out
}

func surveyCSV(rep store.SiteReport) [][]string {
	head := []string{"code", "number", "statement", "n"}
	for _, a := range contract.SurveyAnswers {
		head = append(head, a, a+"_pct")
	}
	out := [][]string{append(head, "highest_pct")}
	for _, v := range surveyView(rep)["statements"].([]gin.H) {
		row := []string{fig(v["code"]), fig(v["number"]), fig(v["text"]), fig(v["n"])}
		for _, a := range contract.SurveyAnswers {
			row = append(row, fig(v["counts"].(gin.H)[a]), fig(v["shares_pct"].(gin.H)[a]))
		}
		out = append(out, append(row, fig(v["highest_pct"])))
	}
	last := make([]string, len(out[0]))
	last[0], last[2], last[3] = "completed", fmt.Sprintf("%d completed the survey", rep.Survey.Completed), fig(rep.Survey.Completed)
	return append(out, last)
}

func hospCSV(rep store.SiteReport) [][]string {
	v := hospView(rep.Hospital)
	out := [][]string{{"figure", "value"}}
	for _, k := range []string{"participants", "before", "during", "hospitalized_during", "months_enrolled", "rate_before_per_year", "rate_during_per_year"} {
		out = append(out, []string{k, fig(v[k])})
	}
	return out
}

func partCSV(rep store.SiteReport) [][]string {
	out := [][]string{{"program_month", "participants", "meetings_held", "meetings_attended", "attendance_pct", "journals_due", "journals_completed", "journals_pct",
		"stipend_spent", "outings_stage1", "outings_stage2", "outings_stage3", "outings_stage4"}}
	add := func(label string, t evaluate.MonthTotals) {
		a, aok := t.AttendancePct()
		j, jok := t.JournalPct()
		row := []string{label, fig(t.Participants), fig(t.MeetingsHeld), fig(t.MeetingsAttended), fig(pct(a, aok)), fig(t.JournalsDue), fig(t.JournalsCompleted),
			fig(pct(j, jok)), fmt.Sprintf("%d.%02d", t.StipendSpentCents/100, t.StipendSpentCents%100)}
		for _, n := range t.OutingsByStage {
			row = append(row, fig(n))
		}
		out = append(out, row)
	}
	for _, m := range rep.Participation.ByMonth {
		add(fmt.Sprint(m.ProgramMonth), m)
	}
	add("total", rep.Participation.Total)
	return out
}
