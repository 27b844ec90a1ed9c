package store

import (
	"context"
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
	st := openTest(t)
	now := time.Date(2026, 6, 17, 10, 0, 0, 0, time.UTC) // a Wednesday
	st.Now = func() time.Time { return now }
	canary := func(field string) string { return "zqcanary-" + field }
	var planted []string
	plant := func(field string) string { planted = append(planted, canary(field)); return canary(field) }

	c, err := st.AddCoach(ctx, CoachInput{Name: plant("coach-name"), Bio: plant("coach-bio")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordCertification(ctx, c.ID, "site", Certification{Code: plant("cert"), CertifiedUntil: "2027-12-31"}); err != nil {
		t.Fatal(err)
	}
	coh, err := st.AddCohort(ctx, CohortInput{Name: plant("cohort-name"), Model: program.ModelPeerPartners, StartDate: "2026-01-05", CoachID: c.ID, Location: plant("location")})
	if err != nil {
		t.Fatal(err)
	}
	var ps []Participant
	for i := 0; i < 6; i++ {
		in := eligible(ParticipantInput{FirstName: plant("first"), LastName: "X", BirthDate: "2009-03-01", EnrolledOn: "2026-01-05",
			Phone: plant("phone"), Email: "zq" + string(rune('a'+i)) + "@example.org", Address: plant("address"), AgeOverrideReason: plant("override")})
		p, err := st.AddParticipant(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddMember(ctx, coh.ID, p.ID, "2026-01-05"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RecordInterview(ctx, p.ID, contract.TimepointEligibility, InterviewInput{InterviewedOn: "2026-01-05", Answers: allAnswers(true), Notes: plant("pom-notes")}); err != nil {
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
	if _, err := st.RecordMeeting(ctx, coh.ID, "u1", MeetingInput{HeldOn: "2026-06-16", LessonPlan: plan, Attendance: att, Skills: []string{"listening"}, Notes: plant("meeting-notes")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveJournal(ctx, p.ID, "2026-06-15", "u1", map[string]string{rel.JournalPrompts[0].Code: plant("journal")}); err != nil {
		t.Fatal(err)
	}
	goals, err := st.SaveGoals(ctx, p.ID, []GoalInput{{Slot: 1, Title: plant("goal"), Why: plant("why"), ActionPlan: plant("action-plan")}})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := st.SavePlan(ctx, p.ID, "2026-06", []PlanLineInput{{GoalID: goals[0].ID, Description: plant("plan-line"), PlannedCents: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddExpense(ctx, User{ID: "u1", Role: RoleDirector}, p.ID, ExpenseInput{GoalID: goals[0].ID, PlanLineID: lines[0].ID, SpentOn: "2026-06-16", AmountCents: 1500, What: plant("expense")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SavePairingProfile(ctx, p.ID, PairingProfileInput{Interests: []string{plant("interest")}, Notes: plant("pairing-notes")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddOuting(ctx, p.ID, OutingInput{Date: "2026-06-16", Activity: plant("outing"), Stage: 1, CostCents: 500}); err != nil {
		t.Fatal(err)
	}
	if err := st.Withdraw(ctx, ps[5].ID); err != nil {
		t.Fatal(err)
	}

	var recs []SyncRecord
	if err := st.DB.Find(&recs).Error; err != nil {
		t.Fatal(err)
	}
	if len(recs) != 12 {
		t.Fatalf("outbox holds %d records, want 6 participants and 6 interviews", len(recs))
	}
	for _, r := range recs {
		if r.Type != contract.TypeParticipant && r.Type != contract.TypePOMInterview {
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
		// Ages: everyone here was 16 at enrollment, which leaves only as a band.
		if strings.Contains(r.Data, "2009") || strings.Contains(r.Data, "2026-0") {
			t.Errorf("a date reached the outbox: %s", r.Data)
		}
	}
	if len(planted) < 20 {
		t.Fatalf("only %d strings planted", len(planted))
	}
}
