package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestParticipationReadForEveryoneAtOnce: the site report reads every
// participant's records at once (loadParticipation with no participant);
// each participant's months are those read for them alone, and hold the
// figures the test made: the group's meeting held for all and attended
// by those present, a joint outing counted for both partners, a journal,
// an expense without a receipt.
func TestParticipationReadForEveryoneAtOnce(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 4, true) // today 2026-06-20, all enrolled and joined 2026-01-12
	st, a, b := s.st, s.ps[0], s.ps[1]
	s.pair(t, a.ID, b.ID) // 2026-02-01
	att := map[string]bool{}
	for i, p := range s.ps {
		att[p.ID] = i != 3
	}
	if _, err := st.Meetings.RecordMeeting(ctx, s.cohort.ID, "u1", MeetingInput{HeldOn: "2026-03-17", LessonPlan: "si_conversations", Attendance: att, Skills: []string{"listening"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outings.AddOuting(ctx, a.ID, OutingInput{Date: "2026-03-20", Activity: "bowling", Stage: 3, PartnerID: b.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outings.AddOuting(ctx, b.ID, OutingInput{Date: "2026-04-02", Activity: "library", Stage: 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Journals.SaveJournal(ctx, a.ID, "2026-03-16", "u1", map[string]string{"week_summary": "a week"}); err != nil {
		t.Fatal(err)
	}
	goals, err := st.Stipends.SaveGoals(ctx, a.ID, []GoalInput{{Slot: 1, Title: "Bowling", ActionPlan: "Join the league"}})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := st.Stipends.SavePlan(ctx, a.ID, "2026-03", []PlanLineInput{{GoalID: goals[0].ID, Description: "shoes", PlannedCents: 3000}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stipends.AddExpense(ctx, User{ID: "u1", Role: RoleDirector}, a.ID, ExpenseInput{GoalID: goals[0].ID, PlanLineID: lines[0].ID, SpentOn: "2026-03-18", AmountCents: 1250, What: "shoes"}); err != nil {
		t.Fatal(err)
	}
	today := time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC)
	err = st.ReadSnapshot(ctx, func(tx *gorm.DB) error {
		all, err := loadParticipation(tx, "")
		if err != nil {
			return err
		}
		for i, p := range s.ps {
			pp := upstreamPerson{p: p, enrolled: mustDay(p.EnrolledOn), day: today}
			one, err := loadParticipation(tx, p.ID)
			if err != nil {
				return err
			}
			got, alone := all.of(pp), one.of(pp)
			if !reflect.DeepEqual(got, alone) {
				t.Errorf("participant %d: read with everyone %+v, alone %+v", i, got, alone)
			}
			march, april := got[3], got[4]
			if march == nil || april == nil || march.MeetingsHeld != 1 || march.MeetingsAttended != map[bool]int{true: 1}[i != 3] {
				t.Fatalf("participant %d: March %+v, April %+v", i, march, april)
			}
			outings, ok := map[int][2][]int{0: {{0, 0, 1, 0}, {0, 0, 0, 0}}, 1: {{0, 0, 1, 0}, {0, 0, 0, 1}}}[i]
			if !ok {
				outings = [2][]int{{0, 0, 0, 0}, {0, 0, 0, 0}}
			}
			if !reflect.DeepEqual(march.OutingsByStage, outings[0]) || !reflect.DeepEqual(april.OutingsByStage, outings[1]) {
				t.Errorf("participant %d: outings by stage %v in March, %v in April; want %v", i, march.OutingsByStage, april.OutingsByStage, outings)
			}
			wantSpent, wantJournals, wantReceipts := map[int]int64{0: 1250}[i], map[int]int{0: 1}[i], i != 0
			if march.StipendSpentCents != wantSpent || march.JournalsCompleted != wantJournals || march.JournalsDue != 5 || march.ReceiptsComplete != wantReceipts {
				t.Errorf("participant %d: March %+v", i, march)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
