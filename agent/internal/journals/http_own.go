package journals

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/program"
)

// OwnJournal are a participant's own journal. The coach issues a
// personal access on the participant's page (a sign-in name and a one-time
// start code); the participant opens /journal/start once to choose a PIN,
// then signs in at /journal/login and fills in their weeks at /journal.
// Their session has its own cookie and table: no staff page or API
// accepts it, and the participant pages show only the signed-in
// participant's own journal.
type OwnJournal struct{ *web.App }

// RequireParticipant lets through a signed-in participant (checking the
// CSRF token of a form) and sends anyone else to the participant sign-in.
func (s *OwnJournal) RequireParticipant(c *gin.Context) {
	tok, _ := c.Cookie(participantCookie)
	p, sess, err := s.St.Journals.ParticipantBySession(c.Request.Context(), tok)
	if errors.Is(err, store.ErrNotFound) {
		c.Redirect(http.StatusSeeOther, "/journal/login")
		c.Abort()
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	if !auth.Safe(c.Request.Method) && !auth.CSRFValid(c, sess.CSRF) {
		s.RenderOwn(c, http.StatusForbidden, "error.html", gin.H{"Title": i18n.M("Form expired"), "Message": i18n.M("This form is out of date. Go back, reload the page and try again.")})
		c.Abort()
		return
	}
	c.Set(web.CtxParticipant, p)
	c.Set(web.CtxPartSession, sess)
	c.Next()
}

func (s *OwnJournal) OwnJournalStartPage(c *gin.Context) {
	s.RenderOwn(c, http.StatusOK, "journal_start.html", s.SigninForm(c, gin.H{"Title": i18n.M("Start your journal")}))
}

func (s *OwnJournal) OwnJournalStartSubmit(c *gin.Context) {
	login := c.PostForm("login")
	data := gin.H{"Title": "Start your journal", "Login": login}
	if !s.SigninFormValid(c, "journal_start.html", data) {
		return
	}
	s.SigninForm(c, data)
	if c.PostForm("pin") != c.PostForm("pin2") {
		data["Errors"] = map[string]string{"pin2": web.T(c, "Type the same PIN twice: the two PINs differ.")}
		s.RenderOwn(c, http.StatusUnprocessableEntity, "journal_start.html", data)
		return
	}
	_, tok, err := s.St.Journals.StartJournalAccess(c.Request.Context(), login, c.PostForm("code"), c.PostForm("pin"))
	var ve *store.ValidationError
	s.ownSignedIn(c, "journal_start.html", data, tok, "/journal?started=1", err, map[error]refusal{
		store.ErrBadStartCode: {"code", web.T(c, "The sign-in name or the start code is wrong, or the code has expired or was already used. Ask your coach for a new code.")},
	}, errors.As(err, &ve))
}

// refusal is a sign-in's known refusal: the field its message is shown
// next to, and the message.
type refusal struct{ field, msg string }

// ownSignedIn finishes a participant's sign-in: with a session, it sets
// the cookie and goes on to next; with a known refusal (wrong, a key of
// refusals; a PIN that does not do, badPIN) it shows the form again with
// the message next to its field; locked, with the message at the top;
// anything else fails.
func (s *OwnJournal) ownSignedIn(c *gin.Context, page string, data gin.H, tok, next string, err error, refusals map[error]refusal, badPIN bool) {
	status := 0
	errs := map[string]string{}
	for e, r := range refusals {
		if errors.Is(err, e) {
			status, errs[r.field] = http.StatusUnauthorized, r.msg
		}
	}
	switch {
	case badPIN:
		status, errs["pin"] = http.StatusUnprocessableEntity, web.T(c, "Choose a PIN of at least 6 characters (digits, letters or both).")
	case errors.Is(err, store.ErrLocked):
		status, data["Error"] = http.StatusTooManyRequests, web.T(c, "Too many wrong tries. Your journal is locked for 15 minutes.")
		c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.St.Now())))
	case status == 0 && err != nil:
		s.Respond(c, err)
		return
	}
	if status != 0 {
		if len(errs) > 0 {
			data["Errors"] = errs
		}
		s.RenderOwn(c, status, page, data)
		return
	}
	auth.SetCookie(c, participantCookie, tok, int(store.ParticipantSessionTTL.Seconds()), s.SecureCookies)
	c.Redirect(http.StatusSeeOther, next)
}

func (s *OwnJournal) OwnJournalLoginPage(c *gin.Context) {
	s.RenderOwn(c, http.StatusOK, "journal_login.html", s.SigninForm(c, gin.H{"Title": i18n.M("Sign in to your journal")}))
}

func (s *OwnJournal) OwnJournalLoginSubmit(c *gin.Context) {
	login := c.PostForm("login")
	data := gin.H{"Title": "Sign in to your journal", "Login": login}
	if !s.SigninFormValid(c, "journal_login.html", data) {
		return
	}
	s.SigninForm(c, data)
	_, tok, err := s.St.Journals.ParticipantLogin(c.Request.Context(), login, c.PostForm("pin"))
	s.ownSignedIn(c, "journal_login.html", data, tok, "/journal", err, map[error]refusal{store.ErrBadParticipantLogin: {"pin", web.T(c, "The sign-in name or the PIN is wrong: check your sign-in name and type your PIN again.")}}, false)
}

func (s *OwnJournal) OwnJournalLogout(c *gin.Context) {
	tok, _ := c.Cookie(participantCookie)
	if err := s.St.Journals.ParticipantLogout(c.Request.Context(), tok); err != nil {
		s.Respond(c, err)
		return
	}
	auth.SetCookie(c, participantCookie, "", -1, s.SecureCookies)
	c.Redirect(http.StatusSeeOther, "/journal/login")
}

// ownWeek is one week on the participant's journal page.
type ownWeek struct {
	Week, Label, State string
	Editable           bool
	Answers            []journalAnswer
}

func (s *OwnJournal) OwnJournalPage(c *gin.Context) {
	s.showOwnJournal(c, http.StatusOK, gin.H{})
}

// showOwnJournal lists the participant's recent weeks (what they wrote,
// whether the coach has reviewed it) and the form for one week: the week
// asked for, else this week.
func (s *OwnJournal) showOwnJournal(c *gin.Context, status int, data gin.H) {
	if err := s.ownJournalData(c, data); err != nil {
		s.Respond(c, err)
		return
	}
	s.RenderOwn(c, status, "journal_own.html", data)
}

// ownJournalData fills the participant's journal page: their weeks and
// the form's.
func (s *OwnJournal) ownJournalData(c *gin.Context, data gin.H) error {
	ctx := c.Request.Context()
	p := c.MustGet(web.CtxParticipant).(store.Participant)
	if err := s.St.Journals.AuditParticipant(ctx, p, "view_own_journal", "GET /journal"); err != nil {
		return err
	}
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	es, err := s.St.Journals.Journals(ctx, p.ID)
	if err != nil {
		return err
	}
	names, err := journalNames(c, s.St, es)
	if err != nil {
		return err
	}
	byWeek := map[string]store.JournalEntry{}
	for _, e := range es {
		byWeek[e.WeekStart] = e
	}
	enrolled, _ := time.Parse(time.DateOnly, p.EnrolledOn)
	first := rules.WeekStart(enrolled)
	if first.Before(enrolled) {
		first = first.AddDate(0, 0, 7)
	}
	lang, now := web.Lang(c), s.St.Now().In(s.Clock.Loc)
	var weeks []ownWeek
	for w := rules.WeekStart(s.St.Now()); !w.Before(first) && len(weeks) < ownJournalWeeks; w = w.AddDate(0, 0, -7) {
		key := w.Format(time.DateOnly)
		ow := ownWeek{Week: key, Label: i18n.Date(lang, w, now), State: web.T(c, "Not written yet"), Editable: true}
		if e, ok := byWeek[key]; ok {
			ow.Answers, ow.Editable = orderedJournalAnswers(rel, e.AnswersOf()), e.OwnEntryEditable()
			switch {
			case e.ReviewedAt != nil:
				ow.State = web.T(c, "Read by %s on %s", names[e.ReviewedBy], i18n.DayMonth(lang, e.ReviewedAt.In(s.Clock.Loc)))
			case e.EnteredByKind == store.EnteredByParticipant:
				ow.State = web.T(c, "Written by you; waiting for your coach to read it")
			default:
				ow.State = web.T(c, "Written with your coach; waiting for review")
			}
		}
		weeks = append(weeks, ow)
	}
	f, ok := data["JournalForm"].(journalForm)
	if !ok {
		f = journalForm{Week: c.Query("week"), Answers: map[string]string{}}
		// Without a week asked for, the form opens on the newest week the
		// participant may still write (one their coach entered or read is
		// not theirs to change).
		for i := 0; f.Week == "" && i < len(weeks); i++ {
			if weeks[i].Editable {
				f.Week = weeks[i].Week
			}
		}
		if e, ok := byWeek[f.Week]; ok {
			f.Answers = e.AnswersOf()
		}
	}
	var form *ownWeek
	for i := range weeks {
		if weeks[i].Week == f.Week && weeks[i].Editable {
			form = &weeks[i]
		}
	}
	data["Title"], data["Weeks"], data["Form"], data["FormWeek"], data["Prompts"] = i18n.M("My journal"), weeks, f, form, rel.JournalPrompts
	data["Saved"], data["Started"] = c.Query("saved"), c.Query("started") != ""
	if saved, err := time.Parse(time.DateOnly, c.Query("saved")); err == nil {
		data["Saved"] = i18n.Date(lang, saved, now)
	}
	return nil
}

func (s *OwnJournal) OwnJournalSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	p := c.MustGet(web.CtxParticipant).(store.Participant)
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	f := journalForm{Week: strings.TrimSpace(c.PostForm("week_start")), Answers: map[string]string{}}
	for _, pr := range rel.JournalPrompts {
		f.Answers[pr.Code] = c.PostForm("a_" + pr.Code)
	}
	if err := s.St.Journals.AuditParticipant(ctx, p, "record_own_journal", "POST /journal week "+f.Week); err != nil {
		s.Respond(c, err)
		return
	}
	if _, err := s.St.Journals.SaveOwnJournal(ctx, p.ID, f.Week, f.Answers); err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		ownWeekErrors(c, p, f.Week, s.St.Now(), fe)
		errs, lines, order := ownJournalErrors(c, rel, fe)
		s.showOwnJournal(c, http.StatusUnprocessableEntity, gin.H{"Errors": errs, "ErrorLines": lines, "ErrorOrder": order, "JournalForm": f})
		return
	}
	c.Redirect(http.StatusSeeOther, "/journal?saved="+f.Week)
}

// ownWeekErrors says a mistake of the week in the participant's language,
// speaking to them, with the dates in words: in place of the store's
// message, which speaks of the participant to staff.
func ownWeekErrors(c *gin.Context, p store.Participant, week string, now time.Time, fe map[string]string) {
	day, err := time.Parse(time.DateOnly, week)
	enrolled, err2 := time.Parse(time.DateOnly, p.EnrolledOn)
	if _, bad := fe["week_start"]; !bad || err != nil || err2 != nil {
		return
	}
	lang := web.Lang(c)
	switch rules.JournalWeekProblem(day, enrolled, now) {
	case rules.WeekNotMonday:
		fe["week_start"] = web.T(c, "%s is not a Monday: choose a week in the list", i18n.Date(lang, day, now))
	case rules.WeekNotBegun:
		fe["week_start"] = web.T(c, "the week of %s has not begun yet: choose a week in the list", i18n.Date(lang, day, now))
	case rules.WeekBeforeEnrollment:
		fe["week_start"] = web.T(c, "the week of %s starts before you enrolled, on %s: choose a week in the list", i18n.Date(lang, day, now), i18n.Date(lang, enrolled, now))
	}
}

const (
	participantCookie = "iml_participant_session"
	// ownJournalWeeks is how many recent weeks the participant's page lists.
	ownJournalWeeks = 12
)

// ownJournalErrors are the journal form's mistakes as the participant
// reads them, in the page's language: by field, the message shown next to
// it (errs) and the summary's line, led by the question or "Week"
// (lines); order names the fields in the form's order, with the ids they
// link to. A store message the catalogue does not know stays in English.
func ownJournalErrors(c *gin.Context, rel program.Release, fe map[string]string) (errs, lines map[string]string, order string) {
	labels := map[string]string{"week_start": web.T(c, "Week"), "answers": web.T(c, "Answers"), "participant": web.T(c, "Participant")}
	fields := []string{"week_start=write"}
	for _, p := range rel.JournalPrompts {
		labels["answers."+p.Code] = "\u201c" + web.Tr(c, p.Text) + "\u201d"
		fields = append(fields, "answers."+p.Code+"=a_"+p.Code)
	}
	fields = append(fields, "answers=own-journal-form", "participant=own-journal-form")
	errs, lines = map[string]string{}, map[string]string{}
	for field, msg := range fe {
		label, ok := labels[field]
		if !ok {
			label = field
		}
		errs[field] = web.Tr(c, msg)
		lines[field] = label + ": " + errs[field]
	}
	return errs, lines, strings.Join(fields, " ")
}
