package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// TestStipendReportMatchesEachParticipant builds a varied month (paid,
// payable, journals missing, a receipt of the month before missing, no
// plan at all, withdrawn during the month (only weeks that end before the
// withdrawal are due), enrolled after it) and checks
// that the report, which reads the month for everyone at once, gives each
// participant exactly what their own stipend month gives, and the rule's
// verdicts the facts call for.
func TestStipendReportMatchesEachParticipant(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	now := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
	st.Now = func() time.Time { return now }
	june := []string{"2026-04-27", "2026-05-04", "2026-05-11", "2026-05-18", "2026-05-25"} // the Mondays of the weeks ending on May's Sundays
	type person struct {
		name, enrolled   string
		journals         []string
		planned, spent   int64
		aprilReceipt     bool
		aprilExpense     bool
		paid, withdrawn  bool
		wantPayable      bool
		wantInReport     bool
		wantJournalsDone int
	}
	people := []person{
		{name: "Avery", enrolled: "2026-01-05", journals: june, planned: 4000, spent: 1500, aprilExpense: true, aprilReceipt: true, paid: true, wantPayable: true, wantInReport: true, wantJournalsDone: 5},
		{name: "Blake", enrolled: "2026-01-05", journals: june, planned: 6000, spent: 6000, wantPayable: true, wantInReport: true, wantJournalsDone: 5},
		{name: "Casey", enrolled: "2026-02-02", journals: june[:2], planned: 2000, wantInReport: true, wantJournalsDone: 2},
		{name: "Devon", enrolled: "2026-01-05", journals: june, aprilExpense: true, wantInReport: true, wantJournalsDone: 5},
		{name: "Emery", enrolled: "2026-03-02", wantInReport: true},
		{name: "Finley", enrolled: "2026-01-05", journals: june[:3], planned: 1000, spent: 500, withdrawn: true, wantPayable: true, wantInReport: true, wantJournalsDone: 3},
		{name: "Gray", enrolled: "2026-06-01", wantInReport: false},
	}
	var ids []string
	for _, x := range people {
		st.Now = func() time.Time { return time.Date(2026, 5, 31, 9, 0, 0, 0, time.UTC) }
		if x.enrolled > "2026-05-31" {
			st.Now = func() time.Time { return now }
		}
		p, err := st.Participants.AddParticipant(ctx, eligible(ParticipantInput{FirstName: x.name, LastName: "Example", BirthDate: "1980-05-05", EnrolledOn: x.enrolled}))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
		gs, err := st.Stipends.SaveGoals(ctx, p.ID, stpGoals(3))
		if err != nil {
			t.Fatal(err)
		}
		stpAddJournal(t, st, p.ID, x.journals...)
		if x.aprilExpense {
			lines, err := st.Stipends.SavePlan(ctx, p.ID, "2026-04", []PlanLineInput{{GoalID: gs[2].ID, Description: "cinema", PlannedCents: 1200}})
			if err != nil {
				t.Fatal(err)
			}
			e, err := st.Stipends.AddExpense(ctx, stpCoach, p.ID, ExpenseInput{GoalID: gs[2].ID, PlanLineID: lines[0].ID, SpentOn: "2026-04-20", AmountCents: 1100, What: "tickets"})
			if err != nil {
				t.Fatal(err)
			}
			if x.aprilReceipt {
				if _, err := st.Stipends.AddReceipt(ctx, stpCoach, p.ID, e.ID, "image/png", stpPNG); err != nil {
					t.Fatal(err)
				}
			}
		}
		if x.planned > 0 {
			lines, err := st.Stipends.SavePlan(ctx, p.ID, "2026-05", []PlanLineInput{{GoalID: gs[0].ID, Description: "class", PlannedCents: x.planned}})
			if err != nil {
				t.Fatal(err)
			}
			if x.spent > 0 {
				e, err := st.Stipends.AddExpense(ctx, stpCoach, p.ID, ExpenseInput{GoalID: gs[0].ID, PlanLineID: lines[0].ID, SpentOn: "2026-05-06", AmountCents: x.spent, What: "fee"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st.Stipends.AddReceipt(ctx, stpCoach, p.ID, e.ID, "image/png", stpPNG); err != nil {
					t.Fatal(err)
				}
			}
		}
		st.Now = func() time.Time { return now }
		if x.paid {
			if _, err := st.Stipends.ApprovePayment(ctx, stpDirector, p.ID, "2026-05"); err != nil {
				t.Fatal(err)
			}
		}
		if x.withdrawn {
			st.Now = func() time.Time { return time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC) }
			if err := st.Participants.Withdraw(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			st.Now = func() time.Time { return now }
		}
	}
	rows, err := st.Stipends.StipendReport(ctx, "2026-05")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]StipendReportRow{}
	for _, r := range rows {
		byID[r.Participant.ID] = r
	}
	for i, x := range people {
		r, in := byID[ids[i]]
		if in != x.wantInReport {
			t.Fatalf("%s in the report: %v, want %v", x.name, in, x.wantInReport)
		}
		if !in {
			continue
		}
		one, err := st.Stipends.StipendMonth(ctx, ids[i], "2026-05")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.StipendMonthView, one) {
			t.Errorf("%s: the report's month differs from their own:\nreport %+v\nown    %+v", x.name, r.StipendMonthView, one)
		}
		d := r.Decision
		if d.Payable != x.wantPayable || d.JournalsDone != x.wantJournalsDone || r.PlannedCents != x.planned || r.SpentCents != x.spent || (r.Payment != nil) != x.paid {
			t.Errorf("%s: payable %v (want %v), journals %d (want %d), planned %d, spent %d, paid %v: %v",
				x.name, d.Payable, x.wantPayable, d.JournalsDone, x.wantJournalsDone, r.PlannedCents, r.SpentCents, r.Payment != nil, d.Reasons)
		}
		wantBalance := -x.spent
		if x.aprilExpense {
			wantBalance -= 1100
		}
		if x.paid {
			wantBalance += 6000
		}
		if r.BalanceCents != wantBalance || len(r.Goals) != 3 || len(r.Lines) != map[bool]int{true: 1, false: 0}[x.planned > 0] {
			t.Errorf("%s: balance %d (want %d), %d goals, %d lines", x.name, r.BalanceCents, wantBalance, len(r.Goals), len(r.Lines))
		}
	}
	// The report is kept until a change: an audit line keeps it, a
	// journal for Casey's third week shows at once.
	if err := st.Audit(ctx, User{ID: "u1", Name: "Dana", Role: RoleDirector}, "view_stipends", "site", "", "month 2026-05"); err != nil {
		t.Fatal(err)
	}
	stpAddJournal(t, st, ids[2], june[2])
	rows, err = st.Stipends.StipendReport(ctx, "2026-05")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Participant.ID == ids[2] && r.Decision.JournalsDone != 3 {
			t.Errorf("Casey after a third journal: %d journals done, want 3", r.Decision.JournalsDone)
		}
	}
}
