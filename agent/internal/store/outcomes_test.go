package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// outboxOf reads the outbox records of a type, decoded, by record id.
func outboxOf[T any](t *testing.T, st *Store, typ string) map[string]T {
	t.Helper()
	var recs []SyncRecord
	if err := st.DB.Where("type = ? AND deleted = ?", typ, false).Find(&recs).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]T{}
	for _, r := range recs {
		if err := contract.ValidateRecord(contract.Record{ID: r.ID, Type: r.Type, Version: r.Version, Hash: r.Hash, Data: contract.RawJSON(r.Data)}); err != nil {
			t.Fatalf("outbox record %s would be refused by the hub: %v", r.ID, err)
		}
		var v T
		if err := json.Unmarshal([]byte(r.Data), &v); err != nil {
			t.Fatal(err)
		}
		out[r.ID] = v
	}
	return out
}

func versions(t *testing.T, st *Store) map[string]int64 {
	t.Helper()
	var recs []SyncRecord
	if err := st.DB.Find(&recs).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range recs {
		out[r.ID] = r.Version
	}
	return out
}

func participationOfKey(t *testing.T, st *Store, key string, month int) (string, contract.Participation) {
	t.Helper()
	for id, r := range outboxOf[contract.Participation](t, st, contract.TypeParticipation) {
		if r.ParticipantKey == key && r.ProgramMonth == month {
			return id, r
		}
	}
	t.Fatalf("no participation record for month %d", month)
	return "", contract.Participation{}
}

func cohortMonthOf(t *testing.T, st *Store, key string, month int) contract.CohortMonth {
	t.Helper()
	for _, r := range outboxOf[contract.CohortMonth](t, st, contract.TypeCohortMonth) {
		if r.CohortKey == key && r.ProgramMonth == month {
			return r
		}
	}
	t.Fatalf("no cohort month %d", month)
	return contract.CohortMonth{}
}

// TestParticipationAndCohortMonths records a month of a Peer Partners
// group (meeting, journal, expense and receipt, outing, pairing change)
// and checks the participation and cohort month records each change
// rewrote in its own transaction.
func TestParticipationAndCohortMonths(t *testing.T) {
	ctx := context.Background()
	s := newPairSite(t, 6, true) // today 2026-06-20, all enrolled and joined 2026-01-12
	st, p := s.st, s.ps[0]
	var coh Cohort
	if err := st.DB.First(&coh, "id = ?", s.cohort.ID).Error; err != nil || !contract.ValidID(coh.SurrogateKey) {
		t.Fatalf("cohort surrogate key %q: %v", coh.SurrogateKey, err)
	}
	// Every member has a record for each month begun by the end of May,
	// the last day records are computed as of (1..5), in the cohort's
	// model, never with the cohort's key.
	for month := 1; month <= 5; month++ {
		_, r := participationOfKey(t, st, p.SurrogateKey, month)
		if r.CohortKey != "" || r.Model != contract.ModelPeerPartners || r.MeetingsHeld != 0 || r.AgeBand != "45-54" || r.EnrollmentYear != 2026 {
			t.Fatalf("month %d before anything happened: %+v", month, r)
		}
	}
	if _, err := participationOfKeyMaybe(st, p.SurrogateKey, 6); err == nil {
		t.Fatal("a record for month 6, June, before the first of July")
	}
	pr := s.pair(t, s.ps[0].ID, s.ps[1].ID) // formed 2026-02-01, month 1
	rel := program.Default()
	month3 := rules.ProgramMonth(mustDay("2026-01-12"), mustDay("2026-03-17"))
	th, _ := rules.ThemeOf(rel, program.ModelPeerPartners, month3)
	plan := ""
	if ps := rel.PlansFor(th.Code); len(ps) > 0 {
		plan = ps[0].Code
	}
	att := map[string]bool{}
	for i, m := range s.ps {
		att[m.ID] = i != 5
	}
	if _, err := st.Meetings.RecordMeeting(ctx, coh.ID, "u1", MeetingInput{HeldOn: "2026-03-17", LessonPlan: plan, Attendance: att, Skills: []string{"listening"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Journals.SaveJournal(ctx, p.ID, "2026-03-16", "u1", map[string]string{rel.JournalPrompts[0].Code: "a week"}); err != nil {
		t.Fatal(err)
	}
	goals, err := st.Stipends.SaveGoals(ctx, p.ID, []GoalInput{{Slot: 1, Title: "Bowling", ActionPlan: "Join the league"}})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := st.Stipends.SavePlan(ctx, p.ID, "2026-03", []PlanLineInput{{GoalID: goals[0].ID, Description: "shoes", PlannedCents: 3000}})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := st.Stipends.AddExpense(ctx, User{ID: "u1", Role: RoleDirector}, p.ID, ExpenseInput{GoalID: goals[0].ID, PlanLineID: lines[0].ID, SpentOn: "2026-03-18", AmountCents: 1250, What: "shoes"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outings.AddOuting(ctx, p.ID, OutingInput{Date: "2026-03-20", Activity: "bowling", Stage: 2}); err != nil {
		t.Fatal(err)
	}
	// Month 3 is March, the third calendar month from January: its five
	// weeks (those ending on a Sunday of March) are due.
	id3, r := participationOfKey(t, st, p.SurrogateKey, 3)
	want := contract.Participation{ParticipantKey: p.SurrogateKey, EnrollmentYear: 2026, AgeBand: "45-54", Model: contract.ModelPeerPartners,
		ProgramMonth: 3, MeetingsHeld: 1, MeetingsAttended: 1, JournalsDue: 5, JournalsCompleted: 1, StipendSpentCents: 1250, ReceiptsComplete: false, OutingsByStage: []int{0, 1, 0, 0}}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("month 3:\n got %+v\nwant %+v", r, want)
	}
	if _, absent := participationOfKey(t, st, s.ps[5].SurrogateKey, 3); absent.MeetingsHeld != 1 || absent.MeetingsAttended != 0 {
		t.Fatalf("the absent member's month 3: %+v", absent)
	}
	// A receipt corrects the record: a new version of the same record,
	// and nothing else changes.
	before := versions(t, st)
	if _, err := st.Stipends.AddReceipt(ctx, User{ID: "u1", Role: RoleDirector}, p.ID, exp.ID, "image/png", stpPNG); err != nil {
		t.Fatal(err)
	}
	after := versions(t, st)
	if _, r := participationOfKey(t, st, p.SurrogateKey, 3); !r.ReceiptsComplete {
		t.Fatal("receipts still incomplete after the receipt")
	}
	for id, v := range after {
		switch {
		case id == id3 && v != before[id]+1:
			t.Fatalf("corrected record at version %d, was %d", v, before[id])
		case id != id3 && v != before[id]:
			t.Fatalf("record %s changed by a receipt of another record", id)
		}
	}
	// Cohort month 3: six members, the pair ended for not working well.
	if _, err := st.Pairs.EndPair(ctx, coh.ID, pr.ID, EndPairInput{EndedOn: "2026-03-25", Reason: "not_working_well"}); err != nil {
		t.Fatal(err)
	}
	got := cohortMonthOf(t, st, coh.SurrogateKey, 3)
	wantC := contract.CohortMonth{CohortKey: coh.SurrogateKey, Model: contract.ModelPeerPartners, StartYear: 2026, ProgramMonth: 3, Members: 6, Pairs: 0,
		PairingChanges: 1, MeetingsHeld: 1, MeetingsOnTheme: 0}
	if plan != "" {
		wantC.MeetingsOnTheme = 1
	}
	if got != wantC {
		t.Fatalf("cohort month 3:\n got %+v\nwant %+v", got, wantC)
	}
	if m2 := cohortMonthOf(t, st, coh.SurrogateKey, 2); m2.Pairs != 1 || m2.PairingChanges != 0 || m2.MeetingsHeld != 0 {
		t.Fatalf("cohort month 2: %+v", m2)
	}
	// Leaving the cohort: they are described upstream in no model from
	// then on, so their months in it no longer carry its model. An outing
	// in June waits for the first of July.
	if err := st.Cohorts.RemoveMember(ctx, coh.ID, s.ps[4].ID, "2026-05-20"); err != nil {
		t.Fatal(err)
	}
	if _, r := participationOfKey(t, st, s.ps[4].SurrogateKey, 5); r.CohortKey != "" || r.Model != "" {
		t.Fatalf("month 5, when they left: %+v", r)
	}
	if _, err := st.Outings.AddOuting(ctx, s.ps[4].ID, OutingInput{Date: "2026-06-15", Activity: "library", Stage: 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := participationOfKeyMaybe(st, s.ps[4].SurrogateKey, 6); err == nil {
		t.Fatal("an outing of 15 June made a record before the first of July")
	}
	if m := cohortMonthOf(t, st, coh.SurrogateKey, 5); m.Members != 5 {
		t.Fatalf("cohort month 5 after one left: %+v", m)
	}
	// The daily refresh rewrites nothing that did not change.
	before = versions(t, st)
	if err := st.Outcomes.RefreshOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	if after := versions(t, st); !reflect.DeepEqual(before, after) {
		t.Fatal("the daily refresh wrote new versions of unchanged records")
	}
	// A new month begins: the refresh adds the records of June, month 6,
	// with the outing of a member who left, in no cohort; month 7, July,
	// waits for August.
	st.Now = func() time.Time { return time.Date(2026, 7, 13, 9, 0, 0, 0, time.UTC) }
	if err := st.Outcomes.RefreshOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	participationOfKey(t, st, p.SurrogateKey, 6)
	cohortMonthOf(t, st, coh.SurrogateKey, 6)
	if _, r := participationOfKey(t, st, s.ps[4].SurrogateKey, 6); r.CohortKey != "" || r.Model != "" || r.OutingsByStage[3] != 1 {
		t.Fatalf("month 6 after leaving, with an outing: %+v", r)
	}
	if _, err := participationOfKeyMaybe(st, p.SurrogateKey, 7); err == nil {
		t.Fatal("a record for month 7 before the first of August")
	}
	// The participant record names the model of the current cohort.
	for _, r := range outboxOf[contract.Participant](t, st, contract.TypeParticipant) {
		want := contract.ModelPeerPartners
		if r.Key == s.ps[4].SurrogateKey {
			want = ""
		}
		if r.Model != want {
			t.Fatalf("participant %s model %q, want %q", r.Key, r.Model, want)
		}
	}
}

func participationOfKeyMaybe(st *Store, key string, month int) (contract.Participation, error) {
	var recs []SyncRecord
	if err := st.DB.Where("type = ? AND deleted = ?", contract.TypeParticipation, false).Find(&recs).Error; err != nil {
		return contract.Participation{}, err
	}
	for _, r := range recs {
		var p contract.Participation
		_ = json.Unmarshal([]byte(r.Data), &p)
		if p.ParticipantKey == key && p.ProgramMonth == month {
			return p, nil
		}
	}
	return contract.Participation{}, ErrNotFound
}

func mustDay(s string) time.Time {
	d, ok := parseDate(s)
	if !ok {
		panic(s)
	}
	return d
}

// TestHospitalizations: only with the intake consent; the record carries
// program months, never dates; corrections replace it; withdrawal deletes
// it and the participation records upstream.
func TestHospitalizations(t *testing.T) {
	ctx := context.Background()
	st := openTestAt(t, time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC))
	none := person(t, st, "Noconsent", "2026-01-12")
	for name, err := range map[string]error{
		"before":  st.Outcomes.SetHospitalizationsBefore(ctx, none.ID, 1),
		"stay":    second(st.Outcomes.AddHospitalStay(ctx, none.ID, "2026-02-01")),
		"service": second(st.Outcomes.AddServiceChange(ctx, none.ID, ServiceChange{Service: "day_program", Change: "started", ChangedOn: "2026-02-01"})),
	} {
		if !errors.Is(err, ErrNoHospitalizationConsent) {
			t.Fatalf("%s without consent: %v", name, err)
		}
	}
	in := eligible(ParticipantInput{FirstName: "Con", LastName: "Sent", BirthDate: "1990-02-02", EnrolledOn: "2026-01-12"})
	in.HospitalizationConsentOn = "2026-01-12"
	p, err := st.Participants.AddParticipant(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(outboxOf[contract.Hospitalization](t, st, contract.TypeHospitalization)); n != 0 {
		t.Fatalf("%d hospitalization records before the count was recorded", n)
	}
	// Bad input changes nothing.
	before := versions(t, st)
	for name, err := range map[string]error{
		"negative count":    st.Outcomes.SetHospitalizationsBefore(ctx, p.ID, -1),
		"stay before":       second(st.Outcomes.AddHospitalStay(ctx, p.ID, "2025-12-31")),
		"stay in future":    second(st.Outcomes.AddHospitalStay(ctx, p.ID, "2026-06-21")),
		"stay not a date":   second(st.Outcomes.AddHospitalStay(ctx, p.ID, "June")),
		"unknown service":   second(st.Outcomes.AddServiceChange(ctx, p.ID, ServiceChange{Service: "Dr. Canary's clinic", Change: "started", ChangedOn: "2026-02-01"})),
		"unknown change":    second(st.Outcomes.AddServiceChange(ctx, p.ID, ServiceChange{Service: "day_program", Change: "paused", ChangedOn: "2026-02-01"})),
		"change after year": second(st.Outcomes.AddServiceChange(ctx, p.ID, ServiceChange{Service: "day_program", Change: "started", ChangedOn: "2027-02-01"})),
	} {
		var ve *ValidationError
		var ves ValidationErrors
		if !errors.As(err, &ve) && !errors.As(err, &ves) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if h, _ := st.Outcomes.HospitalizationsOf(ctx, p.ID); h.BeforeCount != nil || len(h.Stays) != 0 || len(h.ServiceChanges) != 0 || !reflect.DeepEqual(before, versions(t, st)) {
		t.Fatalf("bad input changed something: %+v", h)
	}
	// Seven before enrollment leave as 3, "3 or more".
	if err := st.Outcomes.SetHospitalizationsBefore(ctx, p.ID, 7); err != nil {
		t.Fatal(err)
	}
	if h, _ := st.Outcomes.HospitalizationsOf(ctx, p.ID); h.BeforeCount == nil || *h.BeforeCount != 7 {
		t.Fatalf("the site keeps the count it was given: %+v", h.BeforeCount)
	}
	// A stay in June leaves on the first of July: records are computed
	// as of the end of May.
	if _, err := st.Outcomes.AddHospitalStay(ctx, p.ID, "2026-06-10"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outcomes.AddHospitalStay(ctx, p.ID, "2026-03-20"); err != nil {
		t.Fatal(err)
	}
	stay, err := st.Outcomes.AddHospitalStay(ctx, p.ID, "2026-02-15")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outcomes.AddServiceChange(ctx, p.ID, ServiceChange{Service: "day_program", Change: "started", ChangedOn: "2026-05-13"}); err != nil {
		t.Fatal(err)
	}
	hs := outboxOf[contract.Hospitalization](t, st, contract.TypeHospitalization)
	if len(hs) != 1 {
		t.Fatalf("%d hospitalization records, want one per participant", len(hs))
	}
	var id string
	var h contract.Hospitalization
	for id, h = range hs {
	}
	want := contract.Hospitalization{ParticipantKey: p.SurrogateKey, EnrollmentYear: 2026, AgeBand: "35-44", BeforeCount: 3, DuringMonths: []int{2, 3}, MonthsEnrolled: 5,
		ServiceChanges: []contract.ServiceChange{{Service: "day_program", Change: "started", ProgramMonth: 5}}}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("hospitalization record:\n got %+v\nwant %+v", h, want)
	}
	v := versions(t, st)[id]
	if err := st.Outcomes.DeleteHospitalStay(ctx, p.ID, stay.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Outcomes.DeleteHospitalStay(ctx, p.ID, stay.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting again: %v", err)
	}
	if got := outboxOf[contract.Hospitalization](t, st, contract.TypeHospitalization)[id]; !reflect.DeepEqual(got.DuringMonths, []int{3}) || versions(t, st)[id] != v+1 {
		t.Fatalf("after the correction: %+v at version %d (was %d)", got, versions(t, st)[id], v)
	}
	// Withdrawal deletes every record of the participant upstream.
	if err := st.Participants.Withdraw(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	var live []SyncRecord
	if err := st.DB.Where("deleted = ?", false).Find(&live).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range live {
		if strings.Contains(r.Data, p.SurrogateKey) {
			t.Fatalf("a %s record of the withdrawn participant is still live upstream", r.Type)
		}
	}
	var gone int64
	st.DB.Model(&SyncRecord{}).Where("deleted = ? AND type = ?", true, contract.TypeHospitalization).Count(&gone)
	if gone != 1 {
		t.Fatalf("%d hospitalization tombstones, want 1", gone)
	}
}

func second[T any](_ T, err error) error { return err }

// tableColumns lists a table's columns.
func tableColumns(t *testing.T, st *Store, table string) []string {
	t.Helper()
	var cols []struct{ Name string }
	if err := st.DB.Raw("SELECT name FROM pragma_table_info(?)", table).Scan(&cols).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	sort.Strings(out)
	return out
}

// TestSurveysAreAnonymous shows that nothing in the agent's database links
// a survey to a participant, and that surveys reach the outbox only in
// batches, all at one moment.
func TestSurveysAreAnonymous(t *testing.T) {
	ctx := context.Background()
	st := openTestAt(t, time.Date(2026, 6, 20, 9, 30, 0, 0, time.UTC))
	rel := program.Default()
	answers := map[string]string{}
	for i, s := range rel.Survey.Statements {
		answers[s.Code] = contract.SurveyAnswers[i%4]
	}
	// The survey tables hold no participant, cohort, staff or time column,
	// and no rowid that would keep the order rows came in.
	if got := tableColumns(t, st, "surveys"); !reflect.DeepEqual(got, []string{"answers", "id", "model", "release", "released", "timepoint", "year"}) {
		t.Fatalf("surveys columns %v", got)
	}
	if got := tableColumns(t, st, "survey_passes"); !reflect.DeepEqual(got, []string{"expires_on", "hash", "kind", "model", "timepoint", "year"}) {
		t.Fatalf("survey_passes columns %v", got)
	}
	for _, table := range []string{"surveys", "survey_passes"} {
		var n int64
		if err := st.DB.Raw("SELECT rowid FROM " + table).Scan(&n).Error; err == nil {
			t.Fatalf("%s has a rowid", table)
		}
	}
	ps := addPeople(t, st, 3)

	// Bad input is refused and stores nothing.
	for name, in := range map[string]SurveyInput{
		"no timepoint":      {Answers: answers},
		"eligibility":       {Timepoint: "eligibility", Answers: answers},
		"unknown model":     {Timepoint: "midpoint", Model: "canary", Answers: answers},
		"unknown statement": {Timepoint: "midpoint", Answers: map[string]string{"s99_canary": "somewhat_agree"}},
		"unknown answer":    {Timepoint: "midpoint", Answers: map[string]string{rel.Survey.Statements[0].Code: "yes"}},
		"nothing answered":  {Timepoint: "midpoint", Answers: map[string]string{}},
	} {
		var ves ValidationErrors
		if err := st.Surveys.RecordSurvey(ctx, in); !errors.As(err, &ves) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Four from paper, one with a code, two on a device in survey mode.
	for i := 0; i < 4; i++ {
		if err := st.Surveys.RecordSurvey(ctx, SurveyInput{Timepoint: "midpoint", Model: contract.ModelPeerPartners, Answers: answers}); err != nil {
			t.Fatal(err)
		}
	}
	codes, err := st.Surveys.IssueSurveyCodes(ctx, "closing", "", 2)
	if err != nil || len(codes) != 2 || codes[0] == codes[1] {
		t.Fatalf("codes %v %v", codes, err)
	}
	if _, err := st.Surveys.IssueSurveyCodes(ctx, "closing", "", 101); err == nil {
		t.Fatal("101 codes issued")
	}
	if err := st.Surveys.SubmitSurvey(ctx, strings.ToLower(codes[0]), map[string]string{rel.Survey.Statements[0].Code: "definitely_agree"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Surveys.SubmitSurvey(ctx, codes[0], answers); !errors.Is(err, ErrSurveyPass) {
		t.Fatalf("a code used twice: %v", err)
	}
	if err := st.Surveys.SubmitSurvey(ctx, "NOPE0-NOPE0", answers); !errors.Is(err, ErrSurveyPass) {
		t.Fatalf("a made-up code: %v", err)
	}
	dev, err := st.Surveys.StartSurveyDevice(ctx, "midpoint", contract.ModelSocialExplorations)
	if err != nil {
		t.Fatal(err)
	}
	// Below the batch size nothing reaches the outbox.
	if n, err := st.Surveys.ReleaseSurveys(ctx, 7); err != nil || n != 0 {
		t.Fatalf("released %d of 5 with a batch of 7: %v", n, err)
	}
	for i := 0; i < 2; i++ {
		if err := st.Surveys.SubmitSurvey(ctx, dev, answers); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(outboxOf[contract.SurveyResponse](t, st, contract.TypeSurveyResponse)); n != 0 {
		t.Fatalf("%d surveys in the outbox before release", n)
	}
	// A participant changes between the surveys and the release.
	if _, err := st.Participants.RecordInterview(ctx, ps[1].ID, "midpoint", InterviewInput{InterviewedOn: "2026-06-19", Answers: allAnswers(true)}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Surveys.ReleaseSurveys(ctx, 7); err != nil || n != 7 {
		t.Fatalf("released %d of 7: %v", n, err)
	}
	if n, err := st.Surveys.ReleaseSurveys(ctx, 1); err != nil || n != 0 {
		t.Fatalf("released %d again: %v", n, err)
	}
	recs := outboxOf[contract.SurveyResponse](t, st, contract.TypeSurveyResponse)
	if len(recs) != 7 {
		t.Fatalf("%d surveys in the outbox, want 7", len(recs))
	}
	byTimepoint := map[string]int{}
	for _, r := range recs {
		byTimepoint[r.Timepoint+"/"+r.Model]++
		if r.Year != 2026 || r.Release != rel.Version {
			t.Fatalf("survey record %+v", r)
		}
	}
	if want := map[string]int{"midpoint/peer_partners": 4, "closing/": 1, "midpoint/social_explorations": 2}; !reflect.DeepEqual(byTimepoint, want) {
		t.Fatalf("surveys by timepoint/model %v, want %v", byTimepoint, want)
	}
	// In the outbox the surveys sit together, after every participant
	// change, all stamped with the start of the year.
	var rows []SyncRecord
	if err := st.DB.Order("change_seq").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	first := -1
	for i, r := range rows {
		if r.Type != contract.TypeSurveyResponse {
			continue
		}
		if first < 0 {
			first = i
		}
		if i-first >= 7 {
			t.Fatal("survey records are not contiguous in the outbox")
		}
		if !r.UpdatedAt.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("a survey's outbox time is %v", r.UpdatedAt)
		}
		if !contract.ValidRecordID(r.ID) {
			t.Fatalf("survey record id %s", r.ID)
		}
	}
	if first+7 != len(rows) {
		t.Fatal("survey records are not the last written")
	}
	// No survey id appears anywhere in the database but in the survey
	// table and the outbox; no participant's id or key is in either.
	var surveyIDs []string
	if err := st.DB.Raw("SELECT id FROM surveys").Scan(&surveyIDs).Error; err != nil || len(surveyIDs) != 7 {
		t.Fatalf("survey ids %v %v", surveyIDs, err)
	}
	var tables []string
	if err := st.DB.Raw("SELECT name FROM sqlite_master WHERE type = 'table'").Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		var rows []map[string]any
		if err := st.DB.Table(table).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		dump := strings.ToLower(toJSON(rows))
		for _, id := range surveyIDs {
			if strings.Contains(dump, id) && table != "surveys" && table != "sync_records" {
				t.Errorf("survey id found in table %s", table)
			}
		}
		if table == "surveys" || table == "survey_passes" {
			for _, p := range ps {
				if strings.Contains(dump, strings.ToLower(p.ID)) || strings.Contains(dump, p.SurrogateKey) {
					t.Errorf("a participant found in table %s", table)
				}
			}
		}
	}
	// Ending survey mode makes the device's pass useless.
	if err := st.Surveys.EndSurveyDevice(ctx, dev); err != nil {
		t.Fatal(err)
	}
	if err := st.Surveys.SubmitSurvey(ctx, dev, answers); !errors.Is(err, ErrSurveyPass) {
		t.Fatalf("after survey mode ended: %v", err)
	}
	// Surveys of a year that has ended go out even below the batch size.
	if err := st.Surveys.RecordSurvey(ctx, SurveyInput{Timepoint: "closing", Answers: answers}); err != nil {
		t.Fatal(err)
	}
	st.Now = func() time.Time { return time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC) }
	if n, err := st.Surveys.ReleaseSurveys(ctx, 5); err != nil || n != 1 {
		t.Fatalf("last year's lone survey: released %d, %v", n, err)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSideBySide(t *testing.T) {
	rel := program.Default()
	a, b := rel.POM.Items[0].Code, rel.POM.Items[1].Code
	all := func(over map[string]bool) string {
		m := allAnswers(false)
		for k, v := range over {
			m[k] = v
		}
		return mustJSON(m)
	}
	v := SideBySide(rel, map[string]POMInterview{
		"eligibility": {InterviewedOn: "2026-01-05", Answers: all(map[string]bool{b: true})},
		"closing":     {InterviewedOn: "2026-12-01", Answers: all(map[string]bool{a: true})},
	})
	if len(v.Rows) != 12 || v.Present["eligibility"] != 1 || v.Present["closing"] != 1 || v.Dates["midpoint"] != "" {
		t.Fatalf("side by side %+v", v)
	}
	if r := v.Rows[0]; !reflect.DeepEqual(r.Cells, []string{"not present", "", "present"}) || r.Change != "gained" {
		t.Fatalf("row 0 %+v", r)
	}
	if r := v.Rows[1]; r.Change != "lost" {
		t.Fatalf("row 1 %+v", r)
	}
	if r := v.Rows[2]; r.Change != "same" {
		t.Fatalf("row 2 %+v", r)
	}
	if one := SideBySide(rel, map[string]POMInterview{"eligibility": {Answers: all(nil)}}); one.Rows[0].Change != "" {
		t.Fatal("a change with one interview")
	}
}

// TestMigration0006GivesCohortsKeys: cohorts made before migration 0006
// get a random surrogate key each.
func TestMigration0006GivesCohortsKeys(t *testing.T) {
	st := upgradedFrom(t, 5, func(db *gorm.DB) {
		now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
		for _, id := range []string{"c1", "c2"} {
			if err := db.Exec(`INSERT INTO coaches (id, name, created_at, updated_at) VALUES (?, 'Casey', ?, ?)`, "k"+id, now, now).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Exec(`INSERT INTO cohorts (id, name, model, start_date, coach_id, created_at, updated_at) VALUES (?, 'G', 'peer_partners', '2026-01-05', ?, ?, ?)`, id, "k"+id, now, now).Error; err != nil {
				t.Fatal(err)
			}
		}
	})
	var keys []string
	if err := st.DB.Raw("SELECT surrogate_key FROM cohorts ORDER BY id").Scan(&keys).Error; err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || !contract.ValidID(keys[0]) || !contract.ValidID(keys[1]) || keys[0] == keys[1] {
		t.Fatalf("cohort keys after migration 0006: %v", keys)
	}
}

// TestGroupMeetingsHeldForTheWholeMonth: upstream, a Peer Partners
// group's meetings of a month count as held for everyone who was a member
// on some day of it, whatever day they joined or left; a meeting recorded
// late changes at once the record of a member who had left before it,
// though they are not on its attendance list.
func TestGroupMeetingsHeldForTheWholeMonth(t *testing.T) {
	ctx := context.Background()
	s := newClockSite(t, 1, time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC), program.ModelPeerPartners, "2026-04-06")
	var ps []Participant
	for i := range 3 {
		ps = append(ps, s.enroll(t, fmt.Sprintf("198%d-05-05", i), "2026-04-06", i, true))
	}
	if err := s.st.Cohorts.RemoveMember(ctx, s.coh.ID, ps[2].ID, "2026-05-10"); err != nil {
		t.Fatal(err)
	}
	s.meeting(t, "2026-05-05") // all three
	before := versions(t, s.st)
	s.meeting(t, "2026-05-26") // after one left: two on the list
	for i, p := range ps {
		id, r := participationOfKey(t, s.st, p.SurrogateKey, 2) // May
		if r.MeetingsHeld != 2 || r.MeetingsAttended != min(2, 3-i) {
			t.Errorf("member %d in May: %d of %d meetings attended, want %d of 2", i, r.MeetingsAttended, r.MeetingsHeld, min(2, 3-i))
		}
		if versions(t, s.st)[id] != before[id]+1 {
			t.Errorf("member %d: the meeting recorded late did not change their May at once", i)
		}
	}
	// The daily refresh finds nothing more to change.
	before = versions(t, s.st)
	if err := s.st.Outcomes.RefreshOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, versions(t, s.st)) {
		t.Fatal("the daily refresh changed records a meeting had already changed")
	}
}

// TestMigration0010RefreshesEverything: an agent upgraded to calendar
// months forgets the day it last refreshed its computed records, so its
// next sync round recomputes all of them at once; the rest of its meta
// stays.
func TestMigration0010RefreshesEverything(t *testing.T) {
	st := upgradedFrom(t, 9, func(db *gorm.DB) {
		for k, v := range map[string]string{MetaOutcomesRefreshed: "2026-06-20", MetaBatchSeq: "7"} {
			if err := SetMeta(db, k, v); err != nil {
				t.Fatal(err)
			}
		}
	})
	ctx := context.Background()
	if day, err := st.Meta(ctx, MetaOutcomesRefreshed); err != nil || day != "" {
		t.Fatalf("refreshed on %q after the upgrade (%v), want unset", day, err)
	}
	if seq, err := st.Meta(ctx, MetaBatchSeq); err != nil || seq != "7" {
		t.Fatalf("batch sequence %q after the upgrade (%v)", seq, err)
	}
}
