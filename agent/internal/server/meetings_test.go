package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

// mtSite is a site on Saturday 2026-06-20 with a director, two coaches
// with their own cohorts, and the people in them.
type mtSite struct {
	*site
	dir, casey, robin     string // API tokens
	caseyUser             store.User
	group, oneToOne       store.Cohort
	members, pair         []store.Participant
	outsider, robinPerson store.Participant
}

func newMTSite(t *testing.T) *mtSite {
	t.Helper()
	ctx := context.Background()
	s := &mtSite{site: newSite(t)}
	st, must := s.st, s.must
	_, s.dir = s.user("dir@example.org", "Dana", store.RoleDirector)
	s.caseyUser, s.casey = s.user("casey@example.org", "Casey", store.RoleCoach)
	robinUser, robinTok := s.user("robin@example.org", "Robin", store.RoleCoach)
	s.robin = robinTok
	casey := s.certifiedCoach("Casey", s.caseyUser.ID)
	robin := s.certifiedCoach("Robin", robinUser.ID)
	var err error
	s.group, err = st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "Tuesday group", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: casey.ID})
	must(err)
	s.oneToOne, err = st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "Casey's caseload", Model: program.ModelSocialExplorations, StartDate: "2026-01-12", CoachID: casey.ID})
	must(err)
	robinGroup, err := st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "Robin's group", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: robin.ID})
	must(err)
	for _, n := range []string{"Ann", "Ben", "Cal", "Dee", "Eve", "Fay"} {
		p := s.participant(n)
		must(st.Cohorts.AddMember(ctx, s.group.ID, p.ID, "2026-01-12"))
		s.members = append(s.members, p)
	}
	for _, n := range []string{"Gus", "Hal"} {
		p := s.participant(n)
		must(st.Cohorts.AddMember(ctx, s.oneToOne.ID, p.ID, "2026-01-12"))
		s.pair = append(s.pair, p)
	}
	s.robinPerson = s.participant("Ria")
	must(st.Cohorts.AddMember(ctx, robinGroup.ID, s.robinPerson.ID, "2026-01-12"))
	s.outsider = s.participant("Out")
	return s
}

func TestMeetingsThroughTheAPI(t *testing.T) {
	s := newMTSite(t)
	base := "/api/v1/cohorts/" + s.group.ID
	var opts struct {
		ProgramMonth int `json:"program_month"`
		Theme        struct{ Code string }
		Plans        []struct{ Code, Theme string } `json:"lesson_plans"`
	}
	if st := s.call(s.casey, "GET", base+"/lesson-plans", nil, &opts); st != 200 || opts.ProgramMonth != 6 || opts.Theme.Code != "thoughts_beliefs" || len(opts.Plans) == 0 {
		t.Fatalf("lesson plans today: %d %+v", st, opts)
	}
	for _, p := range opts.Plans {
		if p.Theme != "thoughts_beliefs" {
			t.Errorf("plan %s of theme %s offered in a Thoughts & Beliefs month", p.Code, p.Theme)
		}
	}
	if st := s.call(s.casey, "GET", base+"/lesson-plans?date=2026-04-14", nil, &opts); st != 200 || opts.Theme.Code != "communication" {
		t.Fatalf("lesson plans in April: %d %+v", st, opts)
	}
	var prob problem
	if st := s.call(s.casey, "GET", base+"/lesson-plans?date=2025-12-01", nil, &prob); st != 422 || !prob.has("held_on", "before the cohort started") {
		t.Fatalf("lesson plans before the start: %d %+v", st, prob)
	}

	att := map[string]bool{}
	for _, p := range s.members {
		att[p.ID] = true
	}
	att[s.members[0].ID] = false
	meeting := map[string]any{"held_on": "2026-06-16", "lesson_plan": "tb_affirmations", "attendance": att, "skills": []string{"affirmations"}, "notes": "Good energy."}

	// The rules, through the API.
	bad := map[string]any{"held_on": "2026-06-16", "lesson_plan": "com_listening", "attendance": map[string]bool{s.outsider.ID: true}, "skills": []string{"juggling"}}
	prob = problem{}
	if st := s.call(s.casey, "POST", base+"/meetings", bad, &prob); st != 422 || !prob.has("lesson_plan", "another theme") ||
		!prob.has("attendance."+s.outsider.ID, "not a member") || !prob.has("skills", "not a skill") || !prob.has("attendance", "6 of 6 are not marked") {
		t.Fatalf("a meeting breaking every rule: %d %+v", st, prob)
	}
	if st := s.call(s.casey, "POST", base+"/meetings", map[string]any{"held_on": "2026-06-16", "mood": "fine"}, nil); st != 400 {
		t.Fatalf("an unknown field: %d", st)
	}
	// Another coach may neither record nor read this cohort's meetings.
	if st := s.call(s.robin, "POST", base+"/meetings", meeting, nil); st != 403 {
		t.Fatalf("another coach records: %d", st)
	}
	if st := s.call(s.robin, "GET", base+"/meetings", nil, nil); st != 403 {
		t.Fatalf("another coach lists: %d", st)
	}
	if st := s.call(s.casey, "GET", "/api/v1/cohorts/nope/meetings", nil, nil); st != 404 {
		t.Fatalf("an unknown cohort: %d", st)
	}
	if ms, _ := s.st.Meetings.Meetings(context.Background(), s.group.ID, 0); len(ms) != 0 {
		t.Fatalf("%d meetings stored by refused requests", len(ms))
	}

	var m struct {
		ID, Theme  string
		ThemeTitle string `json:"theme_title"`
		Present    int
		Attendance []struct {
			ParticipantID string `json:"participant_id"`
			Present       bool
		}
		Skills []string
		Notes  string
	}
	if st := s.call(s.casey, "POST", base+"/meetings", meeting, &m); st != 201 || m.Theme != "thoughts_beliefs" || m.ThemeTitle != "Thoughts & Beliefs" ||
		m.Present != 5 || len(m.Attendance) != 6 || m.Notes != "Good energy." || len(m.Skills) != 1 {
		t.Fatalf("record a meeting: %d %+v", st, m)
	}
	var list []struct{ ID string }
	if st := s.call(s.dir, "GET", base+"/meetings", nil, &list); st != 200 || len(list) != 1 || list[0].ID != m.ID {
		t.Fatalf("the director lists: %d %+v", st, list)
	}
	if st := s.call(s.casey, "GET", base+"/meetings/"+m.ID, nil, nil); st != 200 {
		t.Fatalf("one meeting: %d", st)
	}
	if st := s.call(s.casey, "GET", "/api/v1/cohorts/"+s.oneToOne.ID+"/meetings/"+m.ID, nil, nil); st != 404 {
		t.Fatalf("a meeting through another cohort: %d", st)
	}
	if n := countAudit(s.audit(s.group.ID), "Casey", "record_meeting"); n != 1 {
		t.Fatalf("%d audit lines for the meeting", n)
	}

	// One to one: one participant.
	one := map[string]any{"held_on": "2026-06-18", "lesson_plan": "tb_self_concept", "attendance": map[string]bool{s.pair[0].ID: true, s.pair[1].ID: true}, "skills": []string{"self_concept"}}
	prob = problem{}
	if st := s.call(s.casey, "POST", "/api/v1/cohorts/"+s.oneToOne.ID+"/meetings", one, &prob); st != 422 || !prob.has("attendance", "one participant") {
		t.Fatalf("a one-to-one meeting with two: %d %+v", st, prob)
	}
	one["attendance"] = map[string]bool{s.pair[1].ID: true}
	if st := s.call(s.dir, "POST", "/api/v1/cohorts/"+s.oneToOne.ID+"/meetings", one, nil); st != 201 {
		t.Fatalf("the director records a one-to-one meeting: %d", st)
	}
}

func TestJournalsThroughTheAPI(t *testing.T) {
	s := newMTSite(t)
	p := s.members[0]
	base := "/api/v1/participants/" + p.ID + "/journals"
	answers := map[string]any{"answers": map[string]string{"week_summary": "Joined a walking group.", "skills_practised": "Starting conversations"}}

	var prob problem
	if st := s.call(s.casey, "PUT", base+"/2026-06-16", answers, &prob); st != 422 || !prob.has("week_start", "is a Tuesday") {
		t.Fatalf("a Tuesday: %d %+v", st, prob)
	}
	prob = problem{}
	if st := s.call(s.casey, "PUT", base+"/2026-06-22", answers, &prob); st != 422 || !prob.has("week_start", "has not begun") {
		t.Fatalf("next week: %d %+v", st, prob)
	}
	prob = problem{}
	if st := s.call(s.casey, "PUT", base+"/2026-06-15", map[string]any{"answers": map[string]string{"week_summary": strings.Repeat("x", 4001)}}, &prob); st != 422 ||
		!prob.has("answers.week_summary", "4000") {
		t.Fatalf("a long answer: %d %+v", st, prob)
	}
	if st := s.call(s.robin, "PUT", base+"/2026-06-15", answers, nil); st != 403 {
		t.Fatalf("another coach enters a journal: %d", st)
	}
	var e struct {
		WeekStart     string            `json:"week_start"`
		Answers       map[string]string `json:"answers"`
		EnteredByName string            `json:"entered_by_name"`
		ReviewedBy    string            `json:"reviewed_by"`
		ReviewedName  string            `json:"reviewed_by_name"`
		ReviewedAt    *time.Time        `json:"reviewed_at"`
	}
	if st := s.call(s.casey, "PUT", base+"/2026-06-15", answers, &e); st != 200 || e.WeekStart != "2026-06-15" || e.EnteredByName != "Casey" ||
		e.Answers["week_summary"] != "Joined a walking group." || e.ReviewedAt != nil {
		t.Fatalf("enter a journal: %d %+v", st, e)
	}
	if st := s.call(s.dir, "PUT", base+"/2026-06-08", answers, nil); st != 200 {
		t.Fatalf("the director enters a journal: %d", st)
	}
	if st := s.call(s.casey, "POST", base+"/2026-06-15/review", nil, &e); st != 200 || e.ReviewedName != "Casey" || e.ReviewedAt == nil {
		t.Fatalf("review: %d %+v", st, e)
	}
	if st := s.call(s.casey, "POST", base+"/2026-06-01/review", nil, nil); st != 404 {
		t.Fatalf("review of a week without a journal: %d", st)
	}
	if st := s.call(s.robin, "POST", base+"/2026-06-08/review", nil, nil); st != 403 {
		t.Fatalf("another coach reviews: %d", st)
	}

	var got struct {
		Completion struct{ Weeks, Entered, Percent int }
		Entries    []struct {
			WeekStart  string     `json:"week_start"`
			ReviewedAt *time.Time `json:"reviewed_at"`
		}
	}
	// From 2026-01-12 (a Monday) to the week of 2026-06-15, in progress and in: 23 weeks.
	if st := s.call(s.casey, "GET", base, nil, &got); st != 200 || got.Completion.Weeks != 23 || got.Completion.Entered != 2 || got.Completion.Percent != 9 ||
		len(got.Entries) != 2 || got.Entries[0].WeekStart != "2026-06-15" || got.Entries[0].ReviewedAt == nil || got.Entries[1].ReviewedAt != nil {
		t.Fatalf("journals: %d %+v", st, got)
	}
	if st := s.call(s.robin, "GET", base, nil, nil); st != 403 {
		t.Fatalf("another coach reads the journals: %d", st)
	}
	if st := s.call(s.casey, "GET", "/api/v1/participants/nobody/journals", nil, nil); st != 404 {
		t.Fatalf("journals of nobody: %d", st)
	}
	// Every view and change is in the audit log; refused ones are not.
	log := s.audit(p.ID)
	for _, c := range []struct {
		user, action string
		want         int
	}{
		{"Casey", "view_journals", 1}, {"Casey", "record_journal", 4}, {"Dana", "record_journal", 1}, {"Casey", "review_journal", 2},
		{"Robin", "view_journals", 0}, {"Robin", "record_journal", 0}, {"Robin", "review_journal", 0},
	} {
		if n := countAudit(log, c.user, c.action); n != c.want {
			t.Errorf("%s %s: %d audit lines, want %d", c.user, c.action, n, c.want)
		}
	}
}

func TestMeetingsOnTheCohortPage(t *testing.T) {
	s := newMTSite(t)
	b := s.browser("casey@example.org")
	path := "/cohorts/" + s.group.ID
	st, body := b.get(path)
	if st != 200 {
		t.Fatalf("cohort page: %d", st)
	}
	// This month's plans are offered, not another month's.
	mustContain(t, "cohort page", body, `id="meeting-form"`, "No meetings recorded yet", `value="tb_affirmations"`, "Noticing and questioning unhelpful thoughts",
		`name="present" value="`+s.members[0].ID+`" checked`, `name="skills" value="grounding"`, `<label for="meeting_held_on">`)
	if strings.Contains(body, `value="com_listening"`) {
		t.Error("a Communication plan is offered in a Thoughts & Beliefs month")
	}
	form := func() url.Values {
		f := url.Values{"held_on": {"2026-06-16"}, "lesson_plan": {"tb_affirmations"}, "skills": {"affirmations", "self_care"}, "notes": {"Role play went well."}}
		for _, p := range s.members[1:] {
			f.Add("present", p.ID)
		}
		return f
	}
	// Mistakes: clear messages, the form kept, nothing stored.
	f := form()
	f.Set("lesson_plan", "com_listening")
	f.Add("present", s.outsider.ID)
	f.Del("skills")
	st, body = b.post(path+"/meetings", f)
	if st != 422 {
		t.Fatalf("a bad meeting form: %d", st)
	}
	mustContain(t, "bad meeting form", body, `id="error-summary"`, "nothing was saved", "Lesson plan: \u201cEffective listening\u201d is a plan for another theme",
		"Someone marked present or absent is not a member of this cohort on the meeting&#39;s day", "Skills practised: name at least one", "Role play went well.")
	if strings.Contains(body, "Out Example") {
		t.Error("the refused form names the participant who is not a member")
	}
	if ms, _ := s.st.Meetings.Meetings(context.Background(), s.group.ID, 0); len(ms) != 0 {
		t.Fatal("a refused form stored a meeting")
	}
	// Without the CSRF field nothing happens.
	f = form()
	f.Set("csrf", "forged")
	if st, _ := b.post(path+"/meetings", f); st != 403 {
		t.Fatalf("a forged form: %d", st)
	}
	st, body = b.post(path+"/meetings", form())
	if st != 200 {
		t.Fatalf("record a meeting: %d", st)
	}
	mustContain(t, "after recording", body, "Meeting recorded.", `id="meeting-list"`, "Tue 16 Jun 2026", "Month 6: Thoughts &amp; Beliefs", "Affirmations, Self-care",
		"5 of 6 present", "Absent: Ann Example", "Role play went well.")
	ms, _ := s.st.Meetings.Meetings(context.Background(), s.group.ID, 0)
	if len(ms) != 1 || ms[0].Present != 5 || ms[0].RecordedBy != s.caseyUser.ID {
		t.Fatalf("stored meetings %+v", ms)
	}

	// One to one: the form names one participant.
	st, body = b.get("/cohorts/" + s.oneToOne.ID)
	if st != 200 {
		t.Fatalf("one-to-one cohort page: %d", st)
	}
	mustContain(t, "one-to-one page", body, `<label for="meeting_participant">Participant met</label>`, `name="attended" value="no"`)
	st, _ = b.post("/cohorts/"+s.oneToOne.ID+"/meetings", url.Values{"held_on": {"2026-06-19"}, "lesson_plan": {"tb_self_concept"}, "skills": {"self_concept"},
		"participant_id": {s.pair[0].ID}, "attended": {"no"}})
	if st != 200 {
		t.Fatalf("one-to-one meeting: %d", st)
	}
	if ms, _ := s.st.Meetings.Meetings(context.Background(), s.oneToOne.ID, 0); len(ms) != 1 || ms[0].Present != 0 || len(ms[0].Attendance) != 1 {
		t.Fatalf("one-to-one meetings %+v", ms)
	}

	// A cohort that has not started takes no meetings yet.
	later, err := s.st.Cohorts.AddCohort(context.Background(), store.CohortInput{Name: "Autumn group", Model: program.ModelPeerPartners, StartDate: "2026-09-01", CoachID: s.group.CoachID})
	if err != nil {
		t.Fatal(err)
	}
	if st, body := b.get("/cohorts/" + later.ID); st != 200 || !strings.Contains(body, "No meeting can be recorded today: the cohort starts on 2026-09-01.") ||
		strings.Contains(body, `id="meeting-form"`) {
		t.Fatalf("a cohort not started: %d", st)
	}

	// Another coach sees neither the page nor may post to it.
	robin := s.browser("robin@example.org")
	if st, _ := robin.get(path); st != 403 {
		t.Fatalf("another coach opens the cohort: %d", st)
	}
	if st, _ := robin.post(path+"/meetings", form()); st != 403 {
		t.Fatalf("another coach records a meeting: %d", st)
	}
}

func TestJournalOnTheParticipantPage(t *testing.T) {
	s := newMTSite(t)
	b := s.browser("casey@example.org")
	p := s.members[1]
	path := "/participants/" + p.ID
	st, body := b.get(path + "?tab=journals")
	if st != 200 {
		t.Fatalf("participant page: %d", st)
	}
	mustContain(t, "participant page", body, `id="journals"`, "No journal entries yet", `id="journal-form"`, `value="2026-06-15"`,
		`<label for="journal_a_goals_worked_on">What goals did I work on this week?</label>`, "Completion: <strong>0%</strong> (0 of 22 weeks")

	st, body = b.post(path+"/journals", url.Values{"week_start": {"2026-06-17"}, "a_week_summary": {"Went bowling with my partner."}})
	if st != 422 {
		t.Fatalf("a Wednesday: %d", st)
	}
	mustContain(t, "bad journal form", body, `id="error-summary"`, "Wed 17 Jun 2026 is a Wednesday; a week starts on a Monday", `href="#journal_week_start"`,
		`aria-invalid="true" aria-describedby="journal_week_start-hint err-week_start"`, "Went bowling with my partner.")
	st, body = b.post(path+"/journals", url.Values{"week_start": {"2026-06-15"}})
	if st != 422 {
		t.Fatalf("an empty journal: %d", st)
	}
	mustContain(t, "empty journal", body, "Answer at least one")
	if es, _ := s.st.Journals.Journals(context.Background(), p.ID); len(es) != 0 {
		t.Fatal("a refused form stored a journal")
	}

	st, body = b.post(path+"/journals", url.Values{"week_start": {"2026-06-15"}, "a_week_summary": {"Went bowling with my partner."}, "a_skills_to_learn": {"Small talk"}})
	if st != 200 {
		t.Fatalf("enter a journal: %d", st)
	}
	mustContain(t, "after entering", body, "Journal saved.", "Week of Mon 15 Jun 2026", "not reviewed", "Went bowling with my partner.",
		"Entered by Casey", "Mark reviewed", "Completion: <strong>4%</strong> (1 of 23 weeks")
	// This week's entry comes back into the form for a correction.
	if !strings.Contains(body, `name="a_skills_to_learn" rows="2" maxlength="4000">Small talk</textarea>`) {
		t.Error("this week's answers are not in the form")
	}
	st, body = b.post(path+"/journals/2026-06-15/review", url.Values{})
	if st != 200 {
		t.Fatalf("review: %d", st)
	}
	mustContain(t, "after review", body, `<span class="badge ok">reviewed</span>`, `reviewed by Casey on <time datetime="2026-06-20T09:00:00Z">Sat 20 Jun, 09:00</time>`)
	if strings.Contains(body, "Mark reviewed") {
		t.Error("a reviewed entry still offers review")
	}
	if st, body := b.post(path+"/journals/2026-06-08/review", url.Values{}); st != 404 || !strings.Contains(body, "no journal entry for the week of 2026-06-08") {
		t.Fatalf("review of a week without an entry: %d", st)
	}

	// An earlier week's entry opens in the form for a correction.
	if st, _ := b.post(path+"/journals", url.Values{"week_start": {"2026-06-08"}, "a_feelings_about_skills": {"Nervous but proud"}}); st != 200 {
		t.Fatalf("enter last week's journal: %d", st)
	}
	st, body = b.get(path + "?journal_week=2026-06-08")
	if st != 200 || !strings.Contains(body, `href="/participants/`+p.ID+`?tab=journals&amp;journal_week=2026-06-08#journal-form">Correct this entry`) ||
		!strings.Contains(body, `name="week_start" type="date" required value="2026-06-08"`) ||
		!strings.Contains(body, `name="a_feelings_about_skills" rows="2" maxlength="4000">Nervous but proud</textarea>`) {
		t.Fatalf("correcting last week's entry: %d", st)
	}

	// Another coach may not enter this participant's journal.
	robin := s.browser("robin@example.org")
	if st, _ := robin.post(path+"/journals", url.Values{"week_start": {"2026-06-15"}, "a_week_summary": {"x"}}); st != 403 {
		t.Fatalf("another coach enters a journal: %d", st)
	}
	// Opening the page with the journal is audited.
	if n := countAudit(s.audit(p.ID), "Casey", "view"); n == 0 {
		t.Error("the page view was not audited")
	}
	if n := countAudit(s.audit(p.ID), "Casey", "record_journal"); n != 4 {
		t.Errorf("%d record_journal lines, want 4", n)
	}
}
