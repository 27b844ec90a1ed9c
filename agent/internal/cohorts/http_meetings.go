package cohorts

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/program"
)

// Meetings are cohort meetings (the director and the cohort's coach
// record them) and the lesson plans of their themes. Correcting and
// removing a meeting: only the director and the coach who leads the
// cohort (cohortAccess); the rules are applied again to a corrected
// record; a removal is asked for on a page of its own first (the pages
// work without script); every change is in the audit log.
type Meetings struct{ *web.App }

// pageMeeting finds the meeting :mid of cohort :cid for a page, answering
// 404 or failing when it cannot (ok false).
func (s *Meetings) pageMeeting(c *gin.Context) (store.MeetingView, bool) {
	m, err := s.St.Meetings.Meeting(c.Request.Context(), c.Param("cid"), c.Param("mid"))
	return m, s.Found(c, err, "No such meeting of this cohort.")
}

func (s *Meetings) auditMeeting(c *gin.Context, action string, m store.MeetingView) error {
	return s.St.Audit(c.Request.Context(), web.CurrentUser(c), action, "cohort", m.CohortID, "meeting "+m.ID+" on "+m.HeldOn)
}

func (s *Meetings) APIUpdateMeeting(c *gin.Context) {
	var in store.MeetingInput
	if !web.BindJSON(c, &in) {
		return
	}
	m, err := s.updateMeeting(c, c.Param("cid"), c.Param("mid"), in)
	s.Reply(c, http.StatusOK, m, web.NotFound(err, "No such meeting of this cohort."))
}

// updateMeeting corrects a meeting and audits it.
func (s *Meetings) updateMeeting(c *gin.Context, cohortID, meetingID string, in store.MeetingInput) (store.MeetingView, error) {
	m, err := s.St.Meetings.UpdateMeeting(c.Request.Context(), cohortID, meetingID, in)
	if err == nil {
		err = s.auditMeeting(c, "update_meeting", m)
	}
	return m, err
}

func (s *Meetings) APIDeleteMeeting(c *gin.Context) {
	if _, err := s.deleteMeeting(c); err != nil {
		s.Respond(c, web.NotFound(err, "No such meeting of this cohort."))
		return
	}
	c.Status(http.StatusNoContent)
}

// deleteMeeting removes the meeting :mid of cohort :cid and audits it.
func (s *Meetings) deleteMeeting(c *gin.Context) (store.MeetingView, error) {
	ctx := c.Request.Context()
	m, err := s.St.Meetings.Meeting(ctx, c.Param("cid"), c.Param("mid"))
	if err != nil {
		return m, err
	}
	if err := s.St.Meetings.DeleteMeeting(ctx, m.CohortID, m.ID); err != nil {
		return m, err
	}
	return m, s.auditMeeting(c, "delete_meeting", m)
}

func (s *Meetings) MeetingEditPage(c *gin.Context) {
	s.showMeetingEdit(c, http.StatusOK, gin.H{})
}

// showMeetingEdit shows the form correcting a meeting: the lesson plans of
// the theme of its date, and the people it was recorded with (for a
// one-to-one meeting, the cohort's current members too).
func (s *Meetings) showMeetingEdit(c *gin.Context, status int, data gin.H) {
	web.EditPage(s.App, c, status, "meeting_edit.html", data, s.pageMeeting, s.meetingEditData)
}

// meetingEditData fills the meeting correction form's data.
func (s *Meetings) meetingEditData(c *gin.Context, m store.MeetingView, data gin.H) error {
	ctx := c.Request.Context()
	v, err := s.St.Cohorts.ViewCohort(ctx, m.CohortID)
	if err != nil {
		return err
	}
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	day := m.HeldOn
	if f, ok := data["MeetingForm"].(meetingForm); ok {
		day = f.HeldOn
	}
	o, err := s.St.Meetings.MeetingOptions(ctx, m.CohortID, day)
	var ves store.ValidationErrors
	if err != nil && !errors.As(err, &ves) {
		return err
	}
	if err != nil {
		// A date outside the program year: the form shows the error; the
		// meeting's own theme stays.
		o, _ = s.St.Meetings.MeetingOptions(ctx, m.CohortID, m.HeldOn)
	}
	data["Title"], data["V"], data["Meeting"], data["Today"] = "Correct the meeting of "+m.HeldOn, v, m, s.St.Now().Format("2006-01-02")
	data["MeetingOptions"], data["MeetingPlans"], data["MeetingSkills"] = o, planOptions(rel, o.Plans), rel.Skills
	data["MeetingPeople"] = meetingPeople(m, v)
	if _, ok := data["MeetingForm"]; !ok {
		f := meetingForm{HeldOn: m.HeldOn, LessonPlan: m.LessonPlan, Notes: m.Notes, Present: map[string]bool{}, Skills: map[string]bool{}, Attended: "yes"}
		for _, a := range m.Attendance {
			f.Present[a.ParticipantID] = a.Present
			f.Participant = a.ParticipantID
			if !a.Present {
				f.Attended = "no"
			}
		}
		for _, sk := range m.Skills {
			f.Skills[sk] = true
		}
		data["MeetingForm"] = f
	}
	return nil
}

// meetingPeople are the people a meeting's form lists: those it was
// recorded with, and for a one-to-one meeting the cohort's current members.
func meetingPeople(m store.MeetingView, v store.CohortView) []web.Option {
	var out []web.Option
	seen := map[string]bool{}
	for _, a := range m.Attendance {
		out, seen[a.ParticipantID] = append(out, web.Option{Value: a.ParticipantID, Label: a.Name}), true
	}
	if v.Cohort.Model == "social_explorations" {
		for _, p := range memberOptions(v.Members) {
			if !seen[p.Value] {
				out = append(out, p)
			}
		}
	}
	return out
}

func (s *Meetings) MeetingUpdateSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	m, ok := s.pageMeeting(c)
	if !ok {
		return
	}
	v, err := s.St.Cohorts.ViewCohort(ctx, m.CohortID)
	if err != nil {
		s.Respond(c, err)
		return
	}
	var people []string
	for _, p := range meetingPeople(m, v) {
		people = append(people, p.Value)
	}
	f, in := meetingFromForm(c, v.Cohort.Model, people)
	if _, err := s.updateMeeting(c, m.CohortID, m.ID, in); err != nil {
		s.meetingFormErr(c, err, f, s.showMeetingEdit)
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+m.CohortID+"?meeting=updated#meetings")
}

func (s *Meetings) MeetingDeletePage(c *gin.Context) {
	m, ok := s.pageMeeting(c)
	if !ok {
		return
	}
	what := "The meeting of " + m.HeldOn + " (month " + strconv.Itoa(m.ProgramMonth) + ": " + m.ThemeTitle + "), with its attendance of " +
		strconv.Itoa(len(m.Attendance)) + ", its skills and its notes."
	base := "/cohorts/" + m.CohortID
	s.ConfirmPage(c, "Delete this meeting?", what, base+"/meetings/"+m.ID+"/delete", base+"#meetings")
}

func (s *Meetings) MeetingDeleteSubmit(c *gin.Context) {
	if _, err := s.deleteMeeting(c); err != nil {
		s.Respond(c, web.NotFound(err, "No such meeting of this cohort."))
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"?meeting=deleted#meetings")
}

func (s *Meetings) APIMeetings(c *gin.Context) {
	limit, _ := strconv.Atoi(c.Query("limit"))
	ms, err := s.St.Meetings.Meetings(c.Request.Context(), c.Param("cid"), limit)
	s.Reply(c, http.StatusOK, ms, err)
}

func (s *Meetings) APIMeeting(c *gin.Context) {
	m, err := s.St.Meetings.Meeting(c.Request.Context(), c.Param("cid"), c.Param("mid"))
	s.Reply(c, http.StatusOK, m, web.NotFound(err, "No such meeting of this cohort."))
}

func (s *Meetings) APIRecordMeeting(c *gin.Context) {
	var in store.MeetingInput
	if !web.BindJSON(c, &in) {
		return
	}
	m, err := s.recordMeeting(c, in)
	if err != nil {
		s.Respond(c, web.NotFound(err, "No such cohort."))
		return
	}
	c.Header("Location", "/api/v1/cohorts/"+m.CohortID+"/meetings/"+m.ID)
	c.JSON(http.StatusCreated, m)
}

// recordMeeting records a meeting for the signed-in user and audits it.
func (s *Meetings) recordMeeting(c *gin.Context, in store.MeetingInput) (store.MeetingView, error) {
	u := web.CurrentUser(c)
	m, err := s.St.Meetings.RecordMeeting(c.Request.Context(), c.Param("cid"), u.ID, in)
	if err != nil {
		return m, err
	}
	return m, s.St.Audit(c.Request.Context(), u, "record_meeting", "cohort", m.CohortID, "meeting "+m.ID+" on "+m.HeldOn)
}

// APILessonPlans answers the theme and lesson plans of a meeting on a day
// (today when no date is given).
func (s *Meetings) APILessonPlans(c *gin.Context) {
	day := c.Query("date")
	if day == "" {
		day = s.St.Now().Format("2006-01-02")
	}
	o, err := s.St.Meetings.MeetingOptions(c.Request.Context(), c.Param("cid"), day)
	s.Reply(c, http.StatusOK, o, web.NotFound(err, "No such cohort."))
}

// planOption is a lesson plan as the meeting form offers it.
type planOption struct {
	Code, Title, Summary, Skills string
	// Files are the worksheets and handouts the release attaches.
	Files []program.File
}

// meetingForm is the meeting form's state.
type meetingForm struct {
	HeldOn, LessonPlan, Participant, Attended, Notes string
	Present, Skills                                  map[string]bool
}

// MeetingsSection adds the cohort's recent meetings and the form to record
// one, with the lesson plans of this month's theme, to the cohort's page.
func (s *Meetings) MeetingsSection(c *gin.Context, v store.CohortView, data gin.H) error {
	ctx := c.Request.Context()
	ms, err := s.St.Meetings.Meetings(ctx, v.Cohort.ID, 12)
	if err != nil {
		return err
	}
	rel, err := s.St.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	today := s.St.Now().Format("2006-01-02")
	o, err := s.St.Meetings.MeetingOptions(ctx, v.Cohort.ID, today)
	var ves store.ValidationErrors
	switch {
	case errors.As(err, &ves) && v.ProgramMonth == 0:
		data["MeetingUnavailable"] = "the cohort starts on " + v.Cohort.StartDate
	case errors.As(err, &ves):
		data["MeetingUnavailable"] = "the cohort's program year is over"
	case err != nil:
		return err
	}
	data["Meetings"], data["MeetingOptions"], data["MeetingPlans"], data["MeetingSkills"] = ms, o, planOptions(rel, o.Plans), rel.Skills
	people, err := s.St.Meetings.Attendees(ctx, v.Cohort.ID, today)
	if err != nil {
		return err
	}
	data["MeetingPeople"] = memberOptions(people)
	data["MeetingRecorded"] = map[string]string{"recorded": "recorded", "updated": "corrected", "deleted": "deleted"}[c.Query("meeting")]
	if _, ok := data["MeetingForm"]; !ok {
		f := meetingForm{HeldOn: today, Present: map[string]bool{}, Skills: map[string]bool{}, Attended: "yes"}
		for _, p := range people {
			f.Present[p.ID] = true
		}
		data["MeetingForm"] = f
	}
	return nil
}

// MeetingSubmit records a meeting from the cohort page's form. A group's
// attendance is a box per member the form lists (those a meeting today
// lists: store Attendees; ticked: present); a one-to-one meeting names its
// participant and whether they came.
func (s *Meetings) MeetingSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	coh, err := s.St.Cohorts.Cohort(ctx, c.Param("cid"))
	if err != nil {
		s.Respond(c, err)
		return
	}
	people, err := s.St.Meetings.Attendees(ctx, coh.ID, s.St.Now().Format("2006-01-02"))
	if err != nil {
		s.Respond(c, err)
		return
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	f, in := meetingFromForm(c, coh.Model, ids)
	if _, err := s.recordMeeting(c, in); err != nil {
		s.meetingFormErr(c, err, f, s.ShowCohort)
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+coh.ID+"?meeting=recorded#meetings")
}

// meetingFromForm reads the meeting form. A group's attendance is a box
// per person the form listed (people; ticked: present); a one-to-one
// meeting names its participant and whether they came.
func meetingFromForm(c *gin.Context, model string, people []string) (meetingForm, store.MeetingInput) {
	f := meetingForm{HeldOn: c.PostForm("held_on"), LessonPlan: c.PostForm("lesson_plan"), Participant: c.PostForm("participant_id"),
		Attended: c.PostForm("attended"), Notes: c.PostForm("notes"), Present: map[string]bool{}, Skills: map[string]bool{}}
	in := store.MeetingInput{HeldOn: f.HeldOn, LessonPlan: f.LessonPlan, Notes: f.Notes, Skills: c.PostFormArray("skills"), Attendance: map[string]bool{}}
	for _, sk := range in.Skills {
		f.Skills[sk] = true
	}
	if model == program.ModelSocialExplorations {
		if f.Participant != "" {
			in.Attendance[f.Participant] = f.Attended == "yes"
		}
		return f, in
	}
	for _, id := range people {
		in.Attendance[id] = false
	}
	for _, id := range c.PostFormArray("present") {
		in.Attendance[id], f.Present[id] = true, true
	}
	return f, in
}

// meetingFormErr shows a meeting form again with its errors (through
// show, the page the form is on), or fails on an unexpected error.
func (s *Meetings) meetingFormErr(c *gin.Context, err error, f meetingForm, show func(*gin.Context, int, gin.H)) {
	fe, ok := web.FieldErrors(c, err)
	if !ok {
		s.Respond(c, err)
		return
	}
	next, lines, err := s.meetingErrors(c, fe)
	if err != nil {
		s.Respond(c, err)
		return
	}
	show(c, http.StatusUnprocessableEntity, gin.H{"MeetingErrors": next, "MeetingErrorLines": lines, "MeetingForm": f})
}

// planOptions are a theme's lesson plans as the meeting form offers them.
func planOptions(rel program.Release, plans []program.LessonPlan) []planOption {
	out := make([]planOption, len(plans))
	for i, p := range plans {
		names := make([]string, len(p.Skills))
		for j, code := range p.Skills {
			names[j] = code
			if sk, ok := rel.Skill(code); ok {
				names[j] = sk.Name
			}
		}
		out[i] = planOption{Code: p.Code, Title: p.Title, Summary: p.Summary, Skills: strings.Join(names, ", "), Files: rel.FilesFor(p.Code)}
	}
	return out
}

// memberOptions lists people as the meeting form does: "Last, First".
func memberOptions(ps []store.Participant) []web.Option {
	out := make([]web.Option, len(ps))
	for i, p := range ps {
		out[i] = web.Option{Value: p.ID, Label: p.LastName + ", " + p.FirstName}
	}
	return out
}

// notMember is said of attendance naming someone who is not a current
// member of the cohort: they are never named (the form lists members only,
// so the id came from elsewhere, perhaps someone the user may not see).
const notMember = "Someone marked present or absent is not a member of this cohort on the meeting's day: reload the page and mark the members it lists"

// meetingErrors are a meeting form's mistakes: by field, the message
// next to it (next: a participant's attendance, "attendance.<id>", is
// shown with the attendance, led by their name when they are a current
// member of the cohort, else said once as notMember), and the summary's
// line, led by the field's label (lines).
func (s *Meetings) meetingErrors(c *gin.Context, fe map[string]string) (next, lines map[string]string, err error) {
	labels := map[string]string{"held_on": "Date", "lesson_plan": "Lesson plan", "attendance": "Attendance", "skills": "Skills practised", "notes": "Notes", "cohort": "Cohort"}
	next, lines = map[string]string{}, map[string]string{}
	var names map[string]string
	var people []string
	stranger := false
	for field, msg := range fe {
		label, ok := labels[field]
		if id, isPerson := strings.CutPrefix(field, "attendance."); isPerson {
			if names == nil {
				if names, err = s.memberNames(c); err != nil {
					return nil, nil, err
				}
			}
			name, member := names[id]
			if !member {
				stranger = true
				continue
			}
			label = name
			people = append(people, label+": "+msg)
		} else {
			if !ok {
				label = strings.ReplaceAll(field, "_", " ")
			}
			next[field] = msg
		}
		lines[field] = label + ": " + msg
	}
	if stranger {
		people = append(people, notMember)
		lines["attendance.-"] = notMember
	}
	if len(people) > 0 {
		sort.Strings(people)
		people = append([]string{next["attendance"]}, people...)
		next["attendance"] = strings.TrimPrefix(strings.Join(people, "; "), "; ")
	}
	return next, lines, nil
}

// memberNames are the names of cohort :cid's current members, by id.
func (s *Meetings) memberNames(c *gin.Context) (map[string]string, error) {
	v, err := s.St.Cohorts.ViewCohort(c.Request.Context(), c.Param("cid"))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(v.Members))
	for _, p := range v.Members {
		out[p.ID] = p.FirstName + " " + p.LastName
	}
	return out, nil
}
