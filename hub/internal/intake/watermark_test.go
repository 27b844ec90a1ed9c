package intake_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/deident"
)

// TestLateCommitIsNotSkipped (PostgreSQL): a push whose transaction began
// first but commits after a later push is projected all the same. The
// early push stays open (its beforeCommit waits) while the later one
// commits and the projector runs; the projector must not move its
// watermark past the early push's records, and projects them once it
// commits.
func TestLateCommitIsNotSkipped(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	ctx := context.Background()
	s := open(t, dsn)
	site, other := enrolledSite(t, s, "Late"), enrolledSite(t, s, "Other")
	early := interview(t, deident.NewRecordID(time.Now()), uuid.NewString(), "eligibility", 1, map[string]bool{"pom20_have_friends": true})
	later := interview(t, deident.NewRecordID(time.Now()), uuid.NewString(), "eligibility", 1, map[string]bool{"pom21_respected": true})

	written, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	let := func() { once.Do(func() { close(release) }) }
	t.Cleanup(let) // a failure does not leave the early push waiting
	go func() {
		_, _, err := intake.New(s).Push(ctx, site.ID, 1, []contract.Record{early}, func() error {
			close(written) // the early record is written, uncommitted
			<-release
			return nil
		})
		done <- err
	}()
	<-written
	if _, _, err := intake.New(s).Push(ctx, other.ID, 1, []contract.Record{later}, nil); err != nil {
		t.Fatal(err)
	}
	n, err := intake.New(s).ProjectPending(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("the projector handled %d records while a transaction older than the later push was open: it could pass the early one", n)
	}
	let()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, err := intake.New(s).ProjectPending(ctx, 100); err != nil || n != 2 {
		t.Fatalf("after the early push committed the projector handled %d records (%v), want 2", n, err)
	}
	var got int64
	if err := s.DB.Raw("SELECT COUNT(*) FROM pom_interviews WHERE record_id IN ?", []string{early.ID, later.ID}).Scan(&got).Error; err != nil || got != 2 {
		t.Fatalf("%d of the 2 interviews projected (%v)", got, err)
	}
	if left, err := s.PendingProjection(ctx); err != nil || left != 0 {
		t.Fatalf("%d records pending (%v)", left, err)
	}
	var rolled int64
	if err := s.DB.Raw("SELECT SUM(n) FROM rollup_pom_all").Scan(&rolled).Error; err != nil || rolled != 2 {
		t.Fatalf("the all-sites rollup counts %d answers (%v), want 2", rolled, err)
	}
}
