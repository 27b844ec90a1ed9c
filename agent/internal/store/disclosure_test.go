package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/deident/deidenttest"
	"github.com/itsmylife/iml/pkg/program"
)

// The tests of what the site lets the hub learn about its participants
// through the timing and the content of their records (disclosure.go).

// clockSite is a site whose clock a test moves.
type clockSite struct {
	st  *Store
	now time.Time
	coh Cohort
	// n counts the people enrolled, so that two born on one day are
	// different people (the intake refuses the same person twice).
	n int
}

func newClockSite(t *testing.T, k int, now time.Time, model, start string) *clockSite {
	t.Helper()
	s := &clockSite{st: openTestK(t, k), now: now}
	s.st.Now = func() time.Time { return s.now }
	ctx := context.Background()
	c, err := s.st.Coaches.AddCoach(ctx, CoachInput{Name: "Casey"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.Coaches.RecordCertification(ctx, c.ID, "site", Certification{Code: "PLC-1", CertifiedUntil: "2030-01-01"}); err != nil {
		t.Fatal(err)
	}
	if s.coh, err = s.st.Cohorts.AddCohort(ctx, CohortInput{Name: "G", Model: model, StartDate: start, CoachID: c.ID}); err != nil {
		t.Fatal(err)
	}
	return s
}

// enroll adds a participant (consenting to hospitalization records, with
// a count before enrollment and an eligibility interview on the day) and
// puts them in the site's cohort when join is set.
func (s *clockSite) enroll(t *testing.T, birth, enrolled string, before int, join bool) Participant {
	t.Helper()
	ctx := context.Background()
	s.n++
	in := eligible(ParticipantInput{FirstName: fmt.Sprintf("P%d-%s", s.n, birth), LastName: "Example", BirthDate: birth, EnrolledOn: enrolled, HospitalizationConsentOn: enrolled})
	p, err := s.st.Participants.AddParticipant(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if join {
		if err := s.st.Cohorts.AddMember(ctx, s.coh.ID, p.ID, enrolled); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.st.Outcomes.SetHospitalizationsBefore(ctx, p.ID, before); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.Participants.RecordInterview(ctx, p.ID, contract.TimepointEligibility, InterviewInput{InterviewedOn: enrolled, Answers: allAnswers(true)}); err != nil {
		t.Fatal(err)
	}
	return p
}

// meeting records a meeting of the site's cohort with every member present.
func (s *clockSite) meeting(t *testing.T, day string) {
	t.Helper()
	members, _, err := membersOn(s.st.DB, s.coh.ID, day)
	if err != nil {
		t.Fatal(err)
	}
	att := map[string]bool{}
	for id := range members {
		att[id] = true
	}
	rel := program.Default()
	th, _ := rules.ThemeOf(rel, s.coh.Model, rules.ProgramMonth(mustDay(s.coh.StartDate), mustDay(day)))
	plan := ""
	if ps := rel.PlansFor(th.Code); len(ps) > 0 {
		plan = ps[0].Code
	}
	if _, err := s.st.Meetings.RecordMeeting(context.Background(), s.coh.ID, "u1", MeetingInput{HeldOn: day, LessonPlan: plan, Attendance: att, Skills: []string{"listening"}}); err != nil {
		t.Fatal(err)
	}
}

// outboxState is each outbox record's version, and whether it is live.
func outboxState(t *testing.T, st *Store) map[string]string {
	t.Helper()
	var recs []SyncRecord
	if err := st.DB.Find(&recs).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range recs {
		out[r.ID] = fmt.Sprintf("%d/%v", r.Version, r.Deleted)
	}
	return out
}

// changedSince lists the records written since a state.
func changedSince(before, after map[string]string) []string {
	var out []string
	for id, v := range after {
		if before[id] != v {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// ownersOf maps each changed record to the participant key it carries
// ("" for a cohort month).
func ownersOf(t *testing.T, st *Store, ids []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range ids {
		var r SyncRecord
		if err := st.DB.First(&r, "id = ?", id).Error; err != nil {
			t.Fatal(err)
		}
		var v struct {
			Key            string `json:"key"`
			ParticipantKey string `json:"participant_key"`
		}
		_ = json.Unmarshal([]byte(r.Data), &v)
		out[id] = v.Key + v.ParticipantKey
	}
	return out
}

// TestUpstreamChangesOnlyOnTheFirst steps a site day by day through two
// months with the daily refresh: records change on the first of each
// month, for every participant at once, and on no other day, whatever
// each participant's enrollment anniversary or birthday. A participant
// enrolled, an interview held and a meeting held within the month change
// nothing until the first of the next; a correction about an earlier
// month goes at once.
func TestUpstreamChangesOnlyOnTheFirst(t *testing.T) {
	ctx := context.Background()
	s := newClockSite(t, 0, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), program.ModelPeerPartners, "2026-01-05")
	// Enrollment anniversaries on the 5th, 15th, 28th, 7th, 19th, 28th,
	// 11th and 24th; birthdays in April and May.
	people := []struct{ birth, enrolled string }{
		{"1980-04-17", "2026-01-05"}, {"1975-05-09", "2026-01-15"}, {"1990-04-30", "2026-01-28"}, {"1962-05-21", "2026-02-07"},
		{"1988-04-03", "2026-02-19"}, {"1971-05-15", "2026-02-28"}, {"1995-04-25", "2026-03-11"}, {"1958-05-02", "2026-03-24"},
	}
	var keys []string
	for i, p := range people {
		keys = append(keys, s.enroll(t, p.birth, p.enrolled, i, true).SurrogateKey)
	}
	s.meeting(t, "2026-02-24")
	if err := s.st.Outcomes.RefreshOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(outboxOf[contract.Participant](t, s.st, contract.TypeParticipant)); n != len(people) {
		t.Fatalf("%d participants upstream, want %d", n, len(people))
	}
	anniversaries := map[int]bool{}
	for _, p := range people {
		anniversaries[mustDay(p.enrolled).Day()] = true
	}
	var newcomer Participant
	state := outboxState(t, s.st)
	firsts := 0
	for day := time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC); !day.After(time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)); day = day.AddDate(0, 0, 1) {
		for _, hour := range []int{0, 13, 23} {
			s.now = day.Add(time.Duration(hour) * time.Hour)
			late := false
			switch ds := day.Format(dateLayout); {
			case ds == "2026-04-10" && hour == 13:
				// Enrolled today: nothing about them until 1 May.
				newcomer = s.enroll(t, "1984-04-11", ds, 5, true)
			case ds == "2026-04-20" && hour == 13:
				s.meeting(t, ds)
			case ds == "2026-05-12" && hour == 13:
				if _, err := s.st.Participants.RecordInterview(ctx, newcomer.ID, contract.TimepointMidpoint, InterviewInput{InterviewedOn: ds, Answers: allAnswers(false)}); err != nil {
					t.Fatal(err)
				}
			case ds == "2026-05-20" && hour == 13:
				// A meeting of April recorded late leaves at once.
				s.meeting(t, "2026-04-28")
				late = true
			}
			if err := s.st.Outcomes.RefreshOutcomes(ctx); err != nil {
				t.Fatal(err)
			}
			next := outboxState(t, s.st)
			changed := changedSince(state, next)
			state = next
			owners := ownersOf(t, s.st, changed)
			switch {
			case day.Day() == 1 && hour == 0:
				firsts++
				// Every participant enrolled by the end of the last month
				// has a record that changed (a month more enrolled).
				seen := map[string]bool{}
				for _, k := range owners {
					seen[k] = true
				}
				for i, k := range keys {
					if !seen[k] {
						t.Errorf("%s: nothing of participant %d changed on the first of the month", day.Format(dateLayout), i)
					}
				}
				if day.Month() == time.May && !seen[newcomer.SurrogateKey] {
					t.Errorf("the participant enrolled in April was not sent on 1 May")
				}
			case late:
				if len(changed) == 0 {
					t.Errorf("a meeting of April recorded on 20 May changed nothing")
				}
			case len(changed) > 0:
				t.Errorf("%s %02d:00 (anniversary of someone: %v): %d records changed: %v",
					day.Format(dateLayout), hour, anniversaries[day.Day()], len(changed), owners)
			}
		}
	}
	if firsts != 2 {
		t.Fatalf("stepped over %d firsts of a month, want 2", firsts)
	}
	// The newcomer's midpoint interview of 12 May left on 1 June.
	ivs := outboxOf[contract.POMInterview](t, s.st, contract.TypePOMInterview)
	found := false
	for _, iv := range ivs {
		found = found || (iv.ParticipantKey == newcomer.SurrogateKey && iv.Timepoint == contract.TimepointMidpoint)
	}
	if !found {
		t.Fatal("an interview of May was not sent in June")
	}
}

// TestMonthsEnrolledAsOfTheMonthBefore: the months enrolled are those
// begun by the end of the previous month, and the age band is the age at
// enrollment, whatever birthday has passed since.
func TestMonthsEnrolledAsOfTheMonthBefore(t *testing.T) {
	s := newClockSite(t, 1, time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC), program.ModelPeerPartners, "2026-01-05")
	a := s.enroll(t, "1980-06-29", "2026-02-15", 0, true)
	b := s.enroll(t, "1980-06-29", "2026-01-01", 0, true)
	for _, c := range []struct {
		p    Participant
		want int
	}{{a, 4}, {b, 5}} { // as of 31 May: months from 15 Feb, 15 Mar, 15 Apr, 15 May; from 1 Jan to 1 May
		for _, h := range outboxOf[contract.Hospitalization](t, s.st, contract.TypeHospitalization) {
			if h.ParticipantKey == c.p.SurrogateKey && (h.MonthsEnrolled != c.want || h.AgeBand != "45-54") {
				t.Errorf("enrolled %s: %d months enrolled, band %q; want %d, 45-54", c.p.EnrolledOn, h.MonthsEnrolled, h.AgeBand, c.want)
			}
		}
	}
}

// smallSite is the 17-participant site of the de-identification tests
// (deidenttest.SmallSite), shared with the cluster's end-to-end test.
var smallSite = deidenttest.SmallSite

// buildSmallSite enrolls smallSite at a site whose release has a smallest
// group of k (0: the default), on 2026-09-15.
func buildSmallSite(t *testing.T, k int) (*Store, []Participant) {
	t.Helper()
	ctx := context.Background()
	st := openTestK(t, k)
	st.Now = func() time.Time { return time.Date(2026, 9, 15, 10, 0, 0, 0, time.UTC) }
	c, err := st.Coaches.AddCoach(ctx, CoachInput{Name: "Casey"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Coaches.RecordCertification(ctx, c.ID, "site", Certification{Code: "PLC-1", CertifiedUntil: "2030-01-01"}); err != nil {
		t.Fatal(err)
	}
	cohorts := map[string]Cohort{}
	for _, m := range []string{program.ModelPeerPartners, program.ModelSocialExplorations} {
		if cohorts[m], err = st.Cohorts.AddCohort(ctx, CohortInput{Name: m, Model: m, StartDate: "2025-02-10", CoachID: c.ID}); err != nil {
			t.Fatal(err)
		}
	}
	var ps []Participant
	for _, x := range smallSite {
		p, err := st.Participants.AddParticipant(ctx, eligible(ParticipantInput{FirstName: "P", LastName: x.Birth, BirthDate: x.Birth, EnrolledOn: x.Enrolled, HospitalizationConsentOn: x.Enrolled}))
		if err != nil {
			t.Fatal(err)
		}
		if x.Model != "" {
			if err := st.Cohorts.AddMember(ctx, cohorts[x.Model].ID, p.ID, x.Enrolled); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Outcomes.SetHospitalizationsBefore(ctx, p.ID, x.Before); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Participants.RecordInterview(ctx, p.ID, contract.TimepointEligibility, InterviewInput{InterviewedOn: x.Enrolled, Answers: allAnswers(false)}); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return st, ps
}

// quasi is what the hub receives about a participant that an outsider
// may know: enrollment year, age band and model (the site is the same for
// all), then the count before enrollment and the months enrolled.
type quasi struct {
	year          int
	band, model   string
	before, month int
}

// The combinations measured: year and band; with the model; with the
// count before enrollment and the months enrolled too.
const (
	yearBand = iota
	yearBandModel
	withCounts
)

// uniqueUnder counts the people in combinations of the fields measured
// that fewer than k share, and those alone in theirs.
func uniqueUnder(qs []quasi, fields, k int) (under, unique int) {
	key := func(q quasi) quasi {
		if fields < withCounts {
			q.before, q.month = 0, 0
		}
		if fields < yearBandModel {
			q.model = ""
		}
		return q
	}
	n := map[quasi]int{}
	for _, q := range qs {
		n[key(q)]++
	}
	for _, q := range qs {
		if c := n[key(q)]; c < k {
			under++
			if c == 1 {
				unique++
			}
		}
	}
	return under, unique
}

// hubView reads what the outbox says of each participant: their
// participant record, with the count and months of their hospitalization
// record. It checks every record of a participant describes them the same.
func hubView(t *testing.T, st *Store) []quasi {
	t.Helper()
	people := map[string]*quasi{}
	for _, p := range outboxOf[contract.Participant](t, st, contract.TypeParticipant) {
		people[p.Key] = &quasi{year: p.EnrollmentYear, band: p.AgeBand, model: p.Model}
	}
	same := func(typ, key string, year int, band, model string) {
		q := people[key]
		if q == nil || q.year != year || q.band != band || (model != "" && q.model != model) {
			t.Fatalf("a %s record describes %s as %d, %q, %q; the participant record as %+v", typ, key, year, band, model, q)
		}
	}
	for _, h := range outboxOf[contract.Hospitalization](t, st, contract.TypeHospitalization) {
		same("hospitalization", h.ParticipantKey, h.EnrollmentYear, h.AgeBand, h.Model)
		if h.Model != people[h.ParticipantKey].model || h.BeforeCount > contract.BeforeCountTop {
			t.Fatalf("hospitalization record %+v", h)
		}
		people[h.ParticipantKey].before, people[h.ParticipantKey].month = h.BeforeCount, h.MonthsEnrolled
	}
	for _, iv := range outboxOf[contract.POMInterview](t, st, contract.TypePOMInterview) {
		same("interview", iv.ParticipantKey, iv.EnrollmentYear, iv.AgeBand, iv.Model)
	}
	for _, r := range outboxOf[contract.Participation](t, st, contract.TypeParticipation) {
		same("participation", r.ParticipantKey, r.EnrollmentYear, r.AgeBand, r.Model)
		if r.CohortKey != "" {
			t.Fatalf("a participation record names its cohort: %+v", r)
		}
	}
	var out []quasi
	for _, q := range people {
		out = append(out, *q)
	}
	return out
}

// TestSmallSiteQuasiIdentifiers measures, at a 17-participant site, how
// many participants the hub could single out from the records the agent
// builds: before the rule (the finest bands, the current model, the count
// before enrollment as entered) and with it (release default k = 5).
func TestSmallSiteQuasiIdentifiers(t *testing.T) {
	const k = program.DefaultMinGroup
	st, ps := buildSmallSite(t, 0)
	// Before: the description the agent used to send, from the same site.
	day := st.Outbox.upstreamDay()
	models, err := modelsOn(st.DB, day)
	if err != nil {
		t.Fatal(err)
	}
	var before []quasi
	for i, p := range ps {
		enrolled, birth := mustDay(p.EnrolledOn), mustDay(p.BirthDate)
		before = append(before, quasi{year: enrolled.Year(), band: deident.AgeBand(deident.AgeOn(birth, enrolled)), model: models[p.ID],
			before: smallSite[i].Before, month: monthsBegun(enrolled, st.Pairs.today())})
	}
	measure := func(qs []quasi) string {
		var parts []string
		for _, f := range []struct {
			fields int
			name   string
		}{{yearBand, "year and band"}, {yearBandModel, "year, band and model"}, {withCounts, "with the count before and months enrolled"}} {
			under, unique := uniqueUnder(qs, f.fields, k)
			parts = append(parts, fmt.Sprintf("%s: %d under k (%d unique)", f.name, under, unique))
		}
		return strings.Join(parts, "; ")
	}
	t.Logf("before, %d participants: %s", len(before), measure(before))
	if under, _ := uniqueUnder(before, yearBandModel, k); under == 0 {
		t.Fatal("the site does not show the problem")
	}
	after := hubView(t, st)
	cells := map[string]int{}
	for _, q := range after {
		cells[fmt.Sprintf("%d/%s/%s", q.year, q.band, q.model)]++
	}
	t.Logf("after, %d of %d sent: %s; combinations of year, band and model: %v", len(after), len(ps), measure(after), cells)
	if under, _ := uniqueUnder(after, yearBandModel, k); under != 0 {
		t.Fatalf("%d participants in combinations of year, band and model held by fewer than %d: %+v", under, k, after)
	}
	if len(after) != len(ps) {
		t.Fatalf("%d of %d participants sent: both years hold at least k", len(after), len(ps))
	}
}

// TestRegeneralization: when the site's participants change, every record
// whose description changes is queued again as a new version, and all of a
// participant's records keep describing them the same; a year that falls
// under k is withdrawn from upstream, and comes back when it holds k again.
func TestRegeneralization(t *testing.T) {
	ctx := context.Background()
	st, ps := buildSmallSite(t, 0)
	hubView(t, st)
	var one Participant // a 2026 participant
	for i, x := range smallSite {
		if strings.HasPrefix(x.Enrolled, "2026") {
			one = ps[i]
			break
		}
	}
	// k rises to 9 (a new release): 2025 holds 9, 2026 only 8, withheld.
	setMinGroup(t, st, "2026.2", 9)
	view := hubView(t, st)
	if u, _ := uniqueUnder(view, yearBandModel, 9); u != 0 || len(view) != 9 {
		t.Fatalf("with k = 9: %d sent, %d under k", len(view), u)
	}
	for _, r := range outboxOf[contract.POMInterview](t, st, contract.TypePOMInterview) {
		if r.EnrollmentYear == 2026 {
			t.Fatalf("an interview of a year under k is still live: %+v", r)
		}
	}
	// A ninth 2026 enrollment (before the end of August) brings the year
	// back, every record of it as a new version.
	v := versions(t, st)
	if _, err := st.Participants.AddParticipant(ctx, eligible(ParticipantInput{FirstName: "N", LastName: "New", BirthDate: "1991-01-01", EnrolledOn: "2026-08-03"})); err != nil {
		t.Fatal(err)
	}
	view = hubView(t, st)
	if u, _ := uniqueUnder(view, yearBandModel, 9); u != 0 || len(view) != 18 {
		t.Fatalf("with 9 in 2026: %d sent, %d under k", len(view), u)
	}
	if nv := versions(t, st)[one.ID]; nv <= v[one.ID] {
		t.Fatalf("participant of 2026 at version %d, was %d", nv, v[one.ID])
	}
	// A withdrawal takes the year under k again.
	if err := st.Participants.Withdraw(ctx, one.ID); err != nil {
		t.Fatal(err)
	}
	if view = hubView(t, st); len(view) != 9 {
		t.Fatalf("after a withdrawal from 2026: %d sent, want the 9 of 2025", len(view))
	}
}

// TestWithdrawalLeavesNoTrace: after a withdrawal nothing upstream counts
// the person: their own records are tombstones, and every cohort month,
// before the withdrawal as after, is recomputed without them and their
// pairs.
func TestWithdrawalLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	s := newClockSite(t, 1, time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC), program.ModelPeerPartners, "2026-01-12")
	var ps []Participant
	for i := range 6 {
		ps = append(ps, s.enroll(t, fmt.Sprintf("198%d-05-05", i), "2026-01-12", i, true))
	}
	pr, _, err := s.st.Pairs.FormPair(ctx, s.coh.ID, PairInput{ParticipantIDs: []string{ps[0].ID, ps[1].ID}, FormedOn: "2026-02-01"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.st.Pairs.FormPair(ctx, s.coh.ID, PairInput{ParticipantIDs: []string{ps[2].ID, ps[3].ID}, FormedOn: "2026-02-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.Pairs.EndPair(ctx, s.coh.ID, pr.ID, EndPairInput{EndedOn: "2026-03-20", Reason: "not_working_well"}); err != nil {
		t.Fatal(err)
	}
	s.meeting(t, "2026-03-17")
	month := func(k int) contract.CohortMonth { return cohortMonthOf(t, s.st, s.coh.SurrogateKey, k) }
	if m2, m3 := month(2), month(3); m2.Members != 6 || m2.Pairs != 2 || m3.PairingChanges != 1 {
		t.Fatalf("before the withdrawal: month 2 %+v, month 3 %+v", m2, m3)
	}
	if err := s.st.Participants.Withdraw(ctx, ps[0].ID); err != nil {
		t.Fatal(err)
	}
	// Five members in every month and the other pair in every month from
	// February (month 2: months are calendar months from January, and the
	// pair was formed on 1 February); the pair that ended in month 3 is
	// gone with its pairing change.
	for k := 1; k <= 5; k++ {
		if m := month(k); m.Members != 5 || m.Pairs != min(k-1, 1) || m.PairingChanges != 0 {
			t.Errorf("cohort month %d after the withdrawal: %+v", k, m)
		}
	}
	var live []SyncRecord
	if err := s.st.DB.Where("deleted = ?", false).Find(&live).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range live {
		if strings.Contains(r.Data, ps[0].SurrogateKey) || r.ID == ps[0].ID {
			t.Errorf("a %s record of the withdrawn participant is live upstream", r.Type)
		}
	}
	var gone []SyncRecord
	if err := s.st.DB.Where("deleted = ?", true).Find(&gone).Error; err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, r := range gone {
		types[r.Type]++
	}
	// Their participant record, interview, hospitalization and five
	// months of participation.
	if want := map[string]int{contract.TypeParticipant: 1, contract.TypePOMInterview: 1, contract.TypeHospitalization: 1, contract.TypeParticipation: 5}; fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("tombstones %v, want %v", types, want)
	}
}
