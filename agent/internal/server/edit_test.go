package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

func TestCorrectAndDeleteMeetings(t *testing.T) {
	s := newMTSite(t)
	ctx := context.Background()
	base := "/api/v1/cohorts/" + s.group.ID + "/meetings"
	att := map[string]bool{}
	for _, p := range s.members {
		att[p.ID] = true
	}
	in := map[string]any{"held_on": "2026-06-16", "lesson_plan": "tb_affirmations", "attendance": att, "skills": []string{"affirmations"}, "notes": "first notes"}
	var m store.MeetingView
	if st := s.call(s.casey, "POST", base, in, &m); st != 201 {
		t.Fatalf("record: %d", st)
	}
	one := base + "/" + m.ID
	// Another coach may neither correct nor delete it.
	in["notes"] = "robin was here"
	if st := s.call(s.robin, "PUT", one, in, nil); st != 403 {
		t.Fatalf("another coach corrects a meeting: %d", st)
	}
	if st := s.call(s.robin, "DELETE", one, nil, nil); st != 403 {
		t.Fatalf("another coach deletes a meeting: %d", st)
	}
	// The rules apply again: a plan of another theme, or an outsider, is refused and nothing changes.
	bad := map[string]any{"held_on": "2026-06-16", "lesson_plan": "com_listening", "attendance": map[string]bool{s.outsider.ID: true}, "skills": []string{"affirmations"}}
	var prob problem
	if st := s.call(s.casey, "PUT", one, bad, &prob); st != 422 || !prob.has("lesson_plan", "another theme") || !prob.has("attendance."+s.outsider.ID, "not a member") {
		t.Fatalf("a bad correction: %d %s", st, prob.all())
	}
	if got, _ := s.st.Meetings.Meeting(ctx, s.group.ID, m.ID); got.Notes != "first notes" || got.Present != 6 {
		t.Fatalf("a refused correction changed the meeting: %+v", got)
	}
	// The coach corrects it: Ann was absent after all, and another skill.
	att[s.members[0].ID] = false
	in = map[string]any{"held_on": "2026-06-17", "lesson_plan": "tb_affirmations", "attendance": att, "skills": []string{"affirmations", "self_care"}, "notes": "corrected"}
	var got store.MeetingView
	if st := s.call(s.casey, "PUT", one, in, &got); st != 200 {
		t.Fatalf("correct: %d", st)
	}
	if got.ID != m.ID || got.HeldOn != "2026-06-17" || got.Present != 5 || len(got.Skills) != 2 || got.Notes != "corrected" || got.RecordedBy != s.caseyUser.ID {
		t.Fatalf("corrected meeting %+v", got)
	}
	if st := s.call(s.dir, "PUT", base+"/nope", in, &prob); st != 404 {
		t.Fatalf("correct a meeting that does not exist: %d", st)
	}
	if n := countAudit(s.audit(s.group.ID), "Casey", "update_meeting"); n != 1 {
		t.Fatalf("%d audit lines for the correction", n)
	}
	if st := s.call(s.dir, "DELETE", one, nil, nil); st != 204 {
		t.Fatalf("the director deletes: %d", st)
	}
	if _, err := s.st.Meetings.Meeting(ctx, s.group.ID, m.ID); err == nil {
		t.Fatal("the meeting is still there")
	}
	var left int64
	s.st.DB.Model(&store.MeetingAttendance{}).Where("meeting_id = ?", m.ID).Count(&left)
	if left != 0 || countAudit(s.audit(s.group.ID), "Dana", "delete_meeting") != 1 {
		t.Fatalf("after deleting: %d attendance rows, audit %+v", left, s.audit(s.group.ID))
	}
	if st := s.call(s.dir, "DELETE", one, nil, nil); st != 404 {
		t.Fatalf("delete twice: %d", st)
	}
}

func TestCorrectAndDeleteMeetingsOnPages(t *testing.T) {
	s := newMTSite(t)
	att := map[string]bool{}
	for _, p := range s.members {
		att[p.ID] = true
	}
	m, err := s.st.Meetings.RecordMeeting(context.Background(), s.group.ID, s.caseyUser.ID, store.MeetingInput{HeldOn: "2026-06-16", LessonPlan: "tb_affirmations", Attendance: att,
		Skills: []string{"affirmations"}, Notes: "first notes"})
	s.must(err)
	b := s.browser("casey@example.org")
	cohort := "/cohorts/" + s.group.ID
	edit := cohort + "/meetings/" + m.ID
	st, body := b.get(cohort)
	if st != 200 {
		t.Fatalf("cohort page: %d", st)
	}
	mustContain(t, "cohort page", body, `href="`+edit+`/edit"`, `href="`+edit+`/delete"`)
	st, body = b.get(edit + "/edit")
	if st != 200 {
		t.Fatalf("edit page: %d", st)
	}
	mustContain(t, "edit page", body, "first notes", `value="tb_affirmations" checked`, `name="present" value="`+s.members[0].ID+`" checked`, `<label for="meeting_notes">`)
	f := url.Values{"held_on": {"2026-06-16"}, "lesson_plan": {"tb_affirmations"}, "skills": {"affirmations"}, "notes": {"corrected on the page"}}
	for _, p := range s.members[1:] {
		f.Add("present", p.ID)
	}
	bad := url.Values{"held_on": {"2026-06-16"}, "lesson_plan": {"com_listening"}, "notes": {"kept in the form"}}
	if st, body := b.post(edit, bad); st != 422 || !strings.Contains(body, "nothing was saved") || !strings.Contains(body, "kept in the form") {
		t.Fatalf("a bad correction: %d", st)
	}
	if st, body := b.post(edit, f); st != 200 || !strings.Contains(body, "Meeting corrected.") || !strings.Contains(body, "corrected on the page") || !strings.Contains(body, "Absent: Ann Example") {
		t.Fatalf("correct on the page: %d", st)
	}
	// Another coach cannot open the forms.
	robin := s.browser("robin@example.org")
	for _, p := range []string{edit + "/edit", edit + "/delete"} {
		if st, _ := robin.get(p); st != 403 {
			t.Fatalf("another coach opens %s: %d", p, st)
		}
	}
	if st, _ := robin.post(edit+"/delete", url.Values{}); st != 403 {
		t.Fatalf("another coach deletes: %d", st)
	}
	// Deleting asks first.
	st, body = b.get(edit + "/delete")
	if st != 200 {
		t.Fatalf("confirm page: %d", st)
	}
	mustContain(t, "confirm page", body, "Delete this meeting?", "The meeting of 2026-06-16", `action="`+edit+`/delete"`, `id="confirm-cancel"`)
	if st, body := b.post(edit+"/delete", url.Values{}); st != 200 || !strings.Contains(body, "Meeting deleted.") || !strings.Contains(body, "No meetings recorded yet") {
		t.Fatalf("delete on the page: %d", st)
	}
	if st, _ := b.get(edit + "/edit"); st != 404 {
		t.Fatalf("edit a deleted meeting: %d", st)
	}
}

// jointSite is mtSite with Ann and Ben paired in Casey's group since
// March, and Robin the coach Ann chose (so Robin sees Ann but does not
// lead her group).
func jointSite(t *testing.T) (*mtSite, store.Participant, store.Participant) {
	s := newMTSite(t)
	ann, ben := s.members[0], s.members[1]
	_, _, err := s.st.Pairs.FormPair(context.Background(), s.group.ID, store.PairInput{ParticipantIDs: []string{ann.ID, ben.ID}, FormedOn: "2026-03-01"})
	s.must(err)
	var robin store.Coach
	s.must(s.st.DB.Where("name = ?", "Robin").First(&robin).Error)
	s.must(s.st.DB.Exec("UPDATE participants SET coach_id = ? WHERE id = ?", robin.ID, ann.ID).Error)
	return s, ann, ben
}

func TestJointOutingCountsForBothPartners(t *testing.T) {
	s, ann, ben := jointSite(t)
	var o store.Outing
	if st := s.call(s.casey, "POST", "/api/v1/participants/"+ann.ID+"/outings", map[string]any{"date": "2026-04-02", "activity": "Bowling", "stage": 3, "partner_id": ben.ID, "cost_cents": 800}, &o); st != 201 {
		t.Fatalf("joint outing: %d", st)
	}
	var v store.OutingsView
	if st := s.call(s.casey, "GET", "/api/v1/participants/"+ben.ID+"/outings", nil, &v); st != 200 {
		t.Fatalf("partner's outings: %d", st)
	}
	// Ben's outings, stage and chart count it; the cost is Ann's.
	if len(v.Outings) != 1 || v.Outings[0].ID != o.ID || v.Outings[0].ParticipantID != ann.ID || v.CurrentStage != 3 || v.Progression[2].Highest != 3 || v.TotalCostCents != 0 {
		t.Fatalf("Ben's outings %+v", v)
	}
	if st := s.call(s.casey, "GET", "/api/v1/participants/"+ann.ID+"/outings", nil, &v); st != 200 || v.CurrentStage != 3 || v.TotalCostCents != 800 {
		t.Fatalf("Ann's outings: %d %+v", st, v)
	}
	// The pairs view shows both partners at stage 3.
	var pv store.PairsView
	if st := s.call(s.casey, "GET", "/api/v1/cohorts/"+s.group.ID+"/pairs", nil, &pv); st != 200 || len(pv.Current) != 1 {
		t.Fatalf("pairs: %d %+v", st, pv)
	}
	for _, x := range pv.Current[0].Partners {
		if x.Stage != 3 {
			t.Errorf("%s is at stage %d in the pairs view", x.Name, x.Stage)
		}
	}
	// Ben's page shows it as a joint outing recorded for Ann, and his chart has the step.
	b := s.browser("casey@example.org")
	_, body := b.get("/participants/" + ben.ID + "?tab=outings")
	mustContain(t, "Ben's page", body, "Bowling", "joint outing, recorded for Ann Example", "month 3: stage 3")
	// An outing alone (stage 4) is Ann's only.
	if st := s.call(s.casey, "POST", "/api/v1/participants/"+ann.ID+"/outings", map[string]any{"date": "2026-04-09", "activity": "Library", "stage": 4}, nil); st != 201 {
		t.Fatalf("alone: %d", st)
	}
	if s.call(s.casey, "GET", "/api/v1/participants/"+ben.ID+"/outings", nil, &v); len(v.Outings) != 1 {
		t.Fatalf("Ben has Ann's outing alone: %+v", v.Outings)
	}
}

func TestCorrectAndDeleteOutings(t *testing.T) {
	s, ann, ben := jointSite(t)
	base := "/api/v1/participants/" + ann.ID + "/outings"
	var o store.Outing
	if st := s.call(s.casey, "POST", base, map[string]any{"date": "2026-04-02", "activity": "Bowling", "stage": 3, "partner_id": ben.ID}, &o); st != 201 {
		t.Fatalf("outing: %d", st)
	}
	one := base + "/" + o.ID
	// Robin sees Ann (she chose him) but does not lead her group.
	if st := s.call(s.robin, "GET", base, nil, nil); st != 200 {
		t.Fatalf("Robin reads Ann's outings: %d", st)
	}
	upd := map[string]any{"date": "2026-04-03", "activity": "Bowling night", "stage": 2, "partner_id": ben.ID}
	if st := s.call(s.robin, "PUT", one, upd, nil); st != 403 {
		t.Fatalf("another coach corrects an outing: %d", st)
	}
	if st := s.call(s.robin, "DELETE", one, nil, nil); st != 403 {
		t.Fatalf("another coach deletes an outing: %d", st)
	}
	// The rules apply again: a partner does not come along at stage 4.
	var prob problem
	if st := s.call(s.casey, "PUT", one, map[string]any{"date": "2026-04-03", "activity": "Bowling", "stage": 4, "partner_id": ben.ID}, &prob); st != 422 || !prob.has("partner_id", "stage 2") {
		t.Fatalf("a bad correction: %d %s", st, prob.all())
	}
	// Through the partner's address the outing is not theirs to change.
	if st := s.call(s.casey, "PUT", "/api/v1/participants/"+ben.ID+"/outings/"+o.ID, upd, nil); st != 404 {
		t.Fatalf("correct through the partner: %d", st)
	}
	var got store.Outing
	if st := s.call(s.casey, "PUT", one, upd, &got); st != 200 || got.ID != o.ID || got.Stage != 2 || got.Activity != "Bowling night" || got.OutingOn != "2026-04-03" {
		t.Fatalf("correct: %+v", got)
	}
	var v store.OutingsView
	if s.call(s.casey, "GET", "/api/v1/participants/"+ben.ID+"/outings", nil, &v); len(v.Outings) != 1 || v.CurrentStage != 2 {
		t.Fatalf("Ben after the correction: %+v", v)
	}
	es := s.audit(ann.ID)
	if countAudit(es, "Casey", "update_outing") != 2 || countAudit(es, "Robin", "update_outing") != 1 || countAudit(es, "Robin", "delete_outing") != 1 {
		t.Fatalf("audit %+v", es)
	}
	// Pages: the edit form, the confirmation, the removal.
	b := s.browser("casey@example.org")
	page := "/participants/" + ann.ID + "/outings/" + o.ID
	_, body := b.get("/participants/" + ann.ID + "?tab=outings")
	mustContain(t, "Ann's page", body, `href="`+page+`/edit"`)
	if _, body := b.get("/participants/" + ben.ID + "?tab=outings"); strings.Contains(body, page+"/edit") {
		t.Error("Ben's page offers to edit Ann's outing")
	}
	st, body := b.get(page + "/edit")
	if st != 200 {
		t.Fatalf("edit page: %d", st)
	}
	mustContain(t, "edit page", body, `value="Bowling night"`, `value="2026-04-03"`, `<option value="2" selected>`)
	if st, body := b.post(page, url.Values{"date": {"2026-04-03"}, "activity": {""}, "stage": {"2"}, "cost": {"x"}}); st != 422 || !strings.Contains(body, "nothing was saved") {
		t.Fatalf("bad form: %d", st)
	}
	if st, _ := b.post(page, url.Values{"date": {"2026-04-04"}, "activity": {"Bowling league"}, "stage": {"3"}, "partner_id": {ben.ID}, "cost": {"4.50"}}); st != 200 {
		t.Fatalf("correct on the page: %d", st)
	}
	if o2, _ := s.st.Outings.Outing(context.Background(), ann.ID, o.ID); o2.Activity != "Bowling league" || o2.CostCents != 450 {
		t.Fatalf("stored %+v", o2)
	}
	robin := s.browser("robin@example.org")
	if st, _ := robin.get(page + "/edit"); st != 403 {
		t.Fatalf("Robin opens the edit page: %d", st)
	}
	st, body = b.get(page + "/delete")
	if st != 200 {
		t.Fatalf("confirm page: %d", st)
	}
	mustContain(t, "confirm page", body, "Delete this outing?", "Bowling league", "joint outing")
	if st, _ := b.post(page+"/delete", url.Values{}); st != 200 {
		t.Fatalf("delete on the page: %d", st)
	}
	if s.call(s.casey, "GET", "/api/v1/participants/"+ben.ID+"/outings", nil, &v); len(v.Outings) != 0 || v.CurrentStage != 0 {
		t.Fatalf("Ben after the removal: %+v", v)
	}
	if st := s.call(s.dir, "DELETE", one, nil, nil); st != 404 {
		t.Fatalf("delete twice: %d", st)
	}
}
