package store

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// TestPublicationFreshOrStale: a report waits for the publication of new
// data, but no longer than the cache's wait; then it answers from the
// publication before, and the next request, once the build is done, has
// the new one. Builds are shared: a second request joins the first's. A
// long build rests before the next one starts.
func TestPublicationFreshOrStale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		st, err := Open(ctx, dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		first, err := st.published(ctx, DefaultMinCell)
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.rollupVersion(ctx)
		if err != nil || first.version != v {
			t.Fatalf("first publication of version %q, the data's is %q (%v)", first.version, v, err)
		}
		if again, _ := st.published(ctx, DefaultMinCell); again != first {
			t.Fatal("the same data was published twice")
		}

		// New data, and a build that is held back.
		if err := st.DB.Exec("UPDATE hub_meta SET value = ? WHERE key = ?", "next-version", metaRollupVersion).Error; err != nil {
			t.Fatal(err)
		}
		builds, release := make(chan struct{}, 4), make(chan struct{})
		st.pubs.loaded = func(*publication) {
			builds <- struct{}{}
			<-release
		}
		st.pubs.wait = 20 * time.Millisecond
		stale, err := st.published(ctx, DefaultMinCell)
		if err != nil || stale != first {
			t.Fatalf("while the build is held back: %v, %v; want the publication before", stale, err)
		}
		if again, _ := st.published(ctx, DefaultMinCell); again != first {
			t.Fatal("a second request did not answer from the publication before")
		}
		<-builds // the one build, joined by the second request
		close(release)
		if err := st.PublishOutcomes(ctx, DefaultMinCell); err != nil {
			t.Fatal(err)
		}
		fresh, err := st.published(ctx, DefaultMinCell)
		if err != nil || fresh.version != "next-version" {
			t.Fatalf("after the build: version %q, %v", fresh.version, err)
		}
		if len(builds) != 0 {
			t.Fatalf("%d more builds than the one needed", len(builds))
		}

		// A build that took long rests before the next: new data meanwhile
		// is answered from it, without a build and without a wait.
		fresh.took = time.Hour
		if err := st.DB.Exec("UPDATE hub_meta SET value = ? WHERE key = ?", "third-version", metaRollupVersion).Error; err != nil {
			t.Fatal(err)
		}
		st.pubs.wait = time.Hour
		if got, err := st.published(ctx, DefaultMinCell); err != nil || got != fresh {
			t.Fatalf("while the last build rests: %v, %v; want it", got, err)
		}
		if err := st.PublishOutcomes(ctx, DefaultMinCell); err != nil {
			t.Fatal(err)
		}
		st.pubs.mu.Lock()
		inFlight := len(st.pubs.building)
		st.pubs.mu.Unlock()
		if inFlight != 0 || len(builds) != 0 {
			t.Fatalf("a build started while the last one rests (%d in flight, %d done)", inFlight, len(builds))
		}
		fresh.took = 0 // rested: the next request builds
		if got, err := st.published(ctx, DefaultMinCell); err != nil || got.version != "third-version" {
			t.Fatalf("after the rest: %v, %v", got, err)
		}
	})
}
