package outcomes

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/suppress"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// testPublication makes a publication of counts by base and cell name, as
// loadPublication does from the rollups, without a database.
func testPublication(t *testing.T, min int64, sites []siteInfo, raw map[suppress.Base]map[string]int64) *publication {
	t.Helper()
	p := &publication{min: min, sites: map[string]siteInfo{}, orgs: map[string]siteInfo{}}
	for _, si := range sites {
		p.sites[si.ID] = si
		p.orgs[si.OrgID] = si
	}
	var r rawCells
	for b, m := range raw {
		for k, v := range m {
			i := r.cell(k)
			r.at(b)[i] += v
		}
	}
	var err error
	if p.lat, err = suppress.Build(p.input(&r)); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPublicationViews: a filter's report is its node of the lattice,
// with the node's counts and their suppression, so the case suppression
// decides across filters (package suppress, TestLatticeCrossFilter) reads
// the same through the filters; a filter that matches nothing is an empty
// report, not an error.
func TestPublicationViews(t *testing.T) {
	sites := []siteInfo{
		{ID: "a1", OrgID: "A", OrgType: "peer_run", State: "VA"},
		{ID: "b1", OrgID: "B", OrgType: "church", State: "MD"},
		{ID: "b2", OrgID: "B", OrgType: "church", State: "MD"},
	}
	pp, se := contract.ModelPeerPartners, contract.ModelSocialExplorations
	p := testPublication(t, 11, sites, map[suppress.Base]map[string]int64{
		{Site: "a1", Model: pp, Year: 2025}: {"total/participants": 4},
		{Site: "a1", Model: se, Year: 2025}: {"total/participants": 15},
		{Site: "b1", Model: pp, Year: 2025}: {"total/participants": 50},
		{Site: "b2", Model: pp, Year: 2025}: {"total/participants": 45},
	})
	cell := func(f OutcomeFilter) (int64, bool) {
		v := p.view(f)
		return v.val("total/participants"), v.hid("total/participants")
	}
	if v, hid := cell(OutcomeFilter{OrgID: "A", Model: pp}); v != 4 || !hid {
		t.Fatalf("A's Peer Partners: %d, hidden %v", v, hid)
	}
	_, orgHidden := cell(OutcomeFilter{OrgID: "A"})
	_, seHidden := cell(OutcomeFilter{Model: se})
	if !orgHidden && !seHidden {
		t.Fatal("A's report and the national Social Explorations report are both shown: their difference is A's 4")
	}
	if v, hid := cell(OutcomeFilter{}); v != 114 || hid {
		t.Fatalf("national: %d, hidden %v", v, hid)
	}
	if v, hid := cell(OutcomeFilter{OrgID: "A", SiteID: "b1"}); v != 0 || hid {
		t.Fatalf("site of another organization: %d, hidden %v", v, hid)
	}
	// The per-site table of organization B's report is its two sites.
	var ids []string
	for _, sv := range p.view(OutcomeFilter{OrgID: "B"}).sites() {
		ids = append(ids, sv.site().ID)
	}
	if !slices.Equal(ids, []string{"b1", "b2"}) {
		t.Fatalf("B's sites: %v", ids)
	}
}

// TestPublicationGroups: suppression is told how an indicator's and a
// statement's answers add up, every head count is a cell, and the cells
// that count people are the protected ones.
func TestPublicationGroups(t *testing.T) {
	var r rawCells
	for _, c := range []string{"pom/closing/I3/n", "pom/closing/I3/present", "pom/closing/I3/absent", "survey/S2/n"} {
		r.cell(c)
	}
	for _, a := range contract.SurveyAnswers {
		r.cell("survey/S2/" + a)
	}
	p := &publication{min: 11}
	in := p.input(&r)
	want := []suppress.Group{
		{Total: "pom/closing/I3/n", Parts: []string{"pom/closing/I3/present", "pom/closing/I3/absent"}},
		{Total: "survey/S2/n"},
	}
	for _, a := range contract.SurveyAnswers {
		want[1].Parts = append(want[1].Parts, "survey/S2/"+a)
	}
	if !slices.EqualFunc(in.Groups, want, func(a, b suppress.Group) bool { return a.Total == b.Total && slices.Equal(a.Parts, b.Parts) }) {
		t.Fatalf("groups %v, want %v", in.Groups, want)
	}
	protected := map[string]bool{}
	for _, c := range in.Cells {
		protected[c.Name] = c.Protected
	}
	for _, k := range totalKeys {
		if p, ok := protected[k]; !ok || p != isCell(k) {
			t.Fatalf("head count %s: a cell %v, protected %v", k, ok, p)
		}
	}
	if !protected["pom/closing/I3/present"] || !protected["survey/S2/n"] || protected["total/hosp_months"] {
		t.Fatalf("protected cells: %v", protected)
	}
}

// TestPublicationFreshOrStale: a report waits for the publication of new
// data, but no longer than the cache's wait; then it answers from the
// publication before, and the next request, once the build is done, has
// the new one. Builds are shared: a second request joins the first's. A
// long build rests before the next one starts.
func TestPublicationFreshOrStale(t *testing.T) {
	eachStore(t, func(ctx context.Context, t *testing.T, st *Store) {
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
		st.pubs().loaded = func(*publication) {
			builds <- struct{}{}
			<-release
		}
		st.pubs().wait = 20 * time.Millisecond
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
		st.pubs().wait = time.Hour
		if got, err := st.published(ctx, DefaultMinCell); err != nil || got != fresh {
			t.Fatalf("while the last build rests: %v, %v; want it", got, err)
		}
		if err := st.PublishOutcomes(ctx, DefaultMinCell); err != nil {
			t.Fatal(err)
		}
		st.pubs().mu.Lock()
		inFlight := len(st.pubs().building)
		st.pubs().mu.Unlock()
		if inFlight != 0 || len(builds) != 0 {
			t.Fatalf("a build started while the last one rests (%d in flight, %d done)", inFlight, len(builds))
		}
		fresh.took = 0 // rested: the next request builds
		if got, err := st.published(ctx, DefaultMinCell); err != nil || got.version != "third-version" {
			t.Fatalf("after the rest: %v, %v", got, err)
		}
	})
}

// TestStartPublicationDoesNotWait: the projector's StartPublication waits
// for the first publication, and later only starts a build of new data and
// returns while it runs (the projector goes on), the publication before
// answering meanwhile; the build then publishes the new data.
func TestStartPublicationDoesNotWait(t *testing.T) {
	eachStore(t, func(ctx context.Context, t *testing.T, st *Store) {
		if err := st.StartPublication(ctx, DefaultMinCell); err != nil {
			t.Fatal(err)
		}
		st.pubs().mu.Lock()
		first := st.pubs().cur[DefaultMinCell]
		st.pubs().mu.Unlock()
		if first == nil {
			t.Fatal("the first StartPublication returned before there was a publication")
		}
		first.took = 0 // rested
		if err := st.DB.Exec("UPDATE hub_meta SET value = ? WHERE key = ?", "next-version", metaRollupVersion).Error; err != nil {
			t.Fatal(err)
		}
		builds, release := make(chan struct{}, 4), make(chan struct{})
		st.pubs().loaded = func(*publication) {
			builds <- struct{}{}
			<-release
		}
		done := make(chan error, 1)
		go func() { done <- st.StartPublication(ctx, DefaultMinCell) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(time.Minute):
			close(release)
			t.Fatal("StartPublication waited for the build of new data")
		}
		<-builds // the build it started, held back until now
		if got, err := st.published(ctx, DefaultMinCell); err != nil || got != first {
			t.Fatalf("while the build runs: %v, %v; want the publication before", got, err)
		}
		close(release)
		if err := st.PublishOutcomes(ctx, DefaultMinCell); err != nil {
			t.Fatal(err)
		}
		if got, err := st.published(ctx, DefaultMinCell); err != nil || got.version != "next-version" {
			t.Fatalf("after the build: %v, %v", got, err)
		}
	})
}

// eachStore runs test on each test database with an outcomes store over
// it, opened and migrated (storetest.Each cannot serve a test inside this
// package: it imports the intake package, which imports this one).
func eachStore(t *testing.T, test func(ctx context.Context, t *testing.T, st *Store)) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		core, err := store.Open(ctx, dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer core.Close()
		test(ctx, t, New(core))
	})
}
