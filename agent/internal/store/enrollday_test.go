package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/program"
)

// The tests of the enrollment day: records upstream depend on the month a
// participant enrolled, never on the day within it (deident.CalendarMonth).
// A review found the day in the journal weeks due of each program month
// when months ran from the enrollment day (vectors such as 5445444 and
// 5445453 for participants enrolled a day apart).

// monthsSite is a site of one Peer Partners cohort, started 20 April 2026,
// stepped day by day by a test: a host enrolled in April, present at every
// meeting, and participants enrolled in May on the days given, all born on
// 15 May 1991 (34 or 35 on their enrollment day, depending on the day),
// who each join the cohort the day they enroll and from then on do the
// same things on the same days.
type monthsSite struct {
	*clockSite
	host Participant
	days []int
	ps   []Participant // in the order of days, once enrolled
}

func newMonthsSite(t *testing.T, days ...int) *monthsSite {
	t.Helper()
	// k = 1: nothing is generalized, so nothing hides a difference.
	s := &monthsSite{clockSite: newClockSite(t, 1, time.Date(2026, 4, 20, 10, 0, 0, 0, time.UTC), program.ModelPeerPartners, "2026-04-20"), days: days}
	s.host = s.enroll(t, "1980-01-10", "2026-04-20", 1, true)
	return s
}

const monthsBirth = "1991-05-15"

// step moves the clock to a day, does that day's things at the site, and
// runs the daily refresh.
func (s *monthsSite) step(t *testing.T, day time.Time) {
	t.Helper()
	ctx := context.Background()
	s.now = day.Add(10 * time.Hour)
	ds := day.Format(dateLayout)
	for _, d := range s.days {
		if day.Month() == time.May && day.Day() == d {
			s.ps = append(s.ps, s.enroll(t, monthsBirth, ds, 2, true))
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", ds, err)
		}
	}
	rel := program.Default()
	// The group meets on Tuesdays from 5 May. In May only the host is
	// present: the others are marked absent, so that everyone enrolled in
	// May has the same attendance whatever day they joined.
	if day.Weekday() == time.Tuesday && ds >= "2026-05-05" {
		members, _, err := membersOn(s.st.DB, s.coh.ID, ds)
		must(err)
		att := map[string]bool{}
		for id := range members {
			att[id] = id == s.host.ID || ds >= "2026-06-01"
		}
		th, _ := rules.ThemeOf(rel, s.coh.Model, rules.ProgramMonth(mustDay(s.coh.StartDate), day))
		plan := ""
		if ps := rel.PlansFor(th.Code); len(ps) > 0 {
			plan = ps[0].Code
		}
		_, err = s.st.Meetings.RecordMeeting(ctx, s.coh.ID, "u1", MeetingInput{HeldOn: ds, LessonPlan: plan, Attendance: att, Skills: []string{"listening"}})
		must(err)
	}
	for _, p := range s.ps {
		if day.Weekday() == time.Monday && ds >= "2026-06-01" && ds != "2026-07-13" {
			_, err := s.st.Journals.SaveJournal(ctx, p.ID, ds, "u1", map[string]string{rel.JournalPrompts[0].Code: "a week"})
			must(err)
		}
		var err error
		switch ds {
		case "2026-06-12":
			_, err = s.st.Outings.AddOuting(ctx, p.ID, OutingInput{Date: ds, Activity: "library", Stage: 1})
		case "2026-08-20":
			_, err = s.st.Outings.AddOuting(ctx, p.ID, OutingInput{Date: ds, Activity: "bowling", Stage: 2})
		case "2026-06-15":
			_, err = s.st.Outcomes.AddHospitalStay(ctx, p.ID, ds)
		case "2026-07-03":
			_, err = s.st.Outcomes.AddServiceChange(ctx, p.ID, ServiceChange{Service: "day_program", Change: "started", ChangedOn: ds})
		case "2026-10-20":
			_, err = s.st.Participants.RecordInterview(ctx, p.ID, contract.TimepointMidpoint, InterviewInput{InterviewedOn: ds, Answers: allAnswers(true)})
		}
		must(err)
	}
	must(s.st.Outcomes.RefreshOutcomes(ctx))
}

// upstreamOf is everything the outbox holds about the participants (live
// records and tombstones, with their versions), each participant's and
// the cohort's key replaced by a name, in a fixed order: what the hub
// would hold, less the random record ids.
func upstreamOf(t *testing.T, st *Store, names map[string]string) []string {
	t.Helper()
	var recs []SyncRecord
	if err := st.DB.Find(&recs).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		data := r.Data
		for key, name := range names {
			data = strings.ReplaceAll(data, key, name)
		}
		out = append(out, fmt.Sprintf("%s v%d deleted=%v %s", r.Type, r.Version, r.Deleted, data))
	}
	slices.Sort(out)
	return out
}

// recordsOf is upstreamOf for one participant's records.
func recordsOf(t *testing.T, st *Store, key string) []string {
	t.Helper()
	var own []string
	for _, r := range upstreamOf(t, st, map[string]string{key: "KEY"}) {
		if strings.Contains(r, `"KEY"`) {
			own = append(own, r)
		}
	}
	return own
}

// TestEnrollmentDayLeavesNoTrace is the review's attack: participants of
// one cohort enrolled on different days of one month, doing the same
// things. Stepped day by day from April to December through the real
// store, on every first of a month their records upstream are the same in
// every field but the key (age band, program months, meetings held and
// journals due of every month, months enrolled...), and the journal weeks
// due and meetings held per month are those of the calendar months. As a
// control, the same participants' windows from their enrollment day (the
// old definition) tell them apart.
func TestEnrollmentDayLeavesNoTrace(t *testing.T) {
	days := []int{1, 2, 3, 9, 23, 31}
	s := newMonthsSite(t, days...)
	firsts := 0
	for day := time.Date(2026, 4, 21, 0, 0, 0, 0, time.UTC); !day.After(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); day = day.AddDate(0, 0, 1) {
		s.step(t, day)
		if day.Day() != 1 || day.Month() < time.June {
			continue
		}
		firsts++
		want := recordsOf(t, s.st, s.ps[0].SurrogateKey)
		if len(want) == 0 {
			t.Fatalf("%s: nothing upstream about the participant enrolled on 1 May", day.Format(dateLayout))
		}
		for i, p := range s.ps[1:] {
			if got := recordsOf(t, s.st, p.SurrogateKey); !slices.Equal(got, want) {
				t.Fatalf("%s: the records of the participants enrolled on 1 and %d May differ:\n%s\n--- and ---\n%s",
					day.Format(dateLayout), days[i+1], strings.Join(want, "\n"), strings.Join(got, "\n"))
			}
		}
	}
	if firsts != 7 {
		t.Fatalf("stepped over %d firsts of a month, want 7", firsts)
	}
	// As of 30 November: months 1 to 7 are May to November. Journal weeks
	// due are the weeks ending on a Sunday of each calendar month, meetings
	// held its Tuesdays (the group meets weekly from 5 May), for the one
	// enrolled on 31 May as for the one enrolled on the 1st.
	var due, held, attended, completed []int
	for k := 1; k <= 7; k++ {
		_, r := participationOfKey(t, s.st, s.ps[len(s.ps)-1].SurrogateKey, k)
		due, held = append(due, r.JournalsDue), append(held, r.MeetingsHeld)
		attended, completed = append(attended, r.MeetingsAttended), append(completed, r.JournalsCompleted)
	}
	for _, c := range []struct {
		what      string
		got, want []int
	}{
		{"journals due", due, []int{5, 4, 4, 5, 4, 4, 5}},
		{"meetings held", held, []int{4, 5, 4, 4, 5, 4, 4}},
		// Present at every meeting from June.
		{"meetings attended", attended, []int{0, 5, 4, 4, 5, 4, 4}},
		// A journal every week from 1 June but the week of 13 July; a
		// week is in the month of its Sunday (that of 29 June in July).
		{"journals completed", completed, []int{0, 4, 3, 5, 4, 4, 5}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s by program month: %v, want %v", c.what, c.got, c.want)
		}
	}
	key := s.ps[len(s.ps)-1].SurrogateKey
	for _, h := range outboxOf[contract.Hospitalization](t, s.st, contract.TypeHospitalization) {
		if h.ParticipantKey == key && (h.MonthsEnrolled != 7 || !slices.Equal(h.DuringMonths, []int{2}) || len(h.ServiceChanges) != 1 || h.ServiceChanges[0].ProgramMonth != 3 || h.AgeBand != "35-44") {
			t.Errorf("hospitalization record %+v: want 7 months enrolled, a stay in month 2 (June), a change in month 3 (July), 35-44", h)
		}
	}
	for _, iv := range outboxOf[contract.POMInterview](t, s.st, contract.TypePOMInterview) {
		if iv.ParticipantKey == key && iv.Timepoint == contract.TimepointMidpoint && iv.ProgramMonth != 6 {
			t.Errorf("the interview of 20 October is in program month %d, want 6 (October)", iv.ProgramMonth)
		}
	}

	// The control: counted from each one's enrollment day, as records were
	// before, the same participants differ in their age at enrollment,
	// their journal weeks due by month and their interview's month.
	asOf := s.st.Outbox.upstreamDay()
	bands, vectors, months := map[string]bool{}, map[string][]int{}, map[int]bool{}
	for i, p := range s.ps {
		enrolled := mustDay(p.EnrolledOn)
		bands[deident.AgeBand(deident.AgeOn(mustDay(monthsBirth), enrolled))] = true
		v := make([]int, 7)
		for _, w := range rules.DueWeeks(enrolled, nil, asOf, nil) {
			if k := rules.ProgramMonth(enrolled, w.Monday); k <= len(v) {
				v[k-1]++
			}
		}
		vectors[fmt.Sprint(v)] = append(vectors[fmt.Sprint(v)], days[i])
		months[rules.ProgramMonth(enrolled, mustDay("2026-10-20"))] = true
	}
	t.Logf("journal weeks due by month from the enrollment day, with the days of May they came from: %v", vectors)
	if len(bands) != 2 || len(months) != 2 || len(vectors) != len(days) {
		t.Fatalf("the days of enrollment are not told apart from the day: bands %v, interview months %v, journal vectors %v", bands, months, vectors)
	}
}

// TestOnlyTheEnrollmentDayDiffers builds two sites that differ only in the
// day of May a participant enrolled (2 May at one, 23 May at the other:
// their joining the cohort, consent and first interview on that day too)
// and steps both, day by day, through the same seven months: after every
// day, what each outbox holds, tombstones and versions included, is the
// same bytes once keys are named (record ids are random). Neither the
// content nor the timing of what leaves tells the two days apart.
func TestOnlyTheEnrollmentDayDiffers(t *testing.T) {
	a, b := newMonthsSite(t, 2), newMonthsSite(t, 23)
	names := func(s *monthsSite) map[string]string {
		n := map[string]string{s.host.SurrogateKey: "HOST", s.coh.SurrogateKey: "COHORT"}
		if len(s.ps) > 0 {
			n[s.ps[0].SurrogateKey] = "PARTICIPANT"
		}
		return n
	}
	for day := time.Date(2026, 4, 21, 0, 0, 0, 0, time.UTC); !day.After(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); day = day.AddDate(0, 0, 1) {
		a.step(t, day)
		b.step(t, day)
		ua, ub := upstreamOf(t, a.st, names(a)), upstreamOf(t, b.st, names(b))
		if !slices.Equal(ua, ub) {
			t.Fatalf("%s: the outboxes differ:\n%s\n--- and ---\n%s", day.Format(dateLayout), strings.Join(ua, "\n"), strings.Join(ub, "\n"))
		}
	}
	if len(a.ps) != 1 || len(b.ps) != 1 || a.ps[0].EnrolledOn == b.ps[0].EnrolledOn {
		t.Fatal("the two sites do not differ in a day of enrollment")
	}
	if n := len(recordsOf(t, a.st, a.ps[0].SurrogateKey)); n < 1+2+1+7 {
		t.Fatalf("%d records of the participant upstream, want their participant record, two interviews, the hospitalization record and 7 months", n)
	}
}
