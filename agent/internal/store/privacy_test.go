package store

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// TestSiteOperationsStayAtTheSite plants a unique string in every free-text
// field of the site's program features and checks that the outbox, the only
// thing that ever leaves the agent, holds nothing but the contract's
// de-identified record types and none of the strings. (The end-to-end canary
// test shows the outbox is all that crosses the wire.)
func TestSiteOperationsStayAtTheSite(t *testing.T) {
	ctx := context.Background()
	// The release's own smallest group of participants.
	st := openTestK(t, 0)
	now := time.Date(2026, 6, 17, 10, 0, 0, 0, time.UTC) // a Wednesday
	st.Now = func() time.Time { return now }
	canary := func(field string) string { return "zqcanary-" + field }
	var planted []string
	plant := func(field string) string { planted = append(planted, canary(field)); return canary(field) }

	c, err := st.Coaches.AddCoach(ctx, CoachInput{Name: plant("coach-name"), Bio: plant("coach-bio")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Coaches.RecordCertification(ctx, c.ID, "site", Certification{Code: plant("cert"), CertifiedUntil: "2027-12-31"}); err != nil {
		t.Fatal(err)
	}
	coh, err := st.Cohorts.AddCohort(ctx, CohortInput{Name: plant("cohort-name"), Model: program.ModelPeerPartners, StartDate: "2026-01-05", CoachID: c.ID, Location: plant("location")})
	if err != nil {
		t.Fatal(err)
	}
	var ps []Participant
	for i := 0; i < 6; i++ {
		in := eligible(ParticipantInput{FirstName: plant("first"), LastName: "X" + string(rune('a'+i)), BirthDate: "2009-03-01", EnrolledOn: "2026-01-05",
			Phone: plant("phone"), Email: "zq" + string(rune('a'+i)) + "@example.org", Address: plant("address"), AgeOverrideReason: plant("override")})
		p, err := st.Participants.AddParticipant(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Cohorts.AddMember(ctx, coh.ID, p.ID, "2026-01-05"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Participants.RecordInterview(ctx, p.ID, contract.TimepointEligibility, InterviewInput{InterviewedOn: "2026-01-05", Answers: allAnswers(true), Notes: plant("pom-notes")}); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	p := ps[0]
	rel := program.Default()
	att := map[string]bool{}
	for _, m := range ps {
		att[m.ID] = true
	}
	plan := ""
	if plans := rel.PlansFor("thoughts_beliefs"); len(plans) > 0 {
		plan = plans[0].Code
	}
	if _, err := st.Meetings.RecordMeeting(ctx, coh.ID, "u1", MeetingInput{HeldOn: "2026-06-16", LessonPlan: plan, Attendance: att, Skills: []string{"listening"}, Notes: plant("meeting-notes")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Journals.SaveJournal(ctx, p.ID, "2026-06-15", "u1", map[string]string{rel.JournalPrompts[0].Code: plant("journal")}); err != nil {
		t.Fatal(err)
	}
	goals, err := st.Stipends.SaveGoals(ctx, p.ID, []GoalInput{{Slot: 1, Title: plant("goal"), Why: plant("why"), ActionPlan: plant("action-plan")}})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := st.Stipends.SavePlan(ctx, p.ID, "2026-06", []PlanLineInput{{GoalID: goals[0].ID, Description: plant("plan-line"), PlannedCents: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stipends.AddExpense(ctx, User{ID: "u1", Role: RoleDirector}, p.ID, ExpenseInput{GoalID: goals[0].ID, PlanLineID: lines[0].ID, SpentOn: "2026-06-16", AmountCents: 1500, What: plant("expense")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pairs.SavePairingProfile(ctx, p.ID, PairingProfileInput{Interests: []string{plant("interest")}, Notes: plant("pairing-notes")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outings.AddOuting(ctx, p.ID, OutingInput{Date: "2026-06-16", Activity: plant("outing"), Stage: 1, CostCents: 500}); err != nil {
		t.Fatal(err)
	}
	// Outcomes: hospitalizations (their dates stay here) and surveys. A
	// free-text service name is refused, never stored.
	consenting := eligible(ParticipantInput{FirstName: plant("first-h"), LastName: plant("last-h"), BirthDate: "1931-03-01", EnrolledOn: "2026-01-05",
		HospitalizationConsentOn: "2026-01-05", Phone: plant("phone-h")})
	hp, err := st.Participants.AddParticipant(ctx, consenting)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Cohorts.AddMember(ctx, coh.ID, hp.ID, "2026-01-05"); err != nil {
		t.Fatal(err)
	}
	if err := st.Outcomes.SetHospitalizationsBefore(ctx, hp.ID, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outcomes.AddHospitalStay(ctx, hp.ID, "2026-03-09"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outcomes.AddServiceChange(ctx, hp.ID, ServiceChange{Service: "crisis_services", Change: "stopped", ChangedOn: "2026-04-14"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outcomes.AddServiceChange(ctx, hp.ID, ServiceChange{Service: plant("service-name"), Change: "started", ChangedOn: "2026-04-14"}); err == nil {
		t.Fatal("a free-text service was accepted")
	}
	answers := map[string]string{}
	for _, s := range rel.Survey.Statements {
		answers[s.Code] = contract.AnswerSomewhatAgree
	}
	if err := st.Surveys.RecordSurvey(ctx, SurveyInput{Timepoint: contract.TimepointMidpoint, Model: contract.ModelPeerPartners, Answers: answers}); err != nil {
		t.Fatal(err)
	}
	if err := st.Surveys.RecordSurvey(ctx, SurveyInput{Timepoint: contract.TimepointMidpoint, Answers: map[string]string{rel.Survey.Statements[0].Code: plant("survey-answer")}}); err == nil {
		t.Fatal("a free-text survey answer was accepted")
	}
	codes, err := st.Surveys.IssueSurveyCodes(ctx, contract.TimepointClosing, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Surveys.SubmitSurvey(ctx, codes[0], answers); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Surveys.ReleaseSurveys(ctx, 1); err != nil || n != 2 {
		t.Fatalf("released %d surveys: %v", n, err)
	}
	if err := st.Participants.Withdraw(ctx, ps[5].ID); err != nil {
		t.Fatal(err)
	}

	var recs []SyncRecord
	if err := st.DB.Find(&recs).Error; err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, r := range recs {
		if !r.Deleted {
			types[r.Type]++
		}
	}
	// 6 participants, 5 interviews, 5 months of participation (those
	// begun by the end of May) for the 6 members still in (the withdrawn
	// one's are tombstones), 5 cohort months, one hospitalization record,
	// two surveys.
	if want := map[string]int{contract.TypeParticipant: 6, contract.TypePOMInterview: 5, contract.TypeParticipation: 30, contract.TypeCohortMonth: 5,
		contract.TypeHospitalization: 1, contract.TypeSurveyResponse: 2}; !reflect.DeepEqual(types, want) {
		t.Fatalf("outbox holds %v, want %v", types, want)
	}
	uuidRE := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	date := regexp.MustCompile(`\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}`)
	year := regexp.MustCompile(`(19|20)\d\d`)
	for _, r := range recs {
		switch r.Type {
		case contract.TypeParticipant, contract.TypePOMInterview, contract.TypeParticipation, contract.TypeCohortMonth, contract.TypeHospitalization, contract.TypeSurveyResponse:
		default:
			t.Errorf("record type %q leaves the site", r.Type)
		}
		for _, c := range planted {
			if strings.Contains(r.Data, c) {
				t.Errorf("%q reached the outbox in a %s record", c, r.Type)
			}
		}
		if err := contract.ValidateRecord(contract.Record{ID: r.ID, Type: r.Type, Version: r.Version, Hash: r.Hash, Deleted: r.Deleted, Data: contract.RawJSON(r.Data)}); err != nil && !r.Deleted {
			t.Errorf("outbox record %s would be refused by the hub: %v", r.ID, err)
		}
		// Ages leave only as a band (the participants here were 16 and
		// 94 at enrollment); no date leaves at all; a year only in the
		// fields that are years.
		// Random keys are left out of the search: one can hold "1931".
		data := uuidRE.ReplaceAllString(r.Data, "<key>")
		if strings.Contains(data, "1931") || strings.Contains(data, "2009") || strings.Contains(data, `"94"`) || date.MatchString(data) {
			t.Errorf("a date or an age reached the outbox: %s", r.Data)
		}
		var fields map[string]any
		if !r.Deleted {
			if err := json.Unmarshal([]byte(r.Data), &fields); err != nil {
				t.Fatal(err)
			}
		}
		for k, v := range fields {
			if str, ok := v.(string); ok && year.MatchString(str) && k != "release" && !contract.ValidID(str) {
				t.Errorf("a year inside the text of field %s of a %s record: %q", k, r.Type, str)
			}
		}
	}
	// The 94-year-old is the only one over 17 of a group of six: no band
	// finer than "any" holds five of them, so all six leave as "any".
	for _, r := range outboxOf[contract.Hospitalization](t, st, contract.TypeHospitalization) {
		if r.AgeBand != "any" {
			t.Errorf("a 94-year-old, the only adult of six, left as %q", r.AgeBand)
		}
	}
	for _, r := range outboxOf[contract.Participant](t, st, contract.TypeParticipant) {
		if r.AgeBand != "any" || r.Model != contract.ModelPeerPartners {
			t.Errorf("a participant of the group of six left as %q, %q", r.AgeBand, r.Model)
		}
	}
	if len(planted) < 20 {
		t.Fatalf("only %d strings planted", len(planted))
	}
}
