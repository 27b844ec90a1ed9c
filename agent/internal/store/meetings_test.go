package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// mjSite is a site on 2026-06-20 (a Saturday) with a certified coach.
type mjSite struct {
	t     *testing.T
	st    *Store
	coach Coach
	user  User
}

func newMJSite(t *testing.T) *mjSite {
	t.Helper()
	st := openTestK(t, 0)
	st.Now = func() time.Time { return time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC) }
	ctx := context.Background()
	u, err := st.AddUser(ctx, "casey@example.org", "Casey", RoleCoach, "a long coach password")
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Coaches.AddCoach(ctx, CoachInput{Name: "Casey", UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Coaches.RecordCertification(ctx, c.ID, "site", Certification{Code: "PLC-1", CertifiedUntil: "2027-06-30"}); err != nil {
		t.Fatal(err)
	}
	return &mjSite{t: t, st: st, coach: c, user: u}
}

func (s *mjSite) person(first, enrolled string) Participant {
	s.t.Helper()
	p, err := s.st.Participants.AddParticipant(context.Background(), ParticipantInput{FirstName: first, LastName: "Example", BirthDate: "1980-05-05", EnrolledOn: enrolled,
		InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: enrolled})
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

func (s *mjSite) cohort(model string, members ...Participant) Cohort {
	s.t.Helper()
	ctx := context.Background()
	c, err := s.st.Cohorts.AddCohort(ctx, CohortInput{Name: "Group", Model: model, StartDate: "2026-01-12", CoachID: s.coach.ID})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, p := range members {
		if err := s.st.Cohorts.AddMember(ctx, c.ID, p.ID, "2026-01-12"); err != nil {
			s.t.Fatal(err)
		}
	}
	return c
}

// syncState is every row of the outbox's tables, whatever their layout.
// syncState is the outbox but for the computed participation and cohort
// month records.
func syncState(t *testing.T, st *Store) map[string][]map[string]any {
	t.Helper()
	var tables []string
	if err := st.DB.Raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sync%' ORDER BY name").Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatal("no outbox tables found")
	}
	out := map[string][]map[string]any{}
	for _, name := range tables {
		var rows []map[string]any
		q := st.DB.Table(name)
		if name == "sync_records" {
			// The computed participation and cohort month records are
			// what these features send; their tests check them.
			q = q.Where("type NOT IN ?", []string{contract.TypeParticipation, contract.TypeCohortMonth})
		}
		if err := q.Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	return out
}

func fieldsOf(err error) []string {
	var ves ValidationErrors
	var ve *ValidationError
	switch {
	case errors.As(err, &ves):
		out := make([]string, len(ves))
		for i, e := range ves {
			out[i] = e.Field + ": " + e.Msg
		}
		return out
	case errors.As(err, &ve):
		return []string{ve.Field + ": " + ve.Msg}
	}
	return nil
}

func hasField(err error, field, text string) bool {
	for _, f := range fieldsOf(err) {
		if strings.HasPrefix(f, field+": ") && strings.Contains(f, text) {
			return true
		}
	}
	return false
}

func TestRecordMeetingEnforcesTheRules(t *testing.T) {
	ctx := context.Background()
	s := newMJSite(t)
	var ps []Participant
	for _, n := range []string{"Ann", "Ben", "Cal", "Dee", "Eve", "Fay"} {
		ps = append(ps, s.person(n, "2026-01-12"))
	}
	outsider := s.person("Out", "2026-01-12")
	g := s.cohort(program.ModelPeerPartners, ps...)
	all := func(present bool) map[string]bool {
		m := map[string]bool{}
		for _, p := range ps {
			m[p.ID] = present
		}
		return m
	}
	good := MeetingInput{HeldOn: "2026-06-16", LessonPlan: "tb_self_concept", Attendance: all(true), Skills: []string{"self_concept", "affirmations"}, Notes: "Warm session."}
	good.Attendance[ps[5].ID] = false
	before := syncState(t, s.st)

	with := func(change func(*MeetingInput)) MeetingInput {
		in := good
		in.Attendance = map[string]bool{}
		for k, v := range good.Attendance {
			in.Attendance[k] = v
		}
		change(&in)
		return in
	}
	for _, c := range []struct {
		name, field, text string
		in                MeetingInput
	}{
		{"a plan of another theme", "lesson_plan", "another theme", with(func(in *MeetingInput) { in.LessonPlan = "com_listening" })},
		{"no plan", "lesson_plan", "tb_self_concept", with(func(in *MeetingInput) { in.LessonPlan = "" })},
		{"last month's plan this month", "lesson_plan", "Thoughts & Beliefs", with(func(in *MeetingInput) { in.LessonPlan = "cs_grounding" })},
		{"a non-member", "attendance." + outsider.ID, "not a member", with(func(in *MeetingInput) { in.Attendance[outsider.ID] = true })},
		{"a member not marked", "attendance", "1 of 6 are not marked", with(func(in *MeetingInput) { delete(in.Attendance, ps[0].ID) })},
		{"nobody present", "attendance", "no member is marked present", with(func(in *MeetingInput) { in.Attendance = all(false) })},
		{"the future", "held_on", "no later than today", with(func(in *MeetingInput) { in.HeldOn = "2026-06-21" })},
		{"before the start", "held_on", "before the cohort started", with(func(in *MeetingInput) { in.HeldOn = "2026-01-05" })},
		{"not a date", "held_on", "such as 2026-03-04", with(func(in *MeetingInput) { in.HeldOn = "Tuesday" })},
		{"an unknown skill", "skills", "not a skill", with(func(in *MeetingInput) { in.Skills = []string{"juggling"} })},
		{"no skill", "skills", "at least one", with(func(in *MeetingInput) { in.Skills = nil })},
		{"long notes", "notes", "4000", with(func(in *MeetingInput) { in.Notes = strings.Repeat("x", 4001) })},
	} {
		_, err := s.st.Meetings.RecordMeeting(ctx, g.ID, s.user.ID, c.in)
		if !hasField(err, c.field, c.text) {
			t.Errorf("%s: %v, want %s: …%s…", c.name, fieldsOf(err), c.field, c.text)
		}
	}
	// A day far in the future has only its own message, not the theme's.
	if _, err := s.st.Meetings.RecordMeeting(ctx, g.ID, s.user.ID, with(func(in *MeetingInput) { in.HeldOn = "9999-12-31" })); !hasField(err, "held_on", "no later than today") ||
		hasField(err, "held_on", "month") {
		t.Errorf("a meeting in 9999: %v, want only the future's message", fieldsOf(err))
	}
	var n int64
	s.st.DB.Model(&Meeting{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d meetings stored by refused attempts", n)
	}
	if _, err := s.st.Meetings.RecordMeeting(ctx, "no-such-cohort", s.user.ID, good); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown cohort: %v", err)
	}

	m, err := s.st.Meetings.RecordMeeting(ctx, g.ID, s.user.ID, good)
	if err != nil {
		t.Fatal(err)
	}
	if m.ProgramMonth != 6 || m.Theme != "thoughts_beliefs" || m.ThemeTitle != "Thoughts & Beliefs" || m.PlanTitle != "How I see myself" ||
		m.Present != 5 || len(m.Attendance) != 6 || m.RecordedByName != "Casey" || m.Release != "2026.1" {
		t.Fatalf("meeting %+v", m)
	}
	if !reflect.DeepEqual(m.Skills, []string{"affirmations", "self_concept"}) || !reflect.DeepEqual(m.SkillNames, []string{"Affirmations", "Self-concept"}) {
		t.Fatalf("skills %v %v", m.Skills, m.SkillNames)
	}
	// The theme is the one of the meeting's own month: 2026-06-11 is still
	// month 5 of a cohort that started on the 12th.
	may, err := s.st.Meetings.RecordMeeting(ctx, g.ID, s.user.ID, with(func(in *MeetingInput) { in.HeldOn, in.LessonPlan = "2026-06-11", "cs_grounding" }))
	if err != nil {
		t.Fatal(err)
	}
	if may.ProgramMonth != 5 || may.Theme != "coping_strategies" {
		t.Fatalf("meeting of 2026-06-11: month %d theme %s", may.ProgramMonth, may.Theme)
	}
	if after := syncState(t, s.st); !reflect.DeepEqual(before, after) {
		t.Fatal("recording meetings changed the outbox")
	}
	// Membership is that of the meeting's day.
	if err := s.st.Cohorts.RemoveMember(ctx, g.ID, ps[0].ID, "2026-06-18"); err != nil {
		t.Fatal(err)
	}
	if err := s.st.Cohorts.AddMember(ctx, g.ID, outsider.ID, "2026-06-18"); err != nil {
		t.Fatal(err)
	}
	// Membership names the model upstream; meetings change nothing there.
	before = syncState(t, s.st)
	if _, err := s.st.Meetings.RecordMeeting(ctx, g.ID, s.user.ID, with(func(in *MeetingInput) { in.HeldOn = "2026-06-17" })); err != nil {
		t.Fatalf("a meeting before the change of members: %v", err)
	}
	_, err = s.st.Meetings.RecordMeeting(ctx, g.ID, s.user.ID, with(func(in *MeetingInput) { in.HeldOn = "2026-06-19" }))
	if !hasField(err, "attendance."+ps[0].ID, "not a member") || !hasField(err, "attendance", "1 of 6 are not marked") {
		t.Fatalf("a meeting after one left and one joined: %v", fieldsOf(err))
	}

	list, err := s.st.Meetings.Meetings(ctx, g.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].HeldOn != "2026-06-17" || list[2].HeldOn != "2026-06-11" {
		t.Fatalf("meetings %+v", list)
	}
	if _, err := s.st.Meetings.Meeting(ctx, "another-cohort", m.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a meeting through another cohort: %v", err)
	}
	// Meetings are local: only their counts leave, as participation.
	if after := syncState(t, s.st); !reflect.DeepEqual(before, after) {
		t.Fatal("recording meetings changed the outbox")
	}
}

func TestSocialExplorationsMeetingIsWithOneParticipant(t *testing.T) {
	ctx := context.Background()
	s := newMJSite(t)
	a, b := s.person("Ann", "2026-01-12"), s.person("Ben", "2026-01-12")
	c := s.cohort(program.ModelSocialExplorations, a, b)
	in := MeetingInput{HeldOn: "2026-02-20", LessonPlan: "sc_sleep_hygiene", Attendance: map[string]bool{a.ID: true, b.ID: true}, Skills: []string{"sleep_hygiene"}}
	if _, err := s.st.Meetings.RecordMeeting(ctx, c.ID, s.user.ID, in); !hasField(err, "attendance", "one participant") {
		t.Fatalf("a one-to-one meeting with two: %v", fieldsOf(err))
	}
	in.Attendance = map[string]bool{b.ID: true}
	m, err := s.st.Meetings.RecordMeeting(ctx, c.ID, s.user.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attendance) != 1 || m.Attendance[0].Name != "Ben Example" || m.Theme != "self_care" {
		t.Fatalf("meeting %+v", m)
	}
	o, err := s.st.Meetings.MeetingOptions(ctx, c.ID, "2026-04-15")
	if err != nil || o.Theme.Code != "communication" || len(o.Plans) == 0 || o.Plans[0].Theme != "communication" {
		t.Fatalf("options %+v %v", o, err)
	}
	if _, err := s.st.Meetings.MeetingOptions(ctx, c.ID, "2025-12-01"); !hasField(err, "held_on", "before the cohort started") {
		t.Fatalf("options before the start: %v", err)
	}
}
