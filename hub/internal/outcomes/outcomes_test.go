package outcomes_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
)

var rollupTables = []string{"rollup_pom", "rollup_pom_all", "rollup_pom_paired", "rollup_survey", "rollup_survey_all", "rollup_people", "rollup_hosp", "rollup_services", "rollup_months", "rollup_cohorts"}

// snapshot reads every rollup table, sorted, as text.
func snapshot(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tb := range rollupTables {
		out[tb] = storetest.Rows(t, s.DB, "SELECT * FROM "+tb)
		sortStrings(out[tb])
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func projectAll(t *testing.T, s *store.Store, limit int) {
	t.Helper()
	for {
		n, err := intake.New(s).ProjectPending(context.Background(), limit)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func rec(t *testing.T, id, typ string, v int64, p any) contract.Record {
	t.Helper()
	r, err := contract.NewRecord(id, typ, v, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func push(t *testing.T, s *store.Store, site string, recs ...contract.Record) {
	t.Helper()
	res, _, err := intake.New(s).Push(context.Background(), site, 1, recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Fate != contract.FateStored {
			t.Fatalf("record %s: %s %s", r.ID, r.Fate, r.Detail)
		}
	}
}

func count(t *testing.T, s *store.Store, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.DB.Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOutcomeProjection: every outcome type lands in its table; a higher
// version replaces the rows, a tombstone removes them; the POM model
// falls back to the participant record's; the rollups kept by the
// projector equal a projection of the records table from scratch.
func TestOutcomeProjection(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		a := enrolledSite(t, s, "A")
		b := enrolledSite(t, s, "B")
		now := time.Now()
		key := uuid.NewString()
		pid, iv1, iv2, sv, hid, paid, cm := deident.NewRecordID(now), deident.NewRecordID(now), deident.NewRecordID(now), deident.NewRecordID(now), deident.NewRecordID(now), deident.NewRecordID(now), deident.NewRecordID(now)
		part := contract.Participant{Key: key, EnrollmentYear: 2026, AgeBand: "25-34", Model: contract.ModelPeerPartners}
		pomA := contract.POMInterview{ParticipantKey: key, EnrollmentYear: 2026, AgeBand: "25-34", Timepoint: "eligibility", ProgramMonth: 1, Release: "2026.1",
			Answers: map[string]bool{"pom20_have_friends": false, "pom21_respected": true}}
		pomB := pomA
		pomB.Timepoint, pomB.Model, pomB.Answers = "closing", contract.ModelSocialExplorations, map[string]bool{"pom20_have_friends": true}
		survey := contract.SurveyResponse{Year: 2026, Timepoint: "closing", Release: "2026.1", Answers: map[string]string{"s01_meets_where_i_choose": contract.AnswerDefinitelyAgree}}
		hosp := contract.Hospitalization{ParticipantKey: key, EnrollmentYear: 2026, AgeBand: "25-34", BeforeCount: 3, DuringMonths: []int{2}, MonthsEnrolled: 6, ServiceChanges: []contract.ServiceChange{}}
		pa := contract.Participation{ParticipantKey: key, EnrollmentYear: 2026, AgeBand: "25-34", ProgramMonth: 1, MeetingsHeld: 4, MeetingsAttended: 3, JournalsDue: 4, JournalsCompleted: 2,
			StipendSpentCents: 4000, ReceiptsComplete: true, OutingsByStage: []int{1, 0, 0, 0}}
		cmp := contract.CohortMonth{CohortKey: uuid.NewString(), Model: contract.ModelPeerPartners, StartYear: 2026, ProgramMonth: 1, Members: 8, Pairs: 4, MeetingsHeld: 4, MeetingsOnTheme: 3}
		push(t, s, a.ID, rec(t, pid, contract.TypeParticipant, 1, part), rec(t, iv1, contract.TypePOMInterview, 1, pomA), rec(t, iv2, contract.TypePOMInterview, 1, pomB),
			rec(t, sv, contract.TypeSurveyResponse, 1, survey), rec(t, hid, contract.TypeHospitalization, 1, hosp), rec(t, paid, contract.TypeParticipation, 1, pa),
			rec(t, cm, contract.TypeCohortMonth, 1, cmp))
		push(t, s, b.ID, rec(t, deident.NewRecordID(now), contract.TypeSurveyResponse, 1, survey))
		projectAll(t, s, 3)
		for tb, want := range map[string]int64{"outcome_participants": 1, "pom_interviews": 2, "outcome_surveys": 2,
			"outcome_hospitalizations": 1, "outcome_participation": 1, "outcome_cohort_months": 1} {
			if n := count(t, s, "SELECT COUNT(*) FROM "+tb); n != want {
				t.Errorf("%s holds %d rows, want %d", tb, n, want)
			}
		}
		// The eligibility interview has no model: it takes the participant's.
		if n := count(t, s, "SELECT n FROM rollup_pom WHERE site_id = ? AND model = ? AND timepoint = 'eligibility' AND indicator_code = 'pom21_respected'", a.ID, contract.ModelPeerPartners); n != 1 {
			t.Fatalf("eligibility interview under Peer Partners: %d", n)
		}
		if n := count(t, s, "SELECT present FROM rollup_pom_all WHERE model = ? AND timepoint = 'closing' AND indicator_code = 'pom20_have_friends'", contract.ModelSocialExplorations); n != 1 {
			t.Fatalf("closing interview under its own model: %d", n)
		}
		// The participant changes model: the interview without one follows.
		part.Model = contract.ModelSocialExplorations
		push(t, s, a.ID, rec(t, pid, contract.TypeParticipant, 2, part))
		projectAll(t, s, 100)
		if n := count(t, s, "SELECT COUNT(*) FROM rollup_pom WHERE model = ?", contract.ModelPeerPartners); n != 0 {
			t.Fatalf("%d rollup rows still under Peer Partners", n)
		}
		// A correction replaces the answers; a tombstone removes the rows.
		pomA.Answers = map[string]bool{"pom20_have_friends": true}
		push(t, s, a.ID, rec(t, iv1, contract.TypePOMInterview, 2, pomA), contract.NewTombstone(hid, contract.TypeHospitalization, 2), contract.NewTombstone(sv, contract.TypeSurveyResponse, 2))
		projectAll(t, s, 100)
		var answers string
		if err := s.DB.Raw("SELECT answers FROM pom_interviews WHERE record_id = ?", iv1).Scan(&answers).Error; err != nil {
			t.Fatal(err)
		}
		var got map[string]int
		if err := json.Unmarshal([]byte(answers), &got); err != nil || !reflect.DeepEqual(got, map[string]int{"pom20_have_friends": 1}) {
			t.Fatalf("corrected interview's answers %s (%v), want pom20_have_friends: 1 alone", answers, err)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM outcome_hospitalizations"); n != 0 {
			t.Fatalf("withdrawn hospitalization still projected")
		}
		if n := count(t, s, "SELECT hosp_participants FROM rollup_people WHERE site_id = ?", a.ID); n != 0 {
			t.Fatalf("rollup still counts a withdrawn hospitalization: %d", n)
		}
		if n := count(t, s, "SELECT SUM(n) FROM rollup_survey_all"); n != 1 {
			t.Fatalf("all-sites survey rollup counts %d answers, want 1 (site B's)", n)
		}
		rep, err := outcomes.New(s).Outcomes(ctx, outcomes.OutcomeFilter{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if v := rep.Participants.Value; v == nil || *v != 1 {
			t.Fatalf("participants %v", rep.Participants)
		}
		if rep.Hospitalizations.Participants.Value == nil || *rep.Hospitalizations.Participants.Value != 0 {
			t.Fatalf("hospitalizations %+v", rep.Hospitalizations)
		}

		// The rollups equal a projection of the records table from scratch.
		incremental := snapshot(t, s)
		for _, tb := range append([]string{"pom_interviews", "outcome_participants", "outcome_surveys",
			"outcome_hospitalizations", "outcome_participation", "outcome_cohort_months"}, rollupTables...) {
			if err := s.DB.Exec("DELETE FROM " + tb).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DB.Exec("UPDATE record_marks SET xact = 0, record_id = '' WHERE name = 'projected'").Error; err != nil {
			t.Fatal(err)
		}
		projectAll(t, s, 1000)
		if fresh := snapshot(t, s); !reflect.DeepEqual(incremental, fresh) {
			t.Fatalf("incremental rollups differ from a fresh projection:\n%v\n%v", incremental, fresh)
		}
		if err := outcomes.New(s).RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		if rebuilt := snapshot(t, s); !reflect.DeepEqual(incremental, rebuilt) {
			t.Fatalf("rebuilt rollups differ:\n%v\n%v", incremental, rebuilt)
		}
	})
}

// TestCoarseBandsAndTopCodedCounts: participants described with the coarse
// age bands of the quasi-identifier rule count like any others, next to
// an older agent's fine bands; a count before enrollment above 3 (from an
// agent older than the top code) counts as 3, like the agents' "3 or
// more", in the rollups and the report.
func TestCoarseBandsAndTopCodedCounts(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		a := enrolledSite(t, s, "A")
		now := time.Now()
		var recs []contract.Record
		befores := map[string]int{"any": 7, "65+": 3, "18-44": 1, "45-64": 0, "90+": 12}
		for _, band := range []string{"any", "65+", "18-44", "45-64", "90+"} {
			key := uuid.NewString()
			recs = append(recs,
				rec(t, deident.NewRecordID(now), contract.TypeParticipant, 1, contract.Participant{Key: key, EnrollmentYear: 2026, AgeBand: band, Model: contract.ModelPeerPartners}),
				rec(t, deident.NewRecordID(now), contract.TypeHospitalization, 1, contract.Hospitalization{ParticipantKey: key, EnrollmentYear: 2026, AgeBand: band,
					BeforeCount: befores[band], DuringMonths: []int{}, MonthsEnrolled: 12, ServiceChanges: []contract.ServiceChange{}}))
		}
		push(t, s, a.ID, recs...)
		projectAll(t, s, 100)
		if n := count(t, s, "SELECT participants FROM rollup_people WHERE site_id = ? AND model = ?", a.ID, contract.ModelPeerPartners); n != 5 {
			t.Fatalf("%d participants counted, want 5", n)
		}
		// 7 and 12 count as 3: 3 + 3 + 1 + 0 + 3.
		if n := count(t, s, "SELECT hosp_before FROM rollup_people WHERE site_id = ?", a.ID); n != 10 {
			t.Fatalf("hospitalizations before enrollment summed to %d, want 10", n)
		}
		// The projection keeps what was sent: a rollup rebuilt from it
		// (after an upgrade of the hub, say) sums the same.
		if n := count(t, s, "SELECT MAX(before_count) FROM outcome_hospitalizations"); n != 12 {
			t.Fatalf("largest projected count before enrollment %d, want 12 as sent", n)
		}
		if err := outcomes.New(s).RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, s, "SELECT hosp_before FROM rollup_people WHERE site_id = ?", a.ID); n != 10 {
			t.Fatalf("rebuilt: hospitalizations before enrollment summed to %d, want 10", n)
		}
		rep, err := outcomes.New(s).Outcomes(ctx, outcomes.OutcomeFilter{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		// 10 over two years for each of 5 participants.
		if v, n := rep.Hospitalizations.BeforeRate.Value, rep.Participants.Value; v == nil || *v != 1 || n == nil || *n != 5 {
			t.Fatalf("report: participants %+v, before rate %+v", rep.Participants, rep.Hospitalizations.BeforeRate)
		}
	})
}

// TestFidelityFlags: a site whose Peer Partners group is odd-sized, meets
// rarely and strays from the theme is flagged with those reasons; a site
// that keeps to the program is not. Thresholds are the caller's.
func TestFidelityFlags(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		good := enrolledSite(t, s, "Good")
		weak := enrolledSite(t, s, "Weak")
		now := time.Now()
		cohort := func(site store.Site, members, held, onTheme int) {
			ck := uuid.NewString()
			var recs []contract.Record
			for m := 1; m <= 3; m++ {
				recs = append(recs, rec(t, deident.NewRecordID(now), contract.TypeCohortMonth, 1, contract.CohortMonth{CohortKey: ck, Model: contract.ModelPeerPartners, StartYear: 2026,
					ProgramMonth: m, Members: members, Pairs: members / 2, MeetingsHeld: held, MeetingsOnTheme: onTheme}))
			}
			for i := 0; i < 12; i++ {
				recs = append(recs, rec(t, deident.NewRecordID(now), contract.TypeParticipation, 1, contract.Participation{ParticipantKey: uuid.NewString(), EnrollmentYear: 2026, AgeBand: "35-44",
					Model: contract.ModelPeerPartners, ProgramMonth: 1, MeetingsHeld: held, MeetingsAttended: held, JournalsDue: 4, JournalsCompleted: map[bool]int{true: 4, false: 1}[site.ID == good.ID],
					StipendSpentCents: 1000, ReceiptsComplete: site.ID == good.ID, OutingsByStage: []int{0, 0, 0, 0}}))
			}
			push(t, s, site.ID, recs...)
		}
		cohort(good, 8, 4, 4)
		cohort(weak, 7, 2, 1)
		projectAll(t, s, 1000)
		flags, err := outcomes.New(s).FlaggedSites(ctx, outcomes.DefaultFidelity(), outcomes.DefaultMinCell)
		if err != nil {
			t.Fatal(err)
		}
		if len(flags) != 1 || flags[0].SiteID != weak.ID {
			t.Fatalf("flagged %+v, want only the weak site", flags)
		}
		reasons := strings.Join(flags[0].Reasons, "; ")
		for _, want := range []string{"group size within 6–12 and even", "meet 2.0 times a month", "journal completion below 75%", "receipt compliance below 90%", "50% of meetings on the month's theme"} {
			if !strings.Contains(reasons, want) {
				t.Errorf("reasons %q lack %q", reasons, want)
			}
		}
		lenient := outcomes.DefaultFidelity()
		lenient.GroupSizeShare, lenient.PeerPartnersMeetings, lenient.JournalShare, lenient.ReceiptShare, lenient.ThemeShare = 0, 2, 0, 0, 0
		if flags, _ := outcomes.New(s).FlaggedSites(ctx, lenient, outcomes.DefaultMinCell); len(flags) != 0 {
			t.Fatalf("with lenient thresholds %+v are flagged", flags)
		}
		rep, err := outcomes.New(s).Fidelity(ctx, outcomes.OutcomeFilter{}, outcomes.DefaultFidelity(), 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, sf := range rep.Sites {
			if !sf.JournalShare.Suppressed {
				t.Fatalf("site %s of 12 participants shows journal completion %v under a minimum cell of 20", sf.Site, sf.JournalShare)
			}
		}
	})
}
