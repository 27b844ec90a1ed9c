package journals

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
)

// Journals are the weekly guided journal as staff see it (whoever
// may see the participant enters and reviews it; every access is
// audited), and the participant's own journal access, which the director
// and the coach who leads the participant's cohort issue and revoke.
type Journals struct{ *web.App }

// journalNames maps the accounts that entered and reviewed entries to
// names; a participant who entered their own is named as such.
func journalNames(c *gin.Context, st *store.Store, es []store.JournalEntry) (map[string]string, error) {
	var ids []string
	self := map[string]bool{}
	for _, e := range es {
		if e.EnteredByKind == store.EnteredByParticipant {
			self[e.EnteredBy] = true
		} else {
			ids = append(ids, e.EnteredBy)
		}
		if e.ReviewedBy != "" {
			ids = append(ids, e.ReviewedBy)
		}
	}
	names, err := st.Journals.UserNames(c.Request.Context(), ids)
	if err != nil {
		return nil, err
	}
	for id := range self {
		p, err := st.Participants.Participant(c.Request.Context(), id)
		if err != nil {
			return nil, err
		}
		names[id] = p.FirstName + " " + p.LastName + " (the participant)"
	}
	return names, nil
}

func journalEntryJSON(e store.JournalEntry, names map[string]string) gin.H {
	return gin.H{"id": e.ID, "week_start": e.WeekStart, "answers": e.AnswersOf(), "entered_by": e.EnteredBy, "entered_by_kind": e.EnteredByKind, "entered_by_name": names[e.EnteredBy],
		"entered_at": e.EnteredAt, "reviewed_by": e.ReviewedBy, "reviewed_by_name": names[e.ReviewedBy], "reviewed_at": e.ReviewedAt}
}

func journalCompletionJSON(j rules.JournalCompletion) gin.H {
	return gin.H{"weeks": j.Weeks, "entered": j.Entered, "rate": j.Rate, "percent": j.Percent()}
}

// APIJournals answers a participant's journal entries and completion rate.
func (s *Journals) APIJournals(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := s.St.Participants.Participant(ctx, c.Param("id"))
	if err != nil {
		s.Respond(c, err)
		return
	}
	es, err := s.St.Journals.Journals(ctx, p.ID)
	if err != nil {
		s.Respond(c, err)
		return
	}
	j, err := s.St.Journals.JournalCompletion(ctx, p)
	if err != nil {
		s.Respond(c, err)
		return
	}
	names, err := journalNames(c, s.St, es)
	if err != nil {
		s.Respond(c, err)
		return
	}
	out := make([]gin.H, len(es))
	for i, e := range es {
		out[i] = journalEntryJSON(e, names)
	}
	c.JSON(http.StatusOK, gin.H{"completion": journalCompletionJSON(j), "entries": out})
}

// APISaveJournal enters (or corrects) the journal of the week starting on
// :week.
func (s *Journals) APISaveJournal(c *gin.Context) {
	var in struct {
		Answers map[string]string `json:"answers"`
	}
	if !web.BindJSON(c, &in) {
		return
	}
	e, err := s.St.Journals.SaveJournal(c.Request.Context(), c.Param("id"), c.Param("week"), web.CurrentUser(c).ID, in.Answers)
	if err != nil {
		s.Respond(c, err)
		return
	}
	names, err := journalNames(c, s.St, []store.JournalEntry{e})
	s.Reply(c, http.StatusOK, journalEntryJSON(e, names), err)
}

func (s *Journals) APIReviewJournal(c *gin.Context) {
	e, err := s.St.Journals.ReviewJournal(c.Request.Context(), c.Param("id"), c.Param("week"), web.CurrentUser(c).ID)
	if errors.Is(err, store.ErrNoJournal) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "There is no journal entry for this week."))
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	names, err := journalNames(c, s.St, []store.JournalEntry{e})
	s.Reply(c, http.StatusOK, journalEntryJSON(e, names), err)
}

// journalAnswer is one answer as the participant's page shows it.
type journalAnswer struct{ Prompt, Text string }

// journalRow is an entry as the participant's page shows it.
type journalRow struct {
	Week, EnteredBy, ReviewedBy string
	BySelf                      bool
	EnteredAt                   time.Time
	ReviewedAt                  *time.Time
	Answers                     []journalAnswer
}

// journalForm is the journal form's state.
type journalForm struct {
	Week    string
	Answers map[string]string
}

// journalSection adds the guided journal (completion rate, entries, the
// form for this week and the review buttons) to a participant's page.
func (s *Journals) JournalsSection(c *gin.Context, p store.Participant, data gin.H) error {
	ctx := c.Request.Context()
	es, err := s.St.Journals.Journals(ctx, p.ID)
	if err != nil {
		return err
	}
	j, err := s.St.Journals.JournalCompletion(ctx, p)
	if err != nil {
		return err
	}
	names, err := journalNames(c, s.St, es)
	if err != nil {
		return err
	}
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	rows := make([]journalRow, len(es))
	for i, e := range es {
		rows[i] = journalRow{Week: e.WeekStart, EnteredBy: names[e.EnteredBy], ReviewedBy: names[e.ReviewedBy], EnteredAt: e.EnteredAt, ReviewedAt: e.ReviewedAt,
			BySelf:  e.EnteredByKind == store.EnteredByParticipant,
			Answers: orderedJournalAnswers(rel, e.AnswersOf())}
	}
	thisWeek := rules.WeekStart(s.St.Now()).Format("2006-01-02")
	data["Journals"], data["JournalCompletion"], data["JournalPrompts"], data["JournalWeek"] = rows, j, rel.JournalPrompts, thisWeek
	data["JournalSaved"] = c.Query("journal") == "saved"
	if err := s.journalAccessSection(c, p, data); err != nil {
		return err
	}
	if _, ok := data["JournalForm"]; !ok {
		// The form opens on this week, or on the week whose entry is being
		// corrected, with the entry's answers.
		f := journalForm{Week: thisWeek, Answers: map[string]string{}}
		for _, e := range es {
			if e.WeekStart == c.Query("journal_week") {
				f.Week = e.WeekStart
			}
		}
		for _, e := range es {
			if e.WeekStart == f.Week {
				f.Answers = e.AnswersOf()
			}
		}
		data["JournalForm"] = f
	}
	return nil
}

// orderedJournalAnswers puts answers in the order of the release's prompts, with
// any answer to a prompt the release no longer has at the end.
func orderedJournalAnswers(rel program.Release, m map[string]string) []journalAnswer {
	var out []journalAnswer
	seen := map[string]bool{}
	for _, p := range rel.JournalPrompts {
		if t, ok := m[p.Code]; ok {
			out = append(out, journalAnswer{p.Text, t})
			seen[p.Code] = true
		}
	}
	var rest []string
	for code := range m {
		if !seen[code] {
			rest = append(rest, code)
		}
	}
	sort.Strings(rest)
	for _, code := range rest {
		out = append(out, journalAnswer{code, m[code]})
	}
	return out
}

// JournalSubmit enters the journal from the participant's page.
func (s *Journals) JournalSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	f := journalForm{Week: strings.TrimSpace(c.PostForm("week_start")), Answers: map[string]string{}}
	for _, p := range rel.JournalPrompts {
		f.Answers[p.Code] = c.PostForm("a_" + p.Code)
	}
	if _, err := s.St.Journals.SaveJournal(ctx, c.Param("id"), f.Week, web.CurrentUser(c).ID, f.Answers); err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.ShowParticipant(c, http.StatusUnprocessableEntity, gin.H{"JournalErrors": fe, "JournalErrorList": journalErrorList(rel, fe), "JournalForm": f})
		return
	}
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabJournals, "journal=saved", "journals"))
}

// journalErrorList writes the journal form's errors for people.
func journalErrorList(rel program.Release, fe map[string]string) []string {
	labels := map[string]string{"week_start": "Week", "answers": "Answers", "participant": "Participant"}
	for _, p := range rel.JournalPrompts {
		labels["answers."+p.Code] = "\u201c" + p.Text + "\u201d"
	}
	var out []string
	for field, msg := range fe {
		label, ok := labels[field]
		if !ok {
			label = field
		}
		out = append(out, label+": "+msg)
	}
	sort.Strings(out)
	return out
}

// JournalReviewSubmit marks a week's entry reviewed from the participant's
// page.
func (s *Journals) JournalReviewSubmit(c *gin.Context) {
	_, err := s.St.Journals.ReviewJournal(c.Request.Context(), c.Param("id"), c.Param("week"), web.CurrentUser(c).ID)
	if errors.Is(err, store.ErrNoJournal) {
		s.ShowParticipant(c, http.StatusNotFound, gin.H{"JournalErrorList": []string{"There is no journal entry for the week of " + c.Param("week") + " to review."}})
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabJournals, "", "journals"))
}

// journalAccessSection adds the participant's journal access (its state,
// and the buttons for whoever may issue it) to the staff's journal section.
func (s *Journals) journalAccessSection(c *gin.Context, p store.Participant, data gin.H) error {
	ctx := c.Request.Context()
	a, err := s.St.Journals.JournalAccessOf(ctx, p.ID)
	if err != nil {
		return err
	}
	lead, err := s.St.Outings.LeadsParticipant(ctx, web.CurrentUser(c), p.ID)
	if err != nil {
		return err
	}
	data["JournalAccess"], data["CanIssueJournalAccess"] = a, lead && p.WithdrawnAt == nil
	v, ok := s.TakeShown(c, issuedKey(p.ID))
	if ok {
		// Shown only while it is the code that works: not when another
		// was given since (in parallel, or by someone else).
		if ok, err = s.St.Journals.StartCodeWaiting(ctx, p.ID, v.(issuedAccess).Code); err != nil {
			return err
		}
	}
	if ok {
		data["JournalAccessIssued"] = v
	} else if c.Query("journal_access") == "issued" {
		// The page after the form, shown again: the code is not.
		data["JournalAccessShownBefore"] = true
	}
	return nil
}

func (s *Journals) APIJournalAccess(c *gin.Context) {
	a, err := s.St.Journals.JournalAccessOf(c.Request.Context(), c.Param("id"))
	s.Reply(c, http.StatusOK, a, err)
}

func (s *Journals) APIIssueJournalAccess(c *gin.Context) {
	a, code, err := s.St.Journals.IssueJournalAccess(c.Request.Context(), c.Param("id"), web.CurrentUser(c).ID)
	s.Reply(c, http.StatusCreated, gin.H{"access": a, "start_code": code, "start_page": "/journal/start"}, err)
}

func (s *Journals) APIRevokeJournalAccess(c *gin.Context) {
	if err := s.St.Journals.RevokeJournalAccess(c.Request.Context(), c.Param("id")); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "This participant has no journal access to revoke."))
			return
		}
		s.Respond(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// IssueJournalAccessSubmit issues the access, keeps the sign-in name and
// the start code to be shown once to this staff session, and sends the
// browser to the participant's journals, which show them (Post/Redirect/
// Get: reloading that page shows them no more and issues nothing).
func (s *Journals) IssueJournalAccessSubmit(c *gin.Context) {
	a, code, err := s.St.Journals.IssueJournalAccess(c.Request.Context(), c.Param("id"), web.CurrentUser(c).ID)
	if err != nil {
		s.ParticipantFormErr(c, err, "JournalErrors", gin.H{"JournalErrorList": []string{"Journal access could not be given: the participant has withdrawn."}})
		return
	}
	var expires time.Time
	if a.CodeExpiresAt != nil {
		expires = *a.CodeExpiresAt
	}
	s.KeepShown(c, issuedKey(c.Param("id")), issuedAccess{Login: a.Login, Code: code, Expires: s.Clock.When(expires)})
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabJournals, "journal_access=issued", "journal-access"))
}

// issuedAccess is what the page shows once after journal access is given.
type issuedAccess struct{ Login, Code, Expires string }

// issuedKey names a participant's new start code among the secrets kept to
// be shown once.
func issuedKey(participantID string) string { return "journal-access|" + participantID }

func (s *Journals) RevokeJournalAccessSubmit(c *gin.Context) {
	if err := s.St.Journals.RevokeJournalAccess(c.Request.Context(), c.Param("id")); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.Respond(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabJournals, "", "journal-access"))
}
