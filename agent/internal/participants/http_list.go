package participants

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
	"github.com/itsmylife/iml/pkg/textx"
)

// MaxSearch is the longest search the list reads, in characters.
const MaxSearch = 100

// Sorts are the orders the list offers.
var Sorts = []string{"name", "enrolled", "month"}

// ListForm is the list's GET form as it was sent (and is shown again):
// the search, the filters and the order.
type ListForm struct {
	Q, Status, Coach, Cohort, Model, Due, Sort string
}

// listProblem is a part of the form the list could not use: the field
// and what the person is told.
type listProblem struct{ Field, Message string }

// listChoices are what the filters may be set to for a user.
type listChoices struct {
	coaches []store.Coach
	cohorts []store.Cohort
}

// readListForm reads the list's query: a search cut to MaxSearch
// characters and cleared of characters nobody types, and filters that
// name nothing known dropped; each such change is a problem.
func readListForm(c *gin.Context, ch listChoices) (ListForm, store.RosterFilter, []listProblem) {
	f := ListForm{Q: c.Query("q"), Status: c.Query("status"), Coach: c.Query("coach"), Cohort: c.Query("cohort"),
		Model: c.Query("model"), Due: c.Query("due"), Sort: c.Query("sort")}
	var probs []listProblem
	if !textx.Clean(f.Q) || !utf8.ValidString(f.Q) {
		f.Q = strings.Map(func(r rune) rune {
			if r == utf8.RuneError || !textx.Clean(string(r)) {
				return -1
			}
			return r
		}, strings.ToValidUTF8(f.Q, ""))
		probs = append(probs, listProblem{"q", "The search held characters that cannot be typed; they were left out."})
	}
	if utf8.RuneCountInString(f.Q) > MaxSearch {
		f.Q = string([]rune(f.Q)[:MaxSearch])
		probs = append(probs, listProblem{"q", "The search is at most 100 characters; only the first 100 were used."})
	}
	f.Q = strings.TrimSpace(f.Q)
	drop := func(v *string, ok bool, field, msg string) {
		if *v != "" && !ok {
			*v = ""
			probs = append(probs, listProblem{field, msg})
		}
	}
	drop(&f.Status, slices.Contains(rules.Statuses, f.Status), "status", "That status is not one the list knows: every status is shown.")
	drop(&f.Coach, slices.ContainsFunc(ch.coaches, func(x store.Coach) bool { return x.ID == f.Coach }), "coach", "There is no such coach: participants of every coach are shown.")
	drop(&f.Cohort, slices.ContainsFunc(ch.cohorts, func(x store.Cohort) bool { return x.ID == f.Cohort }), "cohort", "There is no such cohort among yours: every cohort is shown.")
	drop(&f.Model, f.Model == program.ModelPeerPartners || f.Model == program.ModelSocialExplorations, "model", "That program model is not known: both models are shown.")
	drop(&f.Due, slices.Contains(store.ParticipantDueKinds, f.Due), "due", "That due item is not one the list knows: everyone is shown.")
	drop(&f.Sort, slices.Contains(Sorts, f.Sort), "sort", "That order is not known: the list is by name.")
	return f, store.RosterFilter{Q: f.Q, Status: f.Status, CoachID: f.Coach, CohortID: f.Cohort, Model: f.Model, Sort: f.Sort}, probs
}

// roster reads the list a user asked for: the choices of the filters, the
// form as used, the rows and the problems with the query.
func (s *Handlers) roster(c *gin.Context, full bool) (listChoices, ListForm, []store.RosterRow, []listProblem, error) {
	ch, form, filter, probs, err := s.listQuery(c)
	if err != nil {
		return ch, form, nil, probs, err
	}
	filter.Full = full
	rows, err := s.rosterRows(c, form, filter)
	return ch, form, rows, probs, err
}

// listQuery reads the list's query: the choices of the filters, the form
// as used, the filter it asks for and the problems with it.
func (s *Handlers) listQuery(c *gin.Context) (listChoices, ListForm, store.RosterFilter, []listProblem, error) {
	ctx := c.Request.Context()
	var ch listChoices
	var err error
	if ch.coaches, err = s.St.Coaches.Coaches(ctx); err != nil {
		return ch, ListForm{}, store.RosterFilter{}, nil, err
	}
	own, err := s.OwnCoachID(c)
	if err != nil {
		return ch, ListForm{}, store.RosterFilter{}, nil, err
	}
	if ch.cohorts, err = s.St.Cohorts.Cohorts(ctx, own); err != nil {
		return ch, ListForm{}, store.RosterFilter{}, nil, err
	}
	form, filter, probs := readListForm(c, ch)
	return ch, form, filter, probs, nil
}

// rosterRows reads the rows of the list for the form's filter (and its
// due item, from the user's home).
func (s *Handlers) rosterRows(c *gin.Context, form ListForm, filter store.RosterFilter) ([]store.RosterRow, error) {
	ctx := c.Request.Context()
	u := web.CurrentUser(c)
	if form.Due != "" {
		home, err := s.St.Home.SiteHome(ctx, u)
		if err != nil {
			return nil, err
		}
		filter.Only = map[string]bool{}
		for _, it := range home.Items[form.Due] {
			filter.Only[it.ParticipantID] = true
		}
	}
	return s.St.Home.Roster(ctx, u, filter)
}

// rosterView is a row of the list as the API answers it: the participant
// with where they stand.
func rosterView(r store.RosterRow) gin.H {
	v := participantView(r.Participant)
	v["status"], v["program_month"], v["year_ends_on"] = r.Status, r.ProgramMonth, r.YearEnd
	v["cohort_id"], v["cohort_name"], v["model"], v["lead_coach_id"] = r.CohortID, r.CohortName, r.Model, r.LeadCoachID
	return v
}

func (s *Handlers) APIParticipants(c *gin.Context) {
	_, _, rows, probs, err := s.roster(c, true)
	if err != nil {
		s.Respond(c, err)
		return
	}
	if len(probs) > 0 {
		fe := make([]problem.FieldError, len(probs))
		for i, p := range probs {
			fe[i] = problem.FieldError{Field: p.Field, Detail: p.Message}
		}
		problem.Write(c, problem.Validation("Some of the list's parameters cannot be used.", fe...))
		return
	}
	out := make([]gin.H, len(rows))
	for i, r := range rows {
		out[i] = rosterView(r)
	}
	c.JSON(http.StatusOK, out)
}

// listRows writes the rows of the list page's table. They are written
// here rather than by the template because a site lists hundreds of
// participants and html/template's escaping calls, several per cell, cost
// more than the rest of the page; every value is escaped, and a date is
// written in words (day).
func listRows(rows []store.RosterRow, coaches map[string]string, day func(string) string) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 300)
	esc := template.HTMLEscapeString
	orNone := func(v string) string {
		if v == "" {
			return `<span class="muted">none</span>`
		}
		return esc(v)
	}
	for _, r := range rows {
		badge := ""
		switch r.Status {
		case rules.StatusActive:
			badge = " ok"
		case rules.StatusWithdrawn, rules.StatusEndedEarly:
			badge = " bad"
		}
		month := "not started"
		switch {
		case r.Status == rules.StatusCompleted:
			month = "year ended " + day(r.YearEnd)
		case r.ProgramMonth > 0:
			month = "month " + strconv.Itoa(r.ProgramMonth) + " of 12"
		}
		b.WriteString(`<tr><td><a href="/participants/` + url.PathEscape(r.ID) + `">` + esc(r.LastName+", "+r.FirstName) + "</a></td>\n")
		b.WriteString(`<td><span class="badge` + badge + `">` + esc(rules.StatusLabel(r.Status)) + "</span></td>\n")
		b.WriteString("<td>" + esc(month) + "</td>\n")
		b.WriteString(`<td class="date">` + esc(day(r.EnrolledOn)) + "</td><td>" + orNone(coaches[r.LeadCoachID]) + "</td><td>" + orNone(r.CohortName) + "</td></tr>\n")
	}
	return template.HTML(b.String()) //nolint:gosec // every value above is escaped
}

// showParticipants draws the list page (with the intake form) for the
// list's query. The list (the search form, its problems and the table)
// is kept as drawn (store.Kept) for the user and the query: drawn again
// only after a change to the data, or the next minute.
func (s *Handlers) showParticipants(c *gin.Context, status int, data gin.H) {
	u := web.CurrentUser(c)
	key := fmt.Sprintf("participants|%q", []string{u.ID, u.Role, c.Request.URL.RawQuery})
	// Everything is read in here, after the version is taken, so that no
	// part of the list is older than the version.
	list, err := store.Kept(s.St, key, func() (template.HTML, error) {
		ch, form, filter, probs, err := s.listQuery(c)
		if err != nil {
			return "", err
		}
		rows, err := s.rosterRows(c, form, filter)
		if err != nil {
			return "", err
		}
		names := map[string]string{}
		for _, co := range ch.coaches {
			names[co.ID] = co.Name
		}
		var msgs []string
		for _, p := range probs {
			msgs = append(msgs, p.Message)
		}
		return s.Draw("participants-list", gin.H{"Count": len(rows), "Rows": listRows(rows, names, s.Clock.DayOf),
			"Coaches": ch.coaches, "Cohorts": ch.cohorts, "List": form, "ListProblems": msgs,
			"Filtered": form != (ListForm{}) && form != ListForm{Sort: "name"},
			"Statuses": web.Options(rules.Statuses, rules.StatusLabel, form.Status),
			"Models":   web.Options([]string{program.ModelPeerPartners, program.ModelSocialExplorations}, modelLabel, form.Model),
			"DueKinds": web.Options(store.ParticipantDueKinds, DueLabel, form.Due),
			"Sorts":    web.Options(Sorts, sortLabel, form.Sort)})
	})
	if err != nil {
		s.Respond(c, err)
		return
	}
	// The intake form's coaches.
	coaches, err := s.St.Coaches.Coaches(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	data["Title"], data["ParticipantList"], data["Coaches"] = "Participants", list, coaches
	if _, ok := data["Form"]; !ok {
		data["Form"] = store.ParticipantInput{}
	}
	s.Render(c, status, "participants.html", data)
}

func modelLabel(m string) string {
	if m == program.ModelSocialExplorations {
		return "Social Explorations (one-to-one)"
	}
	return "Peer Partners (group)"
}

func sortLabel(s string) string {
	switch s {
	case "enrolled":
		return "Enrollment date, newest first"
	case "month":
		return "Program month, furthest first"
	default:
		return "Name"
	}
}

// DueLabel names a kind of due item for people.
func DueLabel(kind string) string {
	switch kind {
	case store.DueInterview:
		return "POM interview due"
	case store.DueJournal:
		return "Journal missing last week"
	case store.DueStipend:
		return "Stipend waiting for approval"
	case store.DueReceipts:
		return "Receipts missing"
	case store.DueYearEnd:
		return "Program year ends within 30 days"
	case store.DueMeeting:
		return "Cohorts without a meeting this month"
	case store.DuePair:
		return "Peer pairs without a joint outing this month"
	case store.DueCertification:
		return "Coach certifications to renew"
	case store.DueTAAnswer:
		return "TA answers not read yet"
	}
	return kind
}
