package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/program"
)

// Meeting is one meeting of a cohort: a Peer Partners group session or a
// Social Explorations visit with one participant. The program month and
// theme are those of the cohort on the day, as the release the site ran
// then had them. Notes are local free text: meetings never go upstream.
type Meeting struct {
	ID           string    `json:"id"`
	CohortID     string    `json:"cohort_id"`
	HeldOn       string    `json:"held_on"`
	ProgramMonth int       `json:"program_month"`
	Theme        string    `json:"theme"`
	LessonPlan   string    `json:"lesson_plan"`
	Release      string    `json:"release"`
	Notes        string    `json:"notes"`
	RecordedBy   string    `json:"recorded_by"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// MeetingAttendance is whether a member was at a meeting.
type MeetingAttendance struct {
	MeetingID     string `gorm:"primaryKey"`
	ParticipantID string `gorm:"primaryKey"`
	Present       bool
}

// TableName names the table.
func (MeetingAttendance) TableName() string { return "meeting_attendance" }

// MeetingSkill is a skill practised at a meeting.
type MeetingSkill struct {
	MeetingID string `gorm:"primaryKey"`
	Skill     string `gorm:"primaryKey"`
}

// TableName names the table.
func (MeetingSkill) TableName() string { return "meeting_skills" }

// MeetingInput is a meeting as the coach records it. Attendance maps a
// participant's id to whether they were present.
type MeetingInput struct {
	HeldOn     string          `json:"held_on"`
	LessonPlan string          `json:"lesson_plan"`
	Attendance map[string]bool `json:"attendance"`
	Skills     []string        `json:"skills"`
	Notes      string          `json:"notes"`
}

// Attendee is one line of a meeting's attendance.
type Attendee struct {
	ParticipantID string `json:"participant_id"`
	Name          string `json:"name"`
	Present       bool   `json:"present"`
}

// MeetingView is a meeting with its attendance, skills and the names its
// page shows.
type MeetingView struct {
	Meeting
	ThemeTitle     string     `json:"theme_title"`
	PlanTitle      string     `json:"lesson_plan_title,omitempty"`
	RecordedByName string     `json:"recorded_by_name"`
	Attendance     []Attendee `json:"attendance"`
	Present        int        `json:"present"`
	Skills         []string   `json:"skills"`
	SkillNames     []string   `json:"-"`
}

// MeetingOptions is what a coach chooses from to record a meeting of a
// cohort on a day: the month, its theme and the theme's lesson plans.
type MeetingOptions struct {
	Day          string               `json:"day"`
	ProgramMonth int                  `json:"program_month"`
	Theme        program.Theme        `json:"theme"`
	Plans        []program.LessonPlan `json:"lesson_plans"`
}

// MeetingOptions returns the theme and lesson plans of a cohort's meeting
// on a day, or why no meeting can be held that day.
func (s *meetingStore) MeetingOptions(ctx context.Context, cohortID, day string) (MeetingOptions, error) {
	o := MeetingOptions{Day: day, Plans: []program.LessonPlan{}}
	d, ok := parseDate(day)
	if !ok {
		return o, &ValidationError{Field: "date", Msg: "Enter a date such as 2026-03-04"}
	}
	c, err := s.st.Cohorts.Cohort(ctx, cohortID)
	if err != nil {
		return o, err
	}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return o, err
	}
	start, _ := parseDate(c.StartDate)
	month, th, probs := rules.MeetingTheme(rel, c.Model, start, d)
	if len(probs) > 0 {
		return o, problemsToFields(probs)
	}
	o.ProgramMonth, o.Theme, o.Plans = month, th, append([]program.LessonPlan{}, rel.PlansFor(th.Code)...)
	return o, nil
}

// problemsToFields turns broken rules into validation errors.
func problemsToFields(ps rules.Problems) ValidationErrors {
	out := make(ValidationErrors, len(ps))
	for i, p := range ps {
		out[i] = ValidationError{Field: p.Field, Msg: p.Detail}
	}
	return out
}

// RecordMeeting records a meeting of a cohort. The store applies the
// program's rules (see rules.MeetingTheme, CheckLessonPlan, CheckAttendance
// and CheckSkills) before it writes anything, whichever way the meeting
// comes in.
func (s *meetingStore) RecordMeeting(ctx context.Context, cohortID, recordedBy string, in MeetingInput) (MeetingView, error) {
	return s.saveMeeting(ctx, cohortID, "", recordedBy, in)
}

// UpdateMeeting corrects a recorded meeting in full (date, lesson plan,
// attendance, skills, notes), applying the same rules as RecordMeeting;
// the month and theme follow the new date. Who recorded it stays.
func (s *meetingStore) UpdateMeeting(ctx context.Context, cohortID, meetingID string, in MeetingInput) (MeetingView, error) {
	return s.saveMeeting(ctx, cohortID, meetingID, "", in)
}

// DeleteMeeting removes a meeting recorded by mistake, with its
// attendance and skills.
func (s *meetingStore) DeleteMeeting(ctx context.Context, cohortID, meetingID string) error {
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var m Meeting
		if err := tx.First(&m, "id = ? AND cohort_id = ?", meetingID, cohortID).Error; err != nil {
			return notFound(err)
		}
		var attended []string
		if err := tx.Model(&MeetingAttendance{}).Where("meeting_id = ?", m.ID).Pluck("participant_id", &attended).Error; err != nil {
			return err
		}
		if err := tx.Where("meeting_id = ?", m.ID).Delete(&MeetingAttendance{}).Error; err != nil {
			return err
		}
		if err := tx.Where("meeting_id = ?", m.ID).Delete(&MeetingSkill{}).Error; err != nil {
			return err
		}
		if err := tx.Delete(&m).Error; err != nil {
			return err
		}
		members, err := everMembers(tx, cohortID)
		if err != nil {
			return err
		}
		return s.st.Outcomes.refreshRecords(tx, slices.Concat(attended, members), []string{cohortID})
	})
}

// saveMeeting records a new meeting (meetingID "") or replaces one.
func (s *meetingStore) saveMeeting(ctx context.Context, cohortID, meetingID, recordedBy string, in MeetingInput) (MeetingView, error) {
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return MeetingView{}, err
	}
	now := s.st.Now()
	in.HeldOn, in.LessonPlan, in.Notes = strings.TrimSpace(in.HeldOn), strings.TrimSpace(in.LessonPlan), strings.TrimSpace(in.Notes)
	var errs ValidationErrors
	day, dayOK := parseDate(in.HeldOn)
	switch {
	case !dayOK:
		errs = append(errs, ValidationError{Field: "held_on", Msg: "Enter a date such as 2026-03-04"})
	case day.After(now):
		errs = append(errs, ValidationError{Field: "held_on", Msg: "Record a meeting once it has taken place: enter a day no later than today"})
	}
	if n := utf8.RuneCountInString(in.Notes); n > rules.MaxMeetingNotes {
		errs = append(errs, ValidationError{Field: "notes", Msg: fmt.Sprintf("Use at most %d characters: these have %d", rules.MaxMeetingNotes, n)})
	}
	errs = append(errs, problemsToFields(rules.CheckSkills(rel, in.Skills))...)
	m := Meeting{ID: uuid.NewString(), CohortID: cohortID, HeldOn: in.HeldOn, LessonPlan: in.LessonPlan, Release: rel.Version, Notes: in.Notes,
		RecordedBy: recordedBy, CreatedAt: now, UpdatedAt: now}
	err = s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Cohort
		if err := tx.First(&c, "id = ?", cohortID).Error; err != nil {
			return notFound(err)
		}
		if meetingID != "" {
			var old Meeting
			if err := tx.First(&old, "id = ? AND cohort_id = ?", meetingID, cohortID).Error; err != nil {
				return &MissingError{"meeting"}
			}
			m.ID, m.RecordedBy, m.CreatedAt = old.ID, old.RecordedBy, old.CreatedAt
		}
		if dayOK && !day.After(now) { // a day in the future has its one message
			if c.ClosedOn != "" && in.HeldOn > c.ClosedOn {
				errs = append(errs, ValidationError{Field: "held_on", Msg: "Enter a day on or before the day the cohort closed, " + inWords(c.ClosedOn)})
			}
			start, _ := parseDate(c.StartDate)
			month, th, probs := rules.MeetingTheme(rel, c.Model, start, day)
			errs = append(errs, problemsToFields(probs)...)
			if len(probs) == 0 {
				m.ProgramMonth, m.Theme = month, th.Code
				errs = append(errs, problemsToFields(rules.CheckLessonPlan(rel, th, in.LessonPlan))...)
			}
			members, ended, err := membersOn(tx, cohortID, in.HeldOn)
			if err != nil {
				return err
			}
			if err := keepRecorded(tx, meetingID, members, ended); err != nil {
				return err
			}
			late, attendance := yearEndedAttendance(ended, in.Attendance)
			errs = append(errs, late...)
			if len(late) == 0 || len(attendance) > 0 { // (a one-to-one with them alone: its one message)
				errs = append(errs, problemsToFields(rules.CheckAttendance(c.Model, members, attendance))...)
			}
		}
		if len(errs) > 0 {
			sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
			return errs
		}
		before, err := writeMeeting(tx, &m, meetingID == "", in)
		if err != nil {
			return err
		}
		present := append(make([]string, 0, len(in.Attendance)+len(before)), before...)
		for id := range in.Attendance {
			present = append(present, id)
		}
		sort.Strings(present)
		members, err := everMembers(tx, cohortID)
		if err != nil {
			return err
		}
		return s.st.Outcomes.refreshRecords(tx, slices.Concat(present, members), []string{cohortID})
	})
	if err != nil {
		return MeetingView{}, err
	}
	return s.Meeting(ctx, cohortID, m.ID)
}

// writeMeeting creates the meeting m (or saves it over the one it
// corrects) with its attendance and skills; for a correction it returns
// who was on the attendance list before, whose records are recomputed too:
// a new date can change who was a member.
func writeMeeting(tx *gorm.DB, m *Meeting, isNew bool, in MeetingInput) (before []string, err error) {
	if isNew {
		if err := tx.Create(m).Error; err != nil {
			return nil, err
		}
	} else {
		if err := tx.Save(m).Error; err != nil {
			return nil, err
		}
		if err := tx.Model(&MeetingAttendance{}).Where("meeting_id = ?", m.ID).Pluck("participant_id", &before).Error; err != nil {
			return nil, err
		}
		if err := tx.Where("meeting_id = ?", m.ID).Delete(&MeetingAttendance{}).Error; err != nil {
			return nil, err
		}
		if err := tx.Where("meeting_id = ?", m.ID).Delete(&MeetingSkill{}).Error; err != nil {
			return nil, err
		}
	}
	for id, present := range in.Attendance {
		if err := tx.Create(&MeetingAttendance{MeetingID: m.ID, ParticipantID: id, Present: present}).Error; err != nil {
			return nil, err
		}
	}
	for _, sk := range in.Skills {
		if err := tx.Create(&MeetingSkill{MeetingID: m.ID, Skill: sk}).Error; err != nil {
			return nil, err
		}
	}
	return before, nil
}

// Meeting finds one meeting of a cohort.
func (s *meetingStore) Meeting(ctx context.Context, cohortID, id string) (MeetingView, error) {
	var m Meeting
	if err := s.st.DB.WithContext(ctx).First(&m, "id = ? AND cohort_id = ?", id, cohortID).Error; err != nil {
		return MeetingView{}, notFound(err)
	}
	vs, err := s.viewMeetings(ctx, []Meeting{m})
	if err != nil {
		return MeetingView{}, err
	}
	return vs[0], nil
}

// Meetings lists a cohort's meetings, newest first, at most limit of
// them, kept until the data version moves (or the minute changes): the
// meetings' attendance and skills are shared by the callers, who must not
// change them.
func (s *meetingStore) Meetings(ctx context.Context, cohortID string, limit int) ([]MeetingView, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	return keptList(s.st, "meetings|"+cohortID+"|"+strconv.Itoa(limit), func() ([]MeetingView, error) {
		var ms []Meeting
		if err := s.st.DB.WithContext(ctx).Where("cohort_id = ?", cohortID).Order("held_on DESC, created_at DESC").Limit(limit).Find(&ms).Error; err != nil {
			return nil, err
		}
		return s.viewMeetings(ctx, ms)
	})
}

// viewMeetings adds attendance, skills and names to meetings.
func (s *meetingStore) viewMeetings(ctx context.Context, ms []Meeting) ([]MeetingView, error) {
	out := make([]MeetingView, len(ms))
	if len(ms) == 0 {
		return out, nil
	}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ms))
	users := make([]string, len(ms))
	for i, m := range ms {
		ids[i], users[i] = m.ID, m.RecordedBy
	}
	db := s.st.DB.WithContext(ctx)
	var att []struct {
		MeetingID, ParticipantID, FirstName, LastName string
		Present                                       bool
	}
	if err := db.Raw(`SELECT a.meeting_id, a.participant_id, p.first_name, p.last_name, a.present FROM meeting_attendance a
JOIN participants p ON p.id = a.participant_id WHERE a.meeting_id IN ? ORDER BY p.last_name, p.first_name`, ids).Scan(&att).Error; err != nil {
		return nil, err
	}
	var skills []MeetingSkill
	if err := db.Where("meeting_id IN ?", ids).Order("skill").Find(&skills).Error; err != nil {
		return nil, err
	}
	names, err := staffNames(db, users)
	if err != nil {
		return nil, err
	}
	at := map[string]int{}
	for i, m := range ms {
		at[m.ID] = i
		v := MeetingView{Meeting: m, ThemeTitle: themeTitleOf(rel, m.Theme), RecordedByName: names[m.RecordedBy], Attendance: []Attendee{}, Skills: []string{}}
		if p, ok := rel.LessonPlan(m.LessonPlan); ok {
			v.PlanTitle = p.Title
		}
		out[i] = v
	}
	for _, a := range att {
		v := &out[at[a.MeetingID]]
		v.Attendance = append(v.Attendance, Attendee{ParticipantID: a.ParticipantID, Name: a.FirstName + " " + a.LastName, Present: a.Present})
		if a.Present {
			v.Present++
		}
	}
	for _, sk := range skills {
		v := &out[at[sk.MeetingID]]
		v.Skills = append(v.Skills, sk.Skill)
		name := sk.Skill
		if x, ok := rel.Skill(sk.Skill); ok {
			name = x.Name
		}
		v.SkillNames = append(v.SkillNames, name)
	}
	return out, nil
}

// themeTitleOf is a theme's title in a release, or its code when the release
// no longer has it.
func themeTitleOf(rel program.Release, code string) string {
	for _, s := range rel.Themes {
		for _, m := range s.Months {
			if m.Code == code {
				return m.Title
			}
		}
	}
	return code
}

// staffNames maps account ids to names.
func staffNames(db *gorm.DB, ids []string) (map[string]string, error) {
	var us []User
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := db.Select("id", "name").Where("id IN ?", ids).Find(&us).Error; err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = u.Name
	}
	return out, nil
}
