package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// stpGoals makes n complete goals for the free slots.
func stpGoals(n int) []GoalInput {
	out := make([]GoalInput, n)
	for i := range out {
		out[i] = GoalInput{Title: "Goal " + string(rune('A'+i)), Why: "to meet people", ActionPlan: "go once a week"}
	}
	return out
}

func TestThreeGoalsAtMost(t *testing.T) {
	ctx := context.Background()
	st := openTestAt(t, time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC))
	p := addPeople(t, st, 1)[0]
	var ve *ValidationError
	var ves ValidationErrors

	// Four at once: refused, nothing stored.
	if _, err := st.Stipends.SaveGoals(ctx, p.ID, stpGoals(4)); !errors.As(err, &ve) || ve.Field != "goals" {
		t.Fatalf("four goals: %v", err)
	}
	// One by one into the free slots: the fourth is refused.
	for i, g := range stpGoals(3) {
		gs, err := st.Stipends.SaveGoals(ctx, p.ID, []GoalInput{g})
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) != i+1 || gs[i].Slot != i+1 {
			t.Fatalf("after goal %d: %+v", i+1, gs)
		}
	}
	if _, err := st.Stipends.SaveGoals(ctx, p.ID, stpGoals(1)); !errors.As(err, &ves) || !strings.Contains(ves.Error(), "already has 3 social goals") {
		t.Fatalf("a fourth goal: %v", err)
	}
	if _, err := st.Stipends.SaveGoals(ctx, p.ID, []GoalInput{{Slot: 4, Title: "x", ActionPlan: "y"}}); !errors.As(err, &ves) || ves[0].Field != "goals[0].slot" {
		t.Fatalf("slot 4: %v", err)
	}
	before, _ := st.Stipends.Goals(ctx, p.ID)
	if len(before) != 3 {
		t.Fatalf("%d goals", len(before))
	}

	// Rewriting keeps the goal (plans and expenses name it).
	gs, err := st.Stipends.SaveGoals(ctx, p.ID, []GoalInput{{Slot: 2, Title: "Join the walking club", Why: "fresh air and company", ActionPlan: "Ask at the library; go on Saturday"}})
	if err != nil {
		t.Fatal(err)
	}
	if gs[1].ID != before[1].ID || gs[1].Title != "Join the walking club" || gs[0].Title != before[0].Title || !gs[1].UpdatedAt.Equal(st.Now()) {
		t.Fatalf("rewrite: %+v", gs)
	}

	// Bad input changes nothing, not even the valid goals sent with it.
	_, err = st.Stipends.SaveGoals(ctx, p.ID, []GoalInput{
		{Slot: 1, Title: "Changed", ActionPlan: "changed"},
		{Slot: 3, Title: "", Why: "", ActionPlan: ""}, // emptying an existing goal
		{Slot: 2, Title: "No plan", ActionPlan: " "},
	})
	if !errors.As(err, &ves) || len(ves) != 3 {
		t.Fatalf("bad goals: %v", err)
	}
	fields := ves.Error()
	for _, f := range []string{"goals[1].title", "goals[1].action_plan", "goals[2].action_plan"} {
		if !strings.Contains(fields, f) {
			t.Errorf("no message for %s: %v", f, fields)
		}
	}
	after, _ := st.Stipends.Goals(ctx, p.ID)
	if after[0].Title != before[0].Title || after[2].Title != before[2].Title {
		t.Fatalf("a refused save changed goals: %+v", after)
	}
	if _, err := st.Stipends.SaveGoals(ctx, p.ID, []GoalInput{{Slot: 1, Title: "a", ActionPlan: "b"}, {Slot: 1, Title: "c", ActionPlan: "d"}}); !errors.As(err, &ves) {
		t.Fatalf("one slot twice: %v", err)
	}

	// Unknown participant; withdrawn participant.
	if _, err := st.Stipends.SaveGoals(ctx, "nobody", stpGoals(1)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown participant: %v", err)
	}
	if err := st.Participants.Withdraw(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stipends.SaveGoals(ctx, p.ID, []GoalInput{{Slot: 1, Title: "x", ActionPlan: "y"}}); !errors.As(err, &ve) || ve.Field != "participant" {
		t.Fatalf("withdrawn: %v", err)
	}
}
