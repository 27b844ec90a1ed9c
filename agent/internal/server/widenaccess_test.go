package server_test

import (
	"context"
	"maps"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

// enrolledOn takes someone in through the store, enrolled on day and
// with the coach they chose (coachID, "" for none), in no cohort.
func (s *mtSite) enrolledOn(first, day, coachID string) store.Participant {
	s.t.Helper()
	p, err := s.st.Participants.AddParticipant(context.Background(), store.ParticipantInput{FirstName: first, LastName: "Example", BirthDate: "1985-02-03", EnrolledOn: day,
		InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: day, CoachID: coachID})
	s.must(err)
	return p
}

// coachID is the id of the coach named name.
func (s *mtSite) coachID(name string) string {
	s.t.Helper()
	cs, err := s.st.Coaches.Coaches(context.Background())
	s.must(err)
	for _, c := range cs {
		if c.Name == name {
			return c.ID
		}
	}
	s.t.Fatalf("no coach %s", name)
	return ""
}

// memberCount is how many current members a cohort has.
func (s *mtSite) memberCount(cohortID string) int {
	s.t.Helper()
	v, err := s.st.Cohorts.ViewCohort(context.Background(), cohortID)
	s.must(err)
	return len(v.Members)
}

// A coach cannot put in their cohort, and so come to see, a participant
// they do not see already: not through the API, not through the page,
// not with a confirmation that the program year ended. The director can;
// a coach can add whom they see.
func TestCoachAddsOnlyParticipantsTheySee(t *testing.T) {
	s := newMTSite(t)
	robinsPick := s.enrolledOn("Rob", "2026-01-12", s.coachID("Robin"))
	yearEnded := s.enrolledOn("Old", "2025-03-02", "")
	caseysPick := s.enrolledOn("Kim", "2026-01-12", s.coachID("Casey"))
	path := "/api/v1/cohorts/" + s.group.ID + "/members"
	for _, tc := range []struct {
		who     string
		p       store.Participant
		confirm bool
	}{{"no cohort, no coach", s.outsider, false}, {"another coach's", robinsPick, false}, {"year ended, confirmed", yearEnded, true}} {
		var prob problem
		st := s.call(s.casey, "POST", path, map[string]any{"participant_id": tc.p.ID, "joined_on": "2026-06-19", "confirm_year_ended": tc.confirm}, &prob)
		if st != 403 || !strings.Contains(prob.Detail, "not in one of your cohorts") {
			t.Errorf("%s: a coach adds them to their cohort: %d %s", tc.who, st, prob.all())
		}
		if st := s.call(s.casey, "GET", "/api/v1/participants/"+tc.p.ID, nil, nil); st != 403 {
			t.Errorf("%s: afterwards the coach sees their record: %d", tc.who, st)
		}
	}
	if n := s.memberCount(s.group.ID); n != 6 {
		t.Fatalf("refused additions changed the cohort: %d members", n)
	}
	// A wrong id is still a mistake in the field, as for the director.
	var prob problem
	if st := s.call(s.casey, "POST", path, map[string]any{"participant_id": "no-such-person", "joined_on": "2026-06-19"}, &prob); st != 422 || !prob.has("participant_id", "Choose a participant") {
		t.Errorf("an unknown id: %d %s", st, prob.all())
	}

	// The page's form refuses as the participant's page does.
	b := s.browser("casey@example.org")
	for _, f := range []url.Values{{"participant_id": {robinsPick.ID}, "joined_on": {"2026-06-19"}},
		{"participant_id": {yearEnded.ID}, "joined_on": {"2026-06-19"}, store.YearEndedField: {"yes"}}} {
		st, body := b.post("/cohorts/"+s.group.ID+"/members", f)
		if st != 403 || !strings.Contains(body, "This participant is not in one of your cohorts.") || strings.Contains(body, "Example") {
			t.Errorf("the member form adds %s: %d", f.Get("participant_id"), st)
		}
		if st, _ := b.get("/participants/" + f.Get("participant_id")); st != 403 {
			t.Errorf("afterwards the coach sees the participant's page: %d", st)
		}
	}
	if n := s.memberCount(s.group.ID); n != 6 {
		t.Fatalf("refused forms changed the cohort: %d members", n)
	}
	if st, _ := b.post("/cohorts/"+s.group.ID+"/members", url.Values{"participant_id": {""}, "joined_on": {"2026-06-19"}}); st != 422 {
		t.Errorf("the member form with no one chosen: %d", st)
	}

	// Whom the coach sees, they add; the director adds anyone.
	if st := s.call(s.casey, "POST", path, map[string]any{"participant_id": caseysPick.ID, "joined_on": "2026-06-19"}, nil); st != 200 {
		t.Errorf("the coach adds a participant who chose them: %d", st)
	}
	if st := s.call(s.dir, "POST", path, map[string]any{"participant_id": s.outsider.ID, "joined_on": "2026-06-19"}, nil); st != 200 {
		t.Errorf("the director adds a participant: %d", st)
	}
	if n := s.memberCount(s.group.ID); n != 8 {
		t.Errorf("after two additions the cohort has %d members", n)
	}
}

// Pairs and outings name only the coach's own members and partners: a
// coach cannot pair, add to a pair or go out with someone they do not see.
func TestCoachPairsAndOutingsNameOnlyTheirMembers(t *testing.T) {
	s := newMTSite(t)
	ctx := context.Background()
	base := "/api/v1/cohorts/" + s.group.ID + "/pairs"
	var prob problem
	if st := s.call(s.casey, "POST", base, map[string]any{"participant_ids": []string{s.members[0].ID, s.robinPerson.ID}, "formed_on": "2026-06-19"}, &prob); st != 422 ||
		!prob.has("participant_ids", "not a current member") {
		t.Errorf("pair with another coach's participant: %d %s", st, prob.all())
	}
	b := s.browser("casey@example.org")
	if st, body := b.post("/cohorts/"+s.group.ID+"/pairs", url.Values{"participant_a": {s.members[0].ID}, "participant_b": {s.outsider.ID}, "formed_on": {"2026-06-19"}}); st != 422 ||
		strings.Contains(body, "Out Example") {
		t.Errorf("the pair form with a participant in no cohort: %d", st)
	}
	pair, _, err := s.st.Pairs.FormPair(ctx, s.group.ID, store.PairInput{ParticipantIDs: []string{s.members[0].ID, s.members[1].ID}, FormedOn: "2026-06-01"})
	s.must(err)
	if st := s.call(s.casey, "POST", base+"/"+pair.ID+"/join", map[string]any{"participant_id": s.robinPerson.ID, "joined_on": "2026-06-19"}, &prob); st != 422 ||
		!prob.has("participant_ids", "not a current member") {
		t.Errorf("join a pair with another coach's participant: %d %s", st, prob.all())
	}
	if st := s.call(s.casey, "POST", "/api/v1/participants/"+s.members[0].ID+"/outings",
		map[string]any{"date": "2026-06-10", "activity": "Walk", "stage": 3, "partner_id": s.robinPerson.ID}, &prob); st != 422 || !prob.has("partner_id", "was not the participant's peer partner") {
		t.Errorf("an outing with another coach's participant as partner: %d %s", st, prob.all())
	}
	for _, p := range []store.Participant{s.robinPerson, s.outsider} {
		if ps, err := s.st.Pairs.ParticipantPairs(ctx, p.ID); err != nil || len(ps) != 0 {
			t.Errorf("%s was paired: %v %v", p.FirstName, ps, err)
		}
		if os, err := s.st.Outings.Outings(ctx, p.ID); err != nil || len(os) != 0 {
			t.Errorf("%s has outings: %v %v", p.FirstName, os, err)
		}
		if st := s.call(s.casey, "GET", "/api/v1/participants/"+p.ID, nil, nil); st != 403 {
			t.Errorf("the coach sees %s: %d", p.FirstName, st)
		}
	}
}

// A meeting's form never names who is not a member of the cohort; it
// names a member all the same.
func TestMeetingFormNamesOnlyMembers(t *testing.T) {
	s := newMTSite(t)
	late := s.enrolledOn("Zed", "2026-01-12", "")
	s.must(s.st.Cohorts.AddMember(context.Background(), s.group.ID, late.ID, "2026-06-19"))
	b := s.browser("casey@example.org")
	f := url.Values{"held_on": {"2026-06-16"}, "lesson_plan": {"tb_affirmations"}, "skills": {"affirmations"}}
	for _, p := range s.members {
		f.Add("present", p.ID)
	}
	f.Add("present", s.robinPerson.ID)
	st, body := b.post("/cohorts/"+s.group.ID+"/meetings", f)
	if st != 422 {
		t.Fatalf("a meeting naming another coach's participant: %d", st)
	}
	mustContain(t, "refused meeting", body, "Someone marked present or absent is not a member of this cohort on the meeting&#39;s day: reload the page and mark the members it lists",
		"Zed Example: is not a member of this cohort on the meeting&#39;s day")
	if strings.Contains(body, "Ria") {
		t.Error("the refused meeting names another coach's participant")
	}
	if ms, _ := s.st.Meetings.Meetings(context.Background(), s.group.ID, 0); len(ms) != 0 {
		t.Fatal("a refused form stored a meeting")
	}
}

// A member whose program year ended is not on a later meeting's
// attendance: not offered, not counted, refused through the API; a
// meeting before the year ended keeps them, and someone who joined
// after their year ended (confirmed) takes part.
func TestMeetingLeavesOutMembersWhoseYearEnded(t *testing.T) {
	s := newMTSite(t)
	ctx := context.Background()
	ended := s.enrolledOn("Olga", "2025-05-04", "") // the year ends on 3 May 2026
	s.must(s.st.Cohorts.AddMember(ctx, s.group.ID, ended.ID, "2026-01-12"))
	confirmed := s.enrolledOn("Lev", "2025-03-02", "")
	s.must(s.st.Cohorts.AddMember(ctx, s.group.ID, confirmed.ID, "2026-06-01", store.ConfirmYearEnded))

	b := s.browser("casey@example.org")
	path := "/cohorts/" + s.group.ID
	_, body := b.get(path)
	mustContain(t, "cohort page", body, `name="present" value="`+s.members[0].ID+`" checked`, `name="present" value="`+confirmed.ID+`" checked`)
	if strings.Contains(body, `name="present" value="`+ended.ID+`"`) {
		t.Error("a new meeting offers a member whose program year ended")
	}
	f := url.Values{"held_on": {"2026-06-16"}, "lesson_plan": {"tb_affirmations"}, "skills": {"affirmations"}}
	for _, p := range s.members[1:] {
		f.Add("present", p.ID)
	}
	f.Add("present", confirmed.ID)
	st, body := b.post(path+"/meetings", f)
	if st != 200 {
		t.Fatalf("record a meeting: %d", st)
	}
	mustContain(t, "after recording", body, "6 of 7 present")
	ms, err := s.st.Meetings.Meetings(ctx, s.group.ID, 0)
	s.must(err)
	if len(ms) != 1 || len(ms[0].Attendance) != 7 || ms[0].Present != 6 {
		t.Fatalf("stored meetings %+v", ms)
	}
	for _, a := range ms[0].Attendance {
		if a.ParticipantID == ended.ID {
			t.Error("the meeting counts a member whose program year ended")
		}
	}

	// The API: after the year, refused; before it, they are on it.
	base := "/api/v1/cohorts/" + s.group.ID + "/meetings"
	att := map[string]bool{confirmed.ID: true, ended.ID: false}
	for _, p := range s.members {
		att[p.ID] = true
	}
	var prob problem
	if st := s.call(s.casey, "POST", base, map[string]any{"held_on": "2026-06-18", "lesson_plan": "tb_affirmations", "attendance": att, "skills": []string{"affirmations"}}, &prob); st != 422 ||
		!prob.has("attendance."+ended.ID, "program year ended") || len(prob.Errors) != 1 {
		t.Errorf("a meeting after the year with the member: %d %s", st, prob.all())
	}
	delete(att, confirmed.ID) // not a member yet in April
	april := map[string]any{"held_on": "2026-04-14", "lesson_plan": "com_listening", "attendance": maps.Clone(att), "skills": []string{"listening"}}
	var m struct{ ID string }
	if st := s.call(s.casey, "POST", base, april, &m); st != 201 {
		t.Fatalf("a meeting within the year: %d", st)
	}
	delete(att, ended.ID)
	if st := s.call(s.casey, "POST", base, map[string]any{"held_on": "2026-04-21", "lesson_plan": "com_listening", "attendance": att, "skills": []string{"listening"}}, &prob); st != 422 ||
		!prob.has("attendance", "1 of 7 are not marked") {
		t.Errorf("a meeting within the year without the member: %d %s", st, prob.all())
	}
	// A meeting recorded with them after their year (before attendance
	// left such members out) can still be corrected.
	var june struct {
		ID     string
		Errors any
	}
	juneAtt := maps.Clone(att)
	juneAtt[confirmed.ID] = true
	juneIn := map[string]any{"held_on": "2026-06-13", "lesson_plan": "tb_affirmations", "attendance": juneAtt, "skills": []string{"affirmations"}}
	if st := s.call(s.casey, "POST", base, juneIn, &june); st != 201 {
		t.Fatalf("a meeting in June: %d %v", st, june.Errors)
	}
	s.must(s.st.DB.Exec("INSERT INTO meeting_attendance (meeting_id, participant_id, present) VALUES (?, ?, ?)", june.ID, ended.ID, true).Error)
	juneAtt[ended.ID] = true
	juneIn["notes"] = "Corrected."
	if st := s.call(s.casey, "PUT", base+"/"+june.ID, juneIn, &prob); st != 200 {
		t.Errorf("correct a meeting recorded with a member after their year: %d %s", st, prob.all())
	}
	april["notes"] = "Corrected."
	if st := s.call(s.casey, "PUT", base+"/"+m.ID, april, &prob); st != 200 {
		t.Errorf("correct the meeting within the year: %d %s", st, prob.all())
	}
}
