package store

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// openTest opens a store that runs the first release with the
// quasi-identifier rule off (a smallest group of 1), for tests of
// everything else, as the hub's tests use a minimum cell of 1. The rule's
// own tests use openTestK.
func openTest(t *testing.T) *Store {
	t.Helper()
	return openTestK(t, 1)
}

// openTestAt is openTest with the store's clock standing at now.
func openTestAt(t *testing.T, now time.Time) *Store {
	t.Helper()
	st := openTestK(t, 1)
	st.Now = func() time.Time { return now }
	return st
}

// openTestK opens a store that runs the first release with a smallest
// group of k; 0 leaves the release's default. Fuzz targets and benchmarks
// use it too (tb).
func openTestK(tb testing.TB, k int) *Store {
	tb.Helper()
	st, err := Open(context.Background(), filepath.Join(tb.TempDir(), "agent.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if k != 0 {
		setMinGroup(tb, st, program.Default().Version, k)
	}
	return st
}

// setMinGroup makes the site run the first release, as version, with a
// smallest group of k.
func setMinGroup(tb testing.TB, st *Store, version string, k int) {
	tb.Helper()
	rel := program.Default()
	rel.Version, rel.Privacy = version, &program.Privacy{MinGroup: k}
	b, sha := rel.Canonical()
	if err := st.SaveRelease(context.Background(), rel.Version, sha, b); err != nil {
		tb.Fatal(err)
	}
}

func allAnswers(v bool) map[string]bool {
	m := map[string]bool{}
	for _, it := range program.Default().Asked() {
		m[it.Code] = v
	}
	return m
}

func addPeople(t *testing.T, st *Store, n int) []Participant {
	t.Helper()
	var ps []Participant
	// Different people, however many there are already: the intake
	// refuses the same person twice.
	var had int64
	if err := st.DB.Model(&Participant{}).Count(&had).Error; err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		p, err := st.Participants.AddParticipant(context.Background(), eligible(ParticipantInput{FirstName: fmt.Sprint("A", had+int64(i)), LastName: "B", BirthDate: "1980-05-05", EnrolledOn: "2025-03-01"}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Participants.RecordInterview(context.Background(), p.ID, "eligibility", InterviewInput{InterviewedOn: "2025-03-02", Answers: allAnswers(false)}); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// eligible ticks the intake checklist.
func eligible(in ParticipantInput) ParticipantInput {
	in.InformedConsent, in.ManagesFinances, in.SetsGoals, in.AcceptsResponsibilities = true, true, true, true
	in.AgreementSignedOn = in.EnrolledOn
	return in
}

func fatesFor(b Batch, f contract.Fate) []contract.RecordResult {
	out := make([]contract.RecordResult, len(b.Records))
	for i, r := range b.Records {
		out[i] = contract.RecordResult{ID: r.ID, Version: r.Version, Fate: f}
	}
	return out
}

func pending(t *testing.T, st *Store) int64 {
	t.Helper()
	ob, err := st.Outbox.Outbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ob.Pending
}

func TestMigrationsOnEmptyDatabase(t *testing.T) {
	st := openTest(t)
	for _, table := range []string{"agent_meta", "participants", "pom_interviews", "sync_records", "sync_acks", "users", "sessions",
		"coaches", "cohorts", "cohort_members", "audit_log"} {
		if !st.DB.Migrator().HasTable(table) {
			t.Errorf("table %s missing", table)
		}
	}
	for _, col := range []string{"age_override_reason", "informed_consent", "hospitalization_consent_on", "coach_id"} {
		if !st.DB.Migrator().HasColumn("participants", col) {
			t.Errorf("participants.%s missing", col)
		}
	}
	// Opening again applies nothing twice.
	st2, err := Open(context.Background(), st.Path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	st2.Close()
}

// due lists the ids of the records the agent still has to send.
func due(t *testing.T, st *Store) map[string]bool {
	t.Helper()
	b, err := st.Outbox.PendingBatch(context.Background(), 0, 10000, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range b.Records {
		out[r.ID] = true
	}
	return out
}

func TestOutboxAcknowledgement(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	addPeople(t, st, 10) // 20 records
	if got := pending(t, st); got != 20 {
		t.Fatalf("pending = %d, want 20", got)
	}
	b, err := st.Outbox.PendingBatch(ctx, 0, 8, 1<<20)
	if err != nil || len(b.Records) != 8 {
		t.Fatalf("batch of %d, %v", len(b.Records), err)
	}
	// The next batch, read while this one travels, starts after it.
	b2, _ := st.Outbox.PendingBatch(ctx, b.Last, 100, 1<<20)
	if len(b2.Records) != 12 || b2.Records[0].ID == b.Records[0].ID {
		t.Fatalf("next batch holds %d records", len(b2.Records))
	}
	// A record of the batch changes while the batch is in flight: it must
	// stay due. So must a record that is new since the batch was read.
	var changed contract.Record
	for _, r := range b.Records {
		if r.Type == contract.TypeParticipant {
			changed = r
			break
		}
	}
	if _, err := st.Participants.UpdateParticipant(ctx, changed.ID, eligible(ParticipantInput{FirstName: "A", LastName: "B", BirthDate: "1960-05-05", EnrolledOn: "2025-03-01"}), User{}); err != nil {
		t.Fatal(err)
	}
	addPeople(t, st, 1)
	next, err := st.Outbox.Acknowledge(ctx, 1, b, fatesFor(b, contract.FateStored))
	if err != nil || next != 1 {
		t.Fatalf("acknowledge: next seq %d, %v", next, err)
	}
	// The correction changed the participant's age band, so their
	// interview changed too: both must stay due, whichever batch they were in.
	changedIDs := map[string]bool{changed.ID: true}
	var ivs []POMInterview
	st.DB.Find(&ivs, "participant_id = ?", changed.ID)
	for _, iv := range ivs {
		changedIDs[iv.ID] = true
	}
	left := due(t, st)
	for id := range changedIDs {
		if !left[id] {
			t.Errorf("record %s changed while its batch travelled was marked delivered", id)
		}
	}
	delivered := 0
	for _, r := range b.Records {
		if changedIDs[r.ID] {
			continue
		}
		delivered++
		if left[r.ID] {
			t.Errorf("record %s of the acknowledged batch is still due", r.ID)
		}
	}
	var total int64
	st.DB.Model(&SyncRecord{}).Count(&total)
	if int64(len(left)) != total-int64(delivered) || total != 22 {
		t.Errorf("%d of %d records due, want %d", len(left), total, total-int64(delivered))
	}
	// Acknowledged state survives a restart.
	st2, err := Open(ctx, st.Path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if got := due(t, st2); len(got) != len(left) {
		t.Fatalf("after reopening %d due, want %d", len(got), len(left))
	}
}

func TestOutboxReversionAndRefusal(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	addPeople(t, st, 2)
	b, _ := st.Outbox.PendingBatch(ctx, 0, 10, 1<<20)
	res := fatesFor(b, contract.FateStored)
	res[0].Fate, res[0].HubVersion = contract.FateStale, 7 // the hub holds a newer version
	res[1].Fate, res[1].Detail = contract.FateConflict, "record is a participant at the hub"
	if _, err := st.Outbox.Acknowledge(ctx, 1, b, res); err != nil {
		t.Fatal(err)
	}
	var r0, r1 SyncRecord
	st.DB.First(&r0, "id = ?", b.Records[0].ID)
	st.DB.First(&r1, "id = ?", b.Records[1].ID)
	left := due(t, st)
	if !left[r0.ID] || r0.Version != 8 {
		t.Errorf("stale record: due %v version %d, want due at version 8", left[r0.ID], r0.Version)
	}
	if left[r1.ID] || r1.Conflict == "" {
		t.Errorf("refused record: due %v conflict %q", left[r1.ID], r1.Conflict)
	}
	ob, _ := st.Outbox.Outbox(ctx)
	if ob.Pending != 1 || ob.Conflicts != 1 {
		t.Fatalf("outbox %+v", ob)
	}
	// A mismatched answer is refused and changes nothing.
	nb, _ := st.Outbox.PendingBatch(ctx, 0, 10, 1<<20)
	bad := fatesFor(nb, contract.FateStored)
	bad[0].Version = 99
	if _, err := st.Outbox.Acknowledge(ctx, 2, nb, bad); err == nil {
		t.Fatal("an answer naming another version was accepted")
	}
	if got := pending(t, st); got != 1 {
		t.Fatalf("pending after a bad answer = %d", got)
	}
	// A local change of the refused record makes it due again.
	var p Participant
	st.DB.First(&p, "id = ?", r1.ID)
	if p.ID == "" {
		var iv POMInterview
		st.DB.First(&iv, "id = ?", r1.ID)
		st.DB.First(&p, "id = ?", iv.ParticipantID)
	}
	if _, err := st.Participants.UpdateParticipant(ctx, p.ID, eligible(ParticipantInput{FirstName: "C", LastName: "D", BirthDate: "1950-05-05", EnrolledOn: "2025-03-01"}), User{}); err != nil {
		t.Fatal(err)
	}
	if !due(t, st)[r1.ID] {
		t.Fatal("a refused record stayed refused after it changed")
	}
}

func TestReconcileAfterHubRestore(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	if err := st.SetMeta(ctx, MetaGeneration, "g1"); err != nil {
		t.Fatal(err)
	}
	addPeople(t, st, 6) // 12 records
	seq, _ := st.NextBatchSeq(ctx)
	for {
		b, _ := st.Outbox.PendingBatch(ctx, 0, 4, 1<<20)
		if len(b.Records) == 0 {
			break
		}
		var err error
		if seq, err = st.Outbox.Acknowledge(ctx, seq, b, fatesFor(b, contract.FateStored)); err != nil {
			t.Fatal(err)
		}
	}
	if pending(t, st) != 0 {
		t.Fatal("not all delivered")
	}
	// The hub was restored to after batch 1: batches 2 and 3 are due again.
	n, err := st.Outbox.Reconcile(ctx, "g1", 1)
	if err != nil || n != 8 || pending(t, st) != 8 {
		t.Fatalf("requeued %d, %v; want 8", n, err)
	}
	// A new generation: everything is due.
	n, err = st.Outbox.Reconcile(ctx, "g2", 0)
	if err != nil || n != 4 {
		t.Fatalf("requeued %d more, %v; want 4", n, err)
	}
	if pending(t, st) != 12 {
		t.Fatal("not everything is due after a generation change")
	}
}

// A record the hub rejected (it named a release the hub did not know)
// waits aside; the same hub's next answers leave it there, and a new hub
// generation makes it due again.
func TestRejectedRecordWaitsForANewHub(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	if err := st.SetMeta(ctx, MetaGeneration, "g1"); err != nil {
		t.Fatal(err)
	}
	addPeople(t, st, 1) // 2 records
	seq, _ := st.NextBatchSeq(ctx)
	b, _ := st.Outbox.PendingBatch(ctx, 0, 10, 1<<20)
	res := fatesFor(b, contract.FateStored)
	res[1].Fate, res[1].Detail = contract.FateRejected, "release is not a release this hub published"
	if _, err := st.Outbox.Acknowledge(ctx, seq, b, res); err != nil {
		t.Fatal(err)
	}
	if ob, _ := st.Outbox.Outbox(ctx); ob.Pending != 0 || ob.Conflicts != 1 {
		t.Fatalf("outbox after the rejection: %+v", ob)
	}
	if n, err := st.Outbox.Reconcile(ctx, "g1", seq); err != nil || n != 0 || pending(t, st) != 0 {
		t.Fatalf("the same hub: requeued %d, %v", n, err)
	}
	if _, err := st.Outbox.Reconcile(ctx, "g2", 0); err != nil {
		t.Fatal(err)
	}
	if ob, _ := st.Outbox.Outbox(ctx); ob.Pending != 2 || ob.Conflicts != 0 {
		t.Fatalf("outbox after a new generation: %+v", ob)
	}
}

// A hub that holds a record at the highest version the contract allows (a
// site credential pushed it there) leaves no version for the agent to
// answer with: the record waits aside, and the rest of the outbox goes on.
func TestRecordAtTheTopVersionWaitsAside(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	addPeople(t, st, 1) // 2 records
	b, _ := st.Outbox.PendingBatch(ctx, 0, 10, 1<<20)
	res := fatesFor(b, contract.FateStored)
	res[0].Fate, res[0].HubVersion = contract.FateStale, contract.MaxVersion
	if _, err := st.Outbox.Acknowledge(ctx, 1, b, res); err != nil {
		t.Fatal(err)
	}
	var r0 SyncRecord
	st.DB.First(&r0, "id = ?", b.Records[0].ID)
	if r0.Version != b.Records[0].Version || !strings.Contains(r0.Conflict, "highest the contract allows") {
		t.Fatalf("record at the top version: %+v", r0)
	}
	if ob, _ := st.Outbox.Outbox(ctx); ob.Pending != 0 || ob.Conflicts != 1 {
		t.Fatalf("outbox %+v", ob)
	}
}
