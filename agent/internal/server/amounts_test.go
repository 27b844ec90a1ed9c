package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
)

// TestUnreadableAmountsHideNoOtherMistake: on the spending-plan, expense
// and outing forms, an amount that cannot be read is reported with what is
// wrong with it, together with the form's other mistakes, and nothing is
// saved; a month out of range says so.
func TestUnreadableAmountsHideNoOtherMistake(t *testing.T) {
	s := newSiteAt(t, stipendDay)
	ctx := context.Background()
	s.user("dir@example.org", "Dana", store.RoleDirector)
	b := s.browser("dir@example.org")
	p := s.participant("Avery")
	page := "/participants/" + p.ID
	gs, err := s.st.Stipends.SaveGoals(ctx, p.ID, []store.GoalInput{{Slot: 1, Title: "Join a choir", ActionPlan: "Visit two choirs"}})
	s.must(err)
	_, err = s.st.Stipends.SavePlan(ctx, p.ID, "2026-06", []store.PlanLineInput{{GoalID: gs[0].ID, Description: "choir fee", PlannedCents: 2000}})
	s.must(err)

	for _, c := range []struct{ amount, msg string }{
		{"-5", "without a minus sign"},
		{"1e9", "with digits and a decimal point only"},
		{"1000000", "Enter an amount of at most $999,999.99."},
		{"12.505", "at most two decimals"},
	} {
		st, body := b.post(page+"/plans/2026-06/lines", url.Values{"goal_id": {""}, "description": {""}, "amount": {c.amount}})
		if st != 422 || !strings.Contains(body, `id="err-amount"`) || !strings.Contains(body, c.msg) || !strings.Contains(body, `id="err-goal_id"`) ||
			!strings.Contains(body, `id="err-description"`) {
			t.Errorf("plan line of %q without a goal or description: %d, not every mistake said", c.amount, st)
		}
		st, body = b.post(page+"/expenses", url.Values{"month": {"2026-06"}, "plan_line_id": {""}, "spent_on": {"2026-06-06"}, "amount": {c.amount}, "what": {""}})
		if st != 422 || !strings.Contains(body, `id="err-amount"`) || !strings.Contains(body, c.msg) || !strings.Contains(body, `id="err-plan_line_id"`) ||
			!strings.Contains(body, `id="err-what"`) {
			t.Errorf("expense of %q without a plan line: %d, not every mistake said", c.amount, st)
		}
		outingMsg := c.msg
		if c.amount == "1000000" { // an amount, but more than an outing costs
			outingMsg = "more than $1000 for one outing"
		}
		st, body = b.post(page+"/outings", url.Values{"date": {"2026-06-06"}, "activity": {""}, "stage": {"1"}, "cost": {c.amount}})
		if st != 422 || !strings.Contains(body, outingMsg) || !strings.Contains(body, "say what the outing was") {
			t.Errorf("outing costing %q without an activity: %d, not every mistake said", c.amount, st)
		}
	}
	mv, err := s.st.Stipends.StipendMonth(ctx, p.ID, "2026-06")
	s.must(err)
	outs, err := s.st.Outings.Outings(ctx, p.ID)
	s.must(err)
	if len(mv.Lines) != 1 || len(mv.Expenses) != 0 || len(outs) != 0 {
		t.Fatalf("refused forms saved: %d lines, %d expenses, %d outings", len(mv.Lines), len(mv.Expenses), len(outs))
	}

	for q, want := range map[string]string{"9999-12": "Enter a month from 2000-01 to 2200-12.", "December": "Enter the month as YYYY-MM, such as 2026-12."} {
		if st, body := b.get("/stipends?month=" + q); st != 422 || !strings.Contains(body, want) {
			t.Errorf("/stipends?month=%s: %d, does not say %q", q, st, want)
		}
	}
}
