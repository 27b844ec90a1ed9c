package store

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/itsmylife/iml/pkg/contract"
)

// TestBatchCounterStaysInRange: the batch counter never wraps around,
// never adopts a watermark no push can have set, and a counter left out of
// range (an agent that adopted such a number and wrapped) is set back from
// the hub's status; the requeue logic is unchanged meanwhile.
func TestBatchCounterStaysInRange(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	if err := st.SetMeta(ctx, MetaGeneration, "g1"); err != nil {
		t.Fatal(err)
	}
	addPeople(t, st, 2) // 4 records
	seq, err := st.NextBatchSeq(ctx)
	if err != nil || seq != 1 {
		t.Fatalf("first batch %d, %v", seq, err)
	}
	b, _ := st.Outbox.PendingBatch(ctx, 0, 10, 1<<20)
	if _, err := st.Outbox.Acknowledge(ctx, seq, b, fatesFor(b, contract.FateStored)); err != nil {
		t.Fatal(err)
	}
	counter := func() string {
		t.Helper()
		v, err := st.Meta(ctx, MetaBatchSeq)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	set := func(v string) {
		t.Helper()
		if err := st.SetMeta(ctx, MetaBatchSeq, v); err != nil {
			t.Fatal(err)
		}
	}

	// At the bound the counter refuses to go on rather than wrap.
	for _, v := range []string{strconv.FormatInt(contract.MaxBatchSeq, 10), strconv.FormatInt(math.MaxInt64, 10), "-1", "x"} {
		set(v)
		if got, err := st.NextBatchSeq(ctx); !errors.Is(err, ErrBatchSeqRange) {
			t.Fatalf("counter %s: next batch %d, %v; want ErrBatchSeqRange", v, got, err)
		}
		if counter() != v {
			t.Fatalf("counter %s became %s", v, counter())
		}
	}

	// The hub reports an absurd watermark: not adopted, nothing requeued.
	for _, hubSeq := range []int64{math.MaxInt64, contract.MaxBatchSeq + 1, -5} {
		set("7")
		n, err := st.Outbox.Reconcile(ctx, "g1", hubSeq)
		if !errors.Is(err, ErrHubSeqRange) || n != 0 || pending(t, st) != 0 {
			t.Fatalf("hub seq %d: requeued %d, %v, pending %d", hubSeq, n, err, pending(t, st))
		}
		if counter() != "7" {
			t.Fatalf("hub seq %d adopted: counter %s", hubSeq, counter())
		}
	}
	// ... and a wrapped counter starts again from 0.
	set(strconv.FormatInt(math.MinInt64, 10))
	if _, err := st.Outbox.Reconcile(ctx, "g1", math.MaxInt64); !errors.Is(err, ErrHubSeqRange) {
		t.Fatal(err)
	}
	if seq, err := st.NextBatchSeq(ctx); err != nil || seq != 1 {
		t.Fatalf("after an absurd hub and a wrapped counter: next batch %d, %v", seq, err)
	}

	// A hub that says 5 (a stuck site set back, or an older backup): the
	// counter is brought to where the hub takes the next batch.
	for _, tc := range []struct {
		name, before string
		hubSeq       int64
		after        string
	}{
		{"wrapped", strconv.FormatInt(math.MinInt64, 10), 5, "5"},
		{"adopted and at int64's end", strconv.FormatInt(math.MaxInt64, 10), 5, "5"},
		{"beyond the step the hub takes", strconv.FormatInt(5+contract.MaxBatchSeqStep, 10), 5, "5"},
		{"below the hub", "2", 5, "5"},
		{"a little above the hub (batches that never arrived)", "9", 5, "9"},
	} {
		set(tc.before)
		if _, err := st.Outbox.Reconcile(ctx, "g1", tc.hubSeq); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if counter() != tc.after {
			t.Errorf("%s: counter %s, want %s", tc.name, counter(), tc.after)
		}
		next, err := st.NextBatchSeq(ctx)
		if err != nil || next < 1 || next > tc.hubSeq+contract.MaxBatchSeqStep {
			t.Errorf("%s: next batch %d, %v: not one the hub takes", tc.name, next, err)
		}
	}
}
