package store

import (
	"context"
	"errors"
	"testing"

	"github.com/itsmylife/iml/agent/internal/rules"
)

func TestOutingsBoundsAndPartners(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 4, true)
	st, ps := s.st, s.ps
	ok := OutingInput{Date: "2026-02-03", Activity: "Coffee downtown", Stage: 1, CostCents: 450}
	for _, c := range []struct {
		name   string
		change func(*OutingInput)
		field  string
		want   string
	}{
		{"stage 0", func(o *OutingInput) { o.Stage = 0 }, "stage", "must be 1"},
		{"stage 5", func(o *OutingInput) { o.Stage = 5 }, "stage", "must be 1"},
		{"negative cost", func(o *OutingInput) { o.CostCents = -100 }, "cost_cents", "negative"},
		{"future", func(o *OutingInput) { o.Date = "2026-06-21" }, "date", "no later than today"},
		{"before enrollment", func(o *OutingInput) { o.Date = "2026-01-11" }, "date", "before the participant's enrollment on Mon 12 Jan 2026"},
		{"not a date", func(o *OutingInput) { o.Date = "03/02/2026" }, "date", "such as 2026-03-04"},
		{"no activity", func(o *OutingInput) { o.Activity = " " }, "activity", "say what"},
		{"not a partner", func(o *OutingInput) { o.Stage, o.PartnerID = 3, ps[1].ID }, "partner_id", "was not"},
	} {
		in := ok
		c.change(&in)
		_, err := st.Outings.AddOuting(ctx, ps[0].ID, in)
		wantRefused(t, c.name, err, c.field, c.want)
	}
	if os, _ := st.Outings.Outings(ctx, ps[0].ID); len(os) != 0 {
		t.Fatalf("refused outings were stored: %+v", os)
	}
	// The database refuses what the rules refuse, whatever writes it.
	if err := st.DB.Create(&Outing{ID: "x", ParticipantID: ps[0].ID, OutingOn: "2026-02-03", Activity: "x", Stage: 5}).Error; err == nil {
		t.Fatal("the database took stage 5")
	}
	if err := st.DB.Create(&Outing{ID: "y", ParticipantID: ps[0].ID, OutingOn: "2026-02-03", Activity: "x", Stage: 1, CostCents: -1}).Error; err == nil {
		t.Fatal("the database took a negative cost")
	}
	for stage := 1; stage <= 4; stage++ {
		in := ok
		in.Stage = stage
		if _, err := st.Outings.AddOuting(ctx, ps[0].ID, in); err != nil {
			t.Fatalf("stage %d: %v", stage, err)
		}
	}
	// With the peer partner: only while they were partners, at stage 2 or 3.
	pr := s.pair(t, ps[0].ID, ps[1].ID)
	if _, err := st.Pairs.EndPair(ctx, s.cohort.ID, pr.ID, EndPairInput{EndedOn: "2026-04-30", Reason: rules.EndDifferentProgression}); err != nil {
		t.Fatal(err)
	}
	goals, err := st.Stipends.SaveGoals(ctx, ps[0].ID, []GoalInput{{Slot: 1, Title: "Join a club", ActionPlan: "Visit two clubs"}})
	if err != nil {
		t.Fatal(err)
	}
	others, err := st.Stipends.SaveGoals(ctx, ps[1].ID, []GoalInput{{Slot: 1, Title: "Cook for friends", ActionPlan: "Invite one"}})
	if err != nil {
		t.Fatal(err)
	}
	with := OutingInput{Date: "2026-03-10", Activity: "Bowling", Stage: 3, PartnerID: ps[1].ID, GoalID: others[0].ID, CostCents: 1200}
	_, err = st.Outings.AddOuting(ctx, ps[0].ID, with)
	wantRefused(t, "another participant's goal", err, "goal_id", "Choose one of this participant's goals")
	with.GoalID = goals[0].ID
	o, err := st.Outings.AddOuting(ctx, ps[0].ID, with)
	if err != nil || o.PartnerID != ps[1].ID || o.GoalID != goals[0].ID {
		t.Fatalf("outing with the partner: %+v %v", o, err)
	}
	with.Date = "2026-05-02"
	_, err = st.Outings.AddOuting(ctx, ps[0].ID, with)
	wantRefused(t, "after the pair ended", err, "partner_id", "was not")
	with.Date, with.Stage = "2026-03-11", 4
	_, err = st.Outings.AddOuting(ctx, ps[0].ID, with)
	wantRefused(t, "partner on their own", err, "partner_id", "on their own")
	if _, err := st.Outings.AddOuting(ctx, "nope", ok); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown participant: %v", err)
	}
	if err := st.Participants.Withdraw(ctx, ps[3].ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.Outings.AddOuting(ctx, ps[3].ID, ok)
	wantRefused(t, "withdrawn", err, "participant", "withdrawn")
}

func TestOutingProgressionPerMonth(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 2, true)
	st, p := s.st, s.ps[0]
	v, err := st.Outings.ViewOutings(ctx, p.ID)
	if err != nil || v.CurrentStage != 0 || len(v.Progression) != 12 || v.ProgramMonth != 6 {
		t.Fatalf("no outings: %+v %v", v, err)
	}
	for _, o := range []OutingInput{
		{Date: "2026-01-20", Activity: "Cafe with coach", Stage: 1, CostCents: 500},
		{Date: "2026-02-05", Activity: "Library with coach and a friend", Stage: 2}, // still month 1
		{Date: "2026-03-14", Activity: "Park walk", Stage: 3, CostCents: 0},         // month 3
		{Date: "2026-03-30", Activity: "Museum", Stage: 2, CostCents: 1500},         // month 3
		{Date: "2026-05-20", Activity: "Cinema alone", Stage: 4, CostCents: 1100},   // month 5
		{Date: "2026-06-01", Activity: "Cafe with coach", Stage: 1},                 // month 5
		{Date: "2026-06-15", Activity: "Bus trip with coach", Stage: 1},             // month 6
	} {
		if _, err := st.Outings.AddOuting(ctx, p.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	v, err = st.Outings.ViewOutings(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{2, 0, 3, 0, 4, 1, 0, 0, 0, 0, 0, 0}
	for i, m := range v.Progression {
		if m.Month != i+1 || m.Highest != want[i] {
			t.Errorf("month %d: %+v, want highest %d", i+1, m, want[i])
		}
	}
	if v.Progression[0].Outings != 2 || v.Progression[2].Outings != 2 {
		t.Errorf("outing counts %+v", v.Progression[:3])
	}
	// The latest three (06-15, 06-01, 05-20) include a stage 4.
	if v.CurrentStage != 4 || v.CurrentStageName != "on their own" || v.TotalCostCents != 3100 || len(v.Outings) != 7 || v.Outings[0].OutingOn != "2026-06-15" {
		t.Fatalf("view %+v", v)
	}
	// Another outing with the coach pushes the stage-4 one out of the latest three.
	if _, err := st.Outings.AddOuting(ctx, p.ID, OutingInput{Date: "2026-06-18", Activity: "Market with coach", Stage: 1}); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Outings.ViewOutings(ctx, p.ID); v.CurrentStage != 1 {
		t.Fatalf("stage after three outings with the coach: %d", v.CurrentStage)
	}
	if _, err := st.Outings.ViewOutings(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown participant: %v", err)
	}
}

func TestJointOutingsAndCorrections(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 4, true)
	st, ps := s.st, s.ps
	s.pair(t, ps[0].ID, ps[1].ID)
	joint, err := st.Outings.AddOuting(ctx, ps[0].ID, OutingInput{Date: "2026-03-03", Activity: "Museum", Stage: 2, PartnerID: ps[1].ID, CostCents: 900})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outings.AddOuting(ctx, ps[1].ID, OutingInput{Date: "2026-02-10", Activity: "Walk", Stage: 1}); err != nil {
		t.Fatal(err)
	}
	// One record, in both partners' outings, stages and progression.
	var n int64
	st.DB.Model(&Outing{}).Count(&n)
	v, err := st.Outings.ViewOutings(ctx, ps[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || len(v.Outings) != 2 || v.Outings[0].ID != joint.ID || v.CurrentStage != 2 || v.Progression[1].Highest != 2 || v.Progression[0].Highest != 1 || v.TotalCostCents != 0 {
		t.Fatalf("%d records; the partner's view %+v", n, v)
	}
	stages, err := currentStages(st.DB, []string{ps[0].ID, ps[1].ID, ps[2].ID})
	if err != nil || stages[ps[0].ID] != 2 || stages[ps[1].ID] != 2 || stages[ps[2].ID] != 0 {
		t.Fatalf("current stages %v %v", stages, err)
	}
	// A correction is checked again and changes nothing when refused.
	_, err = st.Outings.UpdateOuting(ctx, ps[0].ID, joint.ID, OutingInput{Date: "2026-03-03", Activity: "Museum", Stage: 1, PartnerID: ps[1].ID})
	wantRefused(t, "partner at stage 1", err, "partner_id", "stage 2")
	if _, err := st.Outings.UpdateOuting(ctx, ps[1].ID, joint.ID, OutingInput{Date: "2026-03-03", Activity: "Museum", Stage: 3}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("corrected through the partner: %v", err)
	}
	o, err := st.Outings.UpdateOuting(ctx, ps[0].ID, joint.ID, OutingInput{Date: "2026-03-04", Activity: "Museum and cafe", Stage: 3, PartnerID: ps[1].ID})
	if err != nil || o.ID != joint.ID || o.Stage != 3 || o.CreatedAt != joint.CreatedAt {
		t.Fatalf("corrected %+v %v", o, err)
	}
	if v, _ := st.Outings.ViewOutings(ctx, ps[1].ID); v.CurrentStage != 3 {
		t.Fatalf("the partner's stage after the correction: %d", v.CurrentStage)
	}
	// Without the partner it is the recorder's alone.
	if _, err := st.Outings.UpdateOuting(ctx, ps[0].ID, joint.ID, OutingInput{Date: "2026-03-04", Activity: "Museum", Stage: 3}); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Outings.ViewOutings(ctx, ps[1].ID); len(v.Outings) != 1 || v.CurrentStage != 1 {
		t.Fatalf("the partner still has it: %+v", v.Outings)
	}
	if _, err := st.Outings.DeleteOuting(ctx, ps[1].ID, joint.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted through another participant: %v", err)
	}
	if _, err := st.Outings.DeleteOuting(ctx, ps[0].ID, joint.ID); err != nil {
		t.Fatal(err)
	}
	if os, _ := st.Outings.Outings(ctx, ps[0].ID); len(os) != 0 {
		t.Fatalf("left %+v", os)
	}
}

func TestLeadsParticipant(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 2, true)
	st, ps := s.st, s.ps
	lead, err := st.AddUser(ctx, "lead@example.org", "Casey", RoleCoach, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.AddUser(ctx, "other@example.org", "Robin", RoleCoach, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	st.DB.Exec("UPDATE coaches SET user_id = ? WHERE id = ?", lead.ID, s.cohort.CoachID)
	robin, _ := st.Coaches.AddCoach(ctx, CoachInput{Name: "Robin", UserID: other.ID})
	st.DB.Exec("UPDATE participants SET coach_id = ? WHERE id IN ?", robin.ID, []string{ps[0].ID, ps[1].ID})
	if err := st.Cohorts.RemoveMember(ctx, s.cohort.ID, ps[1].ID, "2026-05-01"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who  User
		p    Participant
		want bool
	}{
		{User{Role: RoleDirector}, ps[0], true},
		{lead, ps[0], true},   // leads her group
		{other, ps[0], false}, // chosen, but another leads her group
		{other, ps[1], true},  // in no cohort now: the coach he chose
		{lead, ps[1], false},
		{User{ID: "x", Role: "participant"}, ps[0], false},
	} {
		if got, err := st.Outings.LeadsParticipant(ctx, c.who, c.p.ID); err != nil || got != c.want {
			t.Errorf("%s for %s: %v %v, want %v", c.who.Name, c.p.FirstName, got, err, c.want)
		}
	}
}
