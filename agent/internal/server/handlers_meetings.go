package server

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

func (s *Server) apiMeetings(c *gin.Context) {
	limit, _ := strconv.Atoi(c.Query("limit"))
	ms, err := s.st.Meetings(c.Request.Context(), c.Param("cid"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ms)
}

func (s *Server) apiMeeting(c *gin.Context) {
	m, err := s.st.Meeting(c.Request.Context(), c.Param("cid"), c.Param("mid"))
	if err != nil {
		s.writeNotFound(c, err, "No such meeting of this cohort.")
		return
	}
	c.JSON(http.StatusOK, m)
}

func (s *Server) apiRecordMeeting(c *gin.Context) {
	var in store.MeetingInput
	if !bindJSON(c, &in) {
		return
	}
	m, err := s.recordMeeting(c, in)
	if err != nil {
		s.writeNotFound(c, err, "No such cohort.")
		return
	}
	c.Header("Location", "/api/v1/cohorts/"+m.CohortID+"/meetings/"+m.ID)
	c.JSON(http.StatusCreated, m)
}

// recordMeeting records a meeting for the signed-in user and audits it.
func (s *Server) recordMeeting(c *gin.Context, in store.MeetingInput) (store.MeetingView, error) {
	u := currentUser(c)
	m, err := s.st.RecordMeeting(c.Request.Context(), c.Param("cid"), u.ID, in)
	if err != nil {
		return m, err
	}
	return m, s.st.Audit(c.Request.Context(), u, "record_meeting", "cohort", m.CohortID, "meeting "+m.ID+" on "+m.HeldOn)
}

// apiLessonPlans answers the theme and lesson plans of a meeting on a day
// (today when no date is given).
func (s *Server) apiLessonPlans(c *gin.Context) {
	day := c.Query("date")
	if day == "" {
		day = s.st.Now().Format("2006-01-02")
	}
	o, err := s.st.MeetingOptions(c.Request.Context(), c.Param("cid"), day)
	if err != nil {
		s.writeNotFound(c, err, "No such cohort.")
		return
	}
	c.JSON(http.StatusOK, o)
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

// meetingsSection adds the cohort's recent meetings and the form to record
// one, with the lesson plans of this month's theme, to the cohort's page.
func (s *Server) meetingsSection(c *gin.Context, v store.CohortView, data gin.H) error {
	ctx := c.Request.Context()
	ms, err := s.st.Meetings(ctx, v.Cohort.ID, 12)
	if err != nil {
		return err
	}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	today := s.st.Now().Format("2006-01-02")
	o, err := s.st.MeetingOptions(ctx, v.Cohort.ID, today)
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
	data["MeetingPeople"] = memberOptions(v.Members)
	data["MeetingRecorded"] = map[string]string{"recorded": "recorded", "updated": "corrected", "deleted": "deleted"}[c.Query("meeting")]
	if _, ok := data["MeetingForm"]; !ok {
		f := meetingForm{HeldOn: today, Present: map[string]bool{}, Skills: map[string]bool{}, Attended: "yes"}
		for _, id := range v.MemberIDs {
			f.Present[id] = true
		}
		data["MeetingForm"] = f
	}
	return nil
}

// meetingSubmit records a meeting from the cohort page's form. A group's
// attendance is a box per current member (ticked: present); a one-to-one
// meeting names its participant and whether they came.
func (s *Server) meetingSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	v, err := s.st.ViewCohort(ctx, c.Param("cid"))
	if err != nil {
		s.fail(c, err)
		return
	}
	f, in := meetingFromForm(c, v.Cohort.Model, v.MemberIDs)
	if _, err := s.recordMeeting(c, in); err != nil {
		s.meetingFormErr(c, err, f, s.showCohort)
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+v.Cohort.ID+"?meeting=recorded#meetings")
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
func (s *Server) meetingFormErr(c *gin.Context, err error, f meetingForm, show func(*gin.Context, int, gin.H)) {
	fe, ok := fieldErrors(err)
	if !ok {
		s.fail(c, err)
		return
	}
	list, err := s.meetingErrorList(c, fe)
	if err != nil {
		s.fail(c, err)
		return
	}
	show(c, http.StatusUnprocessableEntity, gin.H{"MeetingErrors": fe, "MeetingErrorList": list, "MeetingForm": f})
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
func memberOptions(ps []store.Participant) []option {
	out := make([]option, len(ps))
	for i, p := range ps {
		out[i] = option{Value: p.ID, Label: p.LastName + ", " + p.FirstName}
	}
	return out
}

// meetingErrorList writes a meeting's field errors for people: each field
// by its label, a participant by name.
func (s *Server) meetingErrorList(c *gin.Context, fe map[string]string) ([]string, error) {
	labels := map[string]string{"held_on": "Date", "lesson_plan": "Lesson plan", "attendance": "Attendance", "skills": "Skills practised", "notes": "Notes", "cohort": "Cohort"}
	var out []string
	for field, msg := range fe {
		label, ok := labels[field]
		if id, isPerson := strings.CutPrefix(field, "attendance."); isPerson {
			label = "A participant"
			if p, err := s.st.Participant(c.Request.Context(), id); err == nil {
				label = p.FirstName + " " + p.LastName
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
		} else if !ok {
			label = strings.ReplaceAll(field, "_", " ")
		}
		out = append(out, label+": "+msg)
	}
	sort.Strings(out)
	return out, nil
}
