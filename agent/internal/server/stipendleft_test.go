package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

// TestStipendWeeksStopWhenTheyLeft: a participant's stipend journal weeks
// stop before the week they left their cohort (being in none now), as the
// site guide says. On Monday 7 December 2026, Avery left on Tuesday
// 1 December: December and January are not theirs, on the Stipends page
// and the goals tab. Blake left on Wednesday 18 November with journals
// for every week before: November's stipend is payable (the weeks of
// 16 and 23 November are not theirs) and the home lists it as waiting.
func TestStipendWeeksStopWhenTheyLeft(t *testing.T) {
	ctx := context.Background()
	s := newSiteAt(t, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	s.user("dir@example.org", "Dana", store.RoleDirector)
	u, _ := s.user("casey@example.org", "Casey Coach", store.RoleCoach)
	coach := s.certifiedCoach("Casey Coach", u.ID)
	avery, blake := s.participant("Avery"), s.participant("Blake")
	c, err := s.st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "Tuesday group", Model: program.ModelPeerPartners, StartDate: "2026-01-15",
		CoachID: coach.ID, MeetingDay: "tuesday", MeetingTime: "18:00", Frequency: "weekly"})
	s.must(err)
	s.must(s.st.Cohorts.AddMember(ctx, c.ID, avery.ID, "2026-01-15"))
	s.must(s.st.Cohorts.AddMember(ctx, c.ID, blake.ID, "2026-01-15"))
	s.journals(blake.ID, "2026-10-26", "2026-11-02", "2026-11-09")
	b := s.browser("dir@example.org")
	// Before they leave, December counts its four weeks for Avery.
	if st, body := b.get("/stipends"); st != 200 || !strings.Contains(body, "0 of 4 (3 not yet due)") {
		t.Fatalf("/stipends before Avery left: %d, December's four weeks not counted", st)
	}
	s.must(s.st.Cohorts.RemoveMember(ctx, c.ID, avery.ID, "2026-12-01"))
	s.must(s.st.Cohorts.RemoveMember(ctx, c.ID, blake.ID, "2026-11-18"))
	for _, month := range []string{"2026-12", "2027-01"} {
		st, body := b.get("/stipends?month=" + month)
		if st != 200 || strings.Contains(body, "Avery") || strings.Contains(body, "not yet due)") {
			t.Errorf("/stipends?month=%s: %d, still counts the journal weeks of Avery, who left on 1 December", month, st)
		}
	}
	page := "/participants/" + avery.ID + "?tab=goals"
	st, body := b.get(page)
	if st != 200 {
		t.Fatalf("%s: %d", page, st)
	}
	mustContain(t, page, body, "The participant was not in the program in December 2026.")
	for _, not := range []string{"7 December 2026", "14 December 2026", "21 December 2026", "Not yet due"} {
		if strings.Contains(body, not) {
			t.Errorf("%s still counts %q", page, not)
		}
	}
	st, body = b.get("/stipends?month=2026-11")
	_, row, _ := strings.Cut(body, "Example, Blake</a>")
	row, _, _ = strings.Cut(row, "</tr>")
	if st != 200 || !strings.Contains(row, "<td>3 of 3</td>") || !strings.Contains(row, `<span class="badge ok">yes</span>`) || strings.Contains(row, "November 2026") {
		t.Fatalf("/stipends?month=2026-11: %d, Blake's November does not stop before the week he left", st)
	}
	wantItem(t, home(t, b), "stipend", "/participants/"+blake.ID+"?stipend_month=2026-11#stipend", "November 2026 stipend payable")
}
