package outcomes_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/program"
)

// deltaWorld makes random records for a few sites from small pools of
// participants, so that records meet: many rows per participant, several
// participant records (and models) per key, corrections that move a row
// to another participant.
type deltaWorld struct {
	rng                   *rand.Rand
	release               string
	pomCodes, surveyCodes []string
	sites                 []string
	keys                  map[string][]string // participant keys by site
	live                  map[string]deltaRecord
	ids                   []string // every record made, in order
}

type deltaRecord struct {
	site, typ string
	version   int64
	deleted   bool
}

func (w *deltaWorld) pick(s []string) string { return s[w.rng.IntN(len(s))] }

func (w *deltaWorld) model() string { return w.pick(append([]string{""}, contract.Models...)) }

// payload is a random valid payload of typ at site.
func (w *deltaWorld) payload(site, typ string) any {
	key, year, band := w.pick(w.keys[site]), 2025+w.rng.IntN(2), w.pick(contract.AgeBands[1:4])
	switch typ {
	case contract.TypeParticipant:
		return contract.Participant{Key: key, EnrollmentYear: year, AgeBand: band, Model: w.model()}
	case contract.TypePOMInterview:
		ans := map[string]bool{}
		for range 1 + w.rng.IntN(4) {
			ans[w.pick(w.pomCodes)] = w.rng.IntN(2) == 0
		}
		return contract.POMInterview{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, Model: w.model(), Timepoint: w.pick(contract.Timepoints),
			ProgramMonth: 1 + w.rng.IntN(12), Release: w.release, Answers: ans}
	case contract.TypeSurveyResponse:
		ans := map[string]string{}
		for range 1 + w.rng.IntN(3) {
			ans[w.pick(w.surveyCodes)] = w.pick(contract.SurveyAnswers)
		}
		return contract.SurveyResponse{Year: year, Timepoint: w.pick([]string{contract.TimepointMidpoint, contract.TimepointClosing}), Model: w.model(), Release: w.release, Answers: ans}
	case contract.TypeHospitalization:
		return contract.Hospitalization{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, Model: w.model(), BeforeCount: w.rng.IntN(4),
			DuringMonths: []int{1 + w.rng.IntN(12)}[:w.rng.IntN(2)], MonthsEnrolled: w.rng.IntN(13), ServiceChanges: w.serviceChanges()}
	case contract.TypeParticipation:
		held, due := w.rng.IntN(5), w.rng.IntN(5)
		return contract.Participation{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, Model: w.model(), ProgramMonth: 1 + w.rng.IntN(12),
			MeetingsHeld: held, MeetingsAttended: w.rng.IntN(held + 1), JournalsDue: due, JournalsCompleted: w.rng.IntN(due + 1),
			StipendSpentCents: int64(w.rng.IntN(3)) * 1000, ReceiptsComplete: w.rng.IntN(2) == 0, OutingsByStage: []int{w.rng.IntN(2), w.rng.IntN(2), 0, 1}}
	default:
		members := 6 + 2*w.rng.IntN(2)
		return contract.CohortMonth{CohortKey: key, Model: w.pick(contract.Models), StartYear: year, ProgramMonth: 1 + w.rng.IntN(12), Members: members,
			Pairs: members / 2, MeetingsHeld: 3, MeetingsOnTheme: w.rng.IntN(4)}
	}
}

var deltaTypes = []string{contract.TypeParticipant, contract.TypeParticipant, contract.TypePOMInterview, contract.TypePOMInterview, contract.TypeSurveyResponse,
	contract.TypeHospitalization, contract.TypeParticipation, contract.TypeParticipation, contract.TypeCohortMonth}

// step makes one random change: a new record, a correction (a new version
// with new content, perhaps another participant or model), or a
// withdrawal; it returns the site and the record to push.
func (w *deltaWorld) step(t *testing.T) (string, contract.Record) {
	t.Helper()
	if len(w.ids) > 0 && w.rng.IntN(10) < 4 {
		id := w.ids[w.rng.IntN(len(w.ids))]
		r := w.live[id]
		r.version++
		if !r.deleted && w.rng.IntN(3) == 0 {
			r.deleted = true
			w.live[id] = r
			return r.site, contract.NewTombstone(id, r.typ, r.version)
		}
		r.deleted = false // a correction, or a withdrawn record sent again
		w.live[id] = r
		return r.site, rec(t, id, r.typ, r.version, w.payload(r.site, r.typ))
	}
	site, typ := w.pick(w.sites), w.pick(deltaTypes)
	id := deident.NewRecordID(time.Now())
	w.ids = append(w.ids, id)
	w.live[id] = deltaRecord{site: site, typ: typ, version: 1}
	return site, rec(t, id, typ, 1, w.payload(site, typ))
}

// TestDeltaRollupsEqualRebuild: after random ingest (new records,
// corrections, withdrawals, participant model changes) projected in
// random batch sizes, often with records still waiting, every rollup table
// and the all-sites copies hold exactly what RebuildRollups computes from
// the projected rows.
func TestDeltaRollupsEqualRebuild(t *testing.T) {
	paired := int64(0)
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, dsn string) { paired += deltaProperty(t, dsn, seed) })
		})
	}
	if paired == 0 {
		t.Fatal("no run made paired changes: the delta of rollup_pom_paired is not exercised")
	}
}

// deltaProperty runs one world and returns how many paired-change rows
// it made.
func deltaProperty(t *testing.T, dsn string, seed uint64) int64 {
	ctx := context.Background()
	s := open(t, dsn)
	w := &deltaWorld{rng: rand.New(rand.NewPCG(seed, 77)), keys: map[string][]string{}, live: map[string]deltaRecord{}}
	rel := program.Default()
	w.release = rel.Version
	for _, it := range rel.POM.Items {
		w.pomCodes = append(w.pomCodes, it.Code)
	}
	for _, st := range rel.Survey.Statements {
		w.surveyCodes = append(w.surveyCodes, st.Code)
	}
	for i := range 3 {
		site := enrolledSite(t, s, fmt.Sprintf("Delta %d-%d", seed, i)).ID
		w.sites = append(w.sites, site)
		for range 2 + i*3 {
			w.keys[site] = append(w.keys[site], fmt.Sprintf("0190a0c0-%04d-4000-8000-%012d", i, w.rng.IntN(1e6)))
		}
	}
	for round := range 12 {
		// A few pushes, each of a few records of one site.
		for range 1 + w.rng.IntN(5) {
			batch := map[string][]contract.Record{}
			seen := map[string]bool{}
			for range 1 + w.rng.IntN(12) {
				site, r := w.step(t)
				if seen[r.ID] { // one version of a record per push
					continue
				}
				seen[r.ID] = true
				batch[site] = append(batch[site], r)
			}
			for site, recs := range batch {
				push(t, s, site, recs...)
			}
		}
		// Some passes of a random size; sometimes not all.
		for range w.rng.IntN(4) {
			if _, err := intake.New(s).ProjectPending(ctx, 1+w.rng.IntN(30)); err != nil {
				t.Fatal(err)
			}
		}
		if round%3 == 2 || round == 11 {
			if round == 11 {
				projectAll(t, s, 1+w.rng.IntN(30))
			}
			wantRebuilt(t, s, round)
		}
	}
	if n, err := s.PendingProjection(ctx); err != nil || n != 0 {
		t.Fatalf("%d records pending after the last pass (%v)", n, err)
	}
	if count(t, s, "SELECT COUNT(*) FROM rollup_pom_all") == 0 || count(t, s, "SELECT COUNT(*) FROM rollup_people") == 0 || count(t, s, "SELECT COUNT(*) FROM rollup_services") == 0 || count(t, s, "SELECT COUNT(*) FROM rollup_hosp") == 0 {
		t.Fatal("the test made no rollups")
	}
	return count(t, s, "SELECT COUNT(*) FROM rollup_pom_paired")
}

// wantRebuilt fails unless the rollups the projector kept equal a rebuild
// from the projected rows, table by table.
func wantRebuilt(t *testing.T, s *store.Store, round int) {
	t.Helper()
	kept := snapshot(t, s)
	if err := outcomes.New(s).RebuildRollups(context.Background()); err != nil {
		t.Fatal(err)
	}
	rebuilt := snapshot(t, s)
	for _, tb := range rollupTables {
		if !reflect.DeepEqual(kept[tb], rebuilt[tb]) {
			t.Fatalf("round %d: %s kept by deltas differs from the rebuild:\nkept    %v\nrebuilt %v", round, tb, kept[tb], rebuilt[tb])
		}
	}
}

// serviceChanges are a few changes in other services, now and then two of
// one service and kind (a participant counts once for them).
func (w *deltaWorld) serviceChanges() []contract.ServiceChange {
	out := []contract.ServiceChange{}
	for range w.rng.IntN(3) {
		c := contract.ServiceChange{Service: contract.Services[w.rng.IntN(3)], Change: contract.ServiceChangeKinds[w.rng.IntN(2)], ProgramMonth: 1 + w.rng.IntN(12)}
		out = append(out, c)
		if w.rng.IntN(4) == 0 {
			c.ProgramMonth = 1 + w.rng.IntN(12)
			out = append(out, c)
		}
	}
	return out
}
