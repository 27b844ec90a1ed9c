package intake_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/deident"
)

// n reads a count of a report; -1 when suppressed.
func n(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func fates(rs []contract.RecordResult) []contract.Fate {
	out := make([]contract.Fate, len(rs))
	for i, r := range rs {
		out[i] = r.Fate
	}
	return out
}

func TestPushFates(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		site := enrolledSite(t, s, "A")
		other := enrolledSite(t, s, "B")
		key := uuid.NewString()
		id := deident.NewRecordID(time.Now())
		v1 := interview(t, id, key, "eligibility", 1, map[string]bool{"pom20_have_friends": false})
		v2 := interview(t, id, key, "eligibility", 2, map[string]bool{"pom20_have_friends": true})
		v2other := interview(t, id, key, "eligibility", 2, map[string]bool{"pom21_respected": true})

		res, seq, err := intake.New(s).Push(ctx, site.ID, 1, []contract.Record{v1}, nil)
		if err != nil || seq != 1 || res[0].Fate != contract.FateStored {
			t.Fatalf("first push: %v %d %v", fates(res), seq, err)
		}
		other1 := interview(t, deident.NewRecordID(time.Now()), key, "closing", 1, map[string]bool{"pom20_have_friends": true})
		res, _, _ = intake.New(s).Push(ctx, site.ID, 2, []contract.Record{v1, other1}, nil)
		if got := fates(res); got[0] != contract.FateDuplicate || got[1] != contract.FateStored {
			t.Fatalf("second push fates %v", got)
		}
		res, _, _ = intake.New(s).Push(ctx, site.ID, 2, []contract.Record{v2}, nil)
		if got := fates(res); got[0] != contract.FateStored {
			t.Fatalf("higher version fate %v", got)
		}
		for _, c := range []struct {
			r    contract.Record
			want contract.Fate
			hubV int64
		}{{v1, contract.FateStale, 2}, {v2, contract.FateDuplicate, 0}, {v2other, contract.FateConflict, 2}} {
			res, seq, _ = intake.New(s).Push(ctx, site.ID, 1, []contract.Record{c.r}, nil)
			if res[0].Fate != c.want || res[0].HubVersion != c.hubV {
				t.Fatalf("v%d: fate %v hub version %d, want %v %d", c.r.Version, res[0].Fate, res[0].HubVersion, c.want, c.hubV)
			}
		}
		// Another type under the same id is a conflict, not a replacement.
		asParticipant, _ := contract.NewRecord(id, contract.TypeParticipant, 9, contract.Participant{Key: key, EnrollmentYear: 2026, AgeBand: "25-34"})
		res, _, _ = intake.New(s).Push(ctx, site.ID, 2, []contract.Record{asParticipant}, nil)
		if res[0].Fate != contract.FateConflict {
			t.Fatalf("type change fate %v", res[0].Fate)
		}
		if seq != 2 {
			t.Fatalf("site seq went back to %d", seq)
		}
		var stored store.Record
		s.DB.First(&stored, "id = ?", id)
		if stored.Version != 2 || stored.Hash != v2.Hash {
			t.Fatalf("stored version %d hash %s, want v2", stored.Version, stored.Hash)
		}
		// Another site may not touch this record; nothing of its batch is stored.
		fresh := interview(t, deident.NewRecordID(time.Now()), key, "closing", 1, map[string]bool{"pom20_have_friends": true})
		_, _, err = intake.New(s).Push(ctx, other.ID, 1, []contract.Record{fresh, interview(t, id, key, "eligibility", 3, map[string]bool{"pom20_have_friends": true})}, nil)
		if !errors.Is(err, intake.ErrForeignRecord) {
			t.Fatalf("foreign push: %v", err)
		}
		var n int64
		s.DB.Model(&store.Record{}).Where("id = ?", fresh.ID).Count(&n)
		if n != 0 {
			t.Fatal("a refused batch stored a record")
		}
		// A tombstone replaces the record.
		res, _, _ = intake.New(s).Push(ctx, site.ID, 3, []contract.Record{contract.NewTombstone(id, contract.TypePOMInterview, 3)}, nil)
		if res[0].Fate != contract.FateStored {
			t.Fatalf("tombstone fate %v", res[0].Fate)
		}
	})
}

func TestProjectionAndReport(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		site := enrolledSite(t, s, "A")
		site2 := enrolledSite(t, s, "B")
		var recs []contract.Record
		// Four participants: friends present in 1 of 4 at eligibility, 3 of 4 at closing.
		for i := 0; i < 4; i++ {
			key := uuid.NewString()
			pr, err := contract.NewRecord(deident.NewRecordID(time.Now()), contract.TypeParticipant, 1, contract.Participant{Key: key, EnrollmentYear: 2026, AgeBand: "25-34"})
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, pr,
				interview(t, deident.NewRecordID(time.Now()), key, "eligibility", 1, map[string]bool{"pom20_have_friends": i == 0}),
				interview(t, deident.NewRecordID(time.Now()), key, "closing", 1, map[string]bool{"pom20_have_friends": i < 3}))
		}
		if _, _, err := intake.New(s).Push(ctx, site.ID, 1, recs, nil); err != nil {
			t.Fatal(err)
		}
		otherKey := uuid.NewString()
		other := interview(t, deident.NewRecordID(time.Now()), otherKey, "eligibility", 1, map[string]bool{"pom20_have_friends": true})
		otherP, _ := contract.NewRecord(deident.NewRecordID(time.Now()), contract.TypeParticipant, 1, contract.Participant{Key: otherKey, EnrollmentYear: 2026, AgeBand: "25-34"})
		if _, _, err := intake.New(s).Push(ctx, site2.ID, 1, []contract.Record{other, otherP}, nil); err != nil {
			t.Fatal(err)
		}
		for {
			n, err := intake.New(s).ProjectPending(ctx, 3)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		rep, err := outcomes.New(s).POMReport(ctx, outcomes.POMFilter{SiteID: site.ID}, 1)
		if err != nil {
			t.Fatal(err)
		}
		var friends outcomes.POMIndicator
		for _, ind := range rep.Indicators {
			if ind.Code == "pom20_have_friends" {
				friends = ind
			}
		}
		if n(friends.FirstN) != 4 || n(friends.FirstPresent) != 1 || n(friends.ClosingN) != 4 || n(friends.ClosingPresent) != 3 {
			t.Fatalf("friends row %+v", friends)
		}
		if *friends.FirstShare != 25 || *friends.ClosingShare != 75 || *friends.ChangePoints != 50 {
			t.Fatalf("shares %v %v %v", *friends.FirstShare, *friends.ClosingShare, *friends.ChangePoints)
		}
		all, _ := outcomes.New(s).POMReport(ctx, outcomes.POMFilter{}, 1)
		if n(all.Participants) != 5 {
			t.Fatalf("national participants = %d, want 5", n(all.Participants))
		}
		// Under the default minimum cell these small counts are suppressed.
		if small, _ := outcomes.New(s).POMReport(ctx, outcomes.POMFilter{}, 0); small.Participants != nil || small.Indicators[10].Code != "pom20_have_friends" || small.Indicators[10].FirstN != nil || !small.Indicators[10].Suppressed {
			t.Fatalf("small counts shown under the default minimum cell: %+v", small)
		}
		// Withdrawal: tombstones take the participant and interviews out.
		var tombs []contract.Record
		for _, r := range recs[:3] {
			tombs = append(tombs, contract.NewTombstone(r.ID, r.Type, 2))
		}
		if _, _, err := intake.New(s).Push(ctx, site.ID, 2, tombs, nil); err != nil {
			t.Fatal(err)
		}
		for n, _ := intake.New(s).ProjectPending(ctx, 100); n > 0; n, _ = intake.New(s).ProjectPending(ctx, 100) {
		}
		rep, _ = outcomes.New(s).POMReport(ctx, outcomes.POMFilter{SiteID: site.ID}, 1)
		if n(rep.Participants) != 3 || n(rep.Interviews) != 6 {
			t.Fatalf("after withdrawal participants = %d, interviews %d, want 3 and 6", n(rep.Participants), n(rep.Interviews))
		}
	})
}

func TestEnrollmentToken(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		site := enrolledSite(t, s, "A")
		tok, err := intake.New(s).IssueEnrollmentToken(ctx, site.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		// An agent holding another site's data cannot spend this token.
		if _, _, _, err := intake.New(s).Enroll(ctx, tok, uuid.NewString()); !errors.Is(err, intake.ErrWrongSite) {
			t.Fatalf("token for another site: %v", err)
		}
		_, _, cred, err := intake.New(s).Enroll(ctx, tok, site.ID)
		if err != nil {
			t.Fatalf("the token was spent by the refused attempt: %v", err)
		}
		if _, _, _, err := intake.New(s).Enroll(ctx, tok, ""); !errors.Is(err, store.ErrTokenInvalid) {
			t.Fatalf("second use: %v", err)
		}
		got, err := intake.New(s).SiteByCredential(ctx, cred)
		if err != nil || got.ID != site.ID {
			t.Fatalf("credential lookup: %v", err)
		}
		expired, _ := intake.New(s).IssueEnrollmentToken(ctx, site.ID, time.Minute)
		s.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
		if _, _, _, err := intake.New(s).Enroll(ctx, expired, ""); !errors.Is(err, store.ErrTokenInvalid) {
			t.Fatalf("expired token: %v", err)
		}
		// Sites are found by id, or by a name only when it is unambiguous.
		o, _ := s.FindOrganization(ctx, site.OrgID)
		if _, err := intake.New(s).AddSite(ctx, o.ID, "A"); err != nil {
			t.Fatal(err)
		}
		var ve *store.ValidationError
		if _, err := s.FindSite(ctx, "A"); !errors.As(err, &ve) {
			t.Fatalf("ambiguous site name: %v", err)
		}
		if got, err := s.FindSite(ctx, site.ID); err != nil || got.ID != site.ID {
			t.Fatalf("site by id: %v", err)
		}
		if _, err := intake.New(s).RevokeSite(ctx, site.ID, "machine lost"); err != nil {
			t.Fatal(err)
		}
		got, _ = intake.New(s).SiteByCredential(ctx, cred)
		if got.RevokedAt == nil {
			t.Fatal("revocation not recorded")
		}
	})
}

// Two hub processes projecting at once (two stores on one database) end
// with the same tables as one, and neither fails.
func TestConcurrentProjectors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a := open(t, dsn)
		b := open(t, dsn)
		site := enrolledSite(t, a, "A")
		var recs []contract.Record
		for i := 0; i < 600; i++ {
			recs = append(recs, interview(t, deident.NewRecordID(time.Now()), uuid.NewString(), "eligibility", 1, map[string]bool{"pom20_have_friends": i%3 == 0}))
		}
		if _, _, err := intake.New(a).Push(ctx, site.ID, 1, recs, nil); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for _, s := range []*store.Store{a, b} {
			go func(s *store.Store) {
				for {
					n, err := intake.New(s).ProjectPending(ctx, 50)
					if err != nil {
						errs <- err
						return
					}
					if n == 0 {
						if left, err := s.PendingProjection(ctx); err != nil || left == 0 {
							errs <- err
							return
						}
					}
				}
			}(s)
		}
		for i := 0; i < 2; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		rep, err := outcomes.New(a).POMReport(ctx, outcomes.POMFilter{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, ind := range rep.Indicators {
			if ind.Code == "pom20_have_friends" && (n(ind.FirstN) != 600 || n(ind.FirstPresent) != 200) {
				t.Fatalf("friends after concurrent projection: %d of %d", n(ind.FirstPresent), n(ind.FirstN))
			}
		}
	})
}

// A failing beforeCommit (an invalid batch found while writing it) leaves
// nothing behind: no record, no batch sequence.
func TestPushRollsBackWhenTheCheckFails(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		site := enrolledSite(t, s, "A")
		rec := interview(t, deident.NewRecordID(time.Now()), uuid.NewString(), "closing", 1, map[string]bool{"pom20_have_friends": true})
		_, _, err := intake.New(s).Push(ctx, site.ID, 5, []contract.Record{rec}, func() error { return errors.New("invalid") })
		if err == nil {
			t.Fatal("the failing check did not fail the push")
		}
		var n int64
		s.DB.Model(&store.Record{}).Count(&n)
		got, _ := s.FindSite(ctx, site.ID)
		if n != 0 || got.BatchSeq != 0 {
			t.Fatalf("after a rolled back push: %d records, batch seq %d", n, got.BatchSeq)
		}
	})
}

// A batch refused just before commit leaves nothing behind, and the same
// database connection (one here) takes the next batches: on PostgreSQL the
// session's temporary table, made in the refused batch's transaction, went
// with it and must be made again.
func TestPushAfterRefusedBatch(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		sqlDB, err := s.DB.DB()
		if err != nil {
			t.Fatal(err)
		}
		sqlDB.SetMaxOpenConns(1)
		site := enrolledSite(t, s, "A")
		batch := func() []contract.Record {
			return []contract.Record{interview(t, deident.NewRecordID(time.Now()), uuid.NewString(), "eligibility", 1, map[string]bool{"pom20_have_friends": true})}
		}
		refused := errors.New("refused")
		if _, _, err := intake.New(s).Push(ctx, site.ID, 1, batch(), func() error { return refused }); !errors.Is(err, refused) {
			t.Fatalf("refused batch: %v", err)
		}
		var n int64
		for seq := int64(1); seq <= 3; seq++ {
			res, siteSeq, err := intake.New(s).Push(ctx, site.ID, seq, batch(), nil)
			if err != nil {
				t.Fatalf("batch %d after the refused one: %v", seq, err)
			}
			if res[0].Fate != contract.FateStored || siteSeq != seq {
				t.Fatalf("batch %d: %+v, site seq %d", seq, res, siteSeq)
			}
		}
		if err := s.DB.Raw("SELECT COUNT(*) FROM records").Scan(&n).Error; err != nil || n != 3 {
			t.Fatalf("records = %d (%v), want the 3 committed", n, err)
		}
	})
}

// A version more than contract.MaxVersionStep past the one the hub holds
// is refused as a conflict naming the hub's version (so an agent answers
// with the version after it), and nothing of it is stored; a step within
// the bound is stored.
func TestVersionJumpsAreBounded(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		site := enrolledSite(t, s, "Jumps")
		id, key := deident.NewRecordID(time.Now()), uuid.NewString()
		v1 := interview(t, id, key, "eligibility", 1, map[string]bool{"pom01_natural_supports": true})
		if _, _, err := intake.New(s).Push(ctx, site.ID, 1, []contract.Record{v1}, nil); err != nil {
			t.Fatal(err)
		}
		far := interview(t, id, key, "eligibility", 2+contract.MaxVersionStep, map[string]bool{"pom01_natural_supports": false})
		res, _, err := intake.New(s).Push(ctx, site.ID, 2, []contract.Record{far}, nil)
		if err != nil || res[0].Fate != contract.FateConflict || res[0].HubVersion != 1 {
			t.Fatalf("a jump past the bound: %+v %v", res, err)
		}
		var held store.Record
		if err := s.DB.First(&held, "id = ?", id).Error; err != nil || held.Version != 1 || held.Hash != v1.Hash {
			t.Fatalf("the hub holds %+v, %v", held, err)
		}
		near := interview(t, id, key, "eligibility", 1+contract.MaxVersionStep, map[string]bool{"pom01_natural_supports": false})
		if res, _, err = intake.New(s).Push(ctx, site.ID, 3, []contract.Record{near}, nil); err != nil || res[0].Fate != contract.FateStored {
			t.Fatalf("a jump within the bound: %+v %v", res, err)
		}
	})
}

// TestOlderTokensStopWorking: a new token, a revocation and a
// reinstatement each leave every token issued before unable to enroll;
// only the newest token of a site enrolls, once.
func TestOlderTokensStopWorking(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		site := enrolledSite(t, s, "Epochs")
		issue := func() string {
			t.Helper()
			tok, err := intake.New(s).IssueEnrollmentToken(ctx, site.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		refused := func(what, tok string, want error) {
			t.Helper()
			before, _ := s.FindSite(ctx, site.ID)
			if _, _, _, err := intake.New(s).Enroll(ctx, tok, ""); !errors.Is(err, want) {
				t.Fatalf("%s: %v, want %v", what, err, want)
			}
			after, _ := s.FindSite(ctx, site.ID)
			if after.CredentialHash != before.CredentialHash {
				t.Fatalf("%s: a refused token changed the site's credential", what)
			}
		}
		first := issue()
		second := issue()
		refused("a token after a newer one was issued", first, store.ErrTokenInvalid)
		_, _, cred, err := intake.New(s).Enroll(ctx, second, site.ID)
		if err != nil {
			t.Fatalf("the newest token: %v", err)
		}

		// A token issued while enrolled (a replaced machine), then the site
		// is revoked and reinstated: the token is dead for good.
		pending := issue()
		if _, err := intake.New(s).RevokeSite(ctx, site.ID, "laptop stolen"); err != nil {
			t.Fatal(err)
		}
		refused("a token of a revoked site", pending, store.ErrRevoked)
		if _, err := intake.New(s).IssueEnrollmentToken(ctx, site.ID, time.Hour); !errors.Is(err, store.ErrRevoked) {
			t.Fatalf("a token for a revoked site was issued: %v", err)
		}
		if _, err := intake.New(s).ReinstateSite(ctx, site.ID); err != nil {
			t.Fatal(err)
		}
		refused("a token from before the revocation", pending, store.ErrTokenInvalid)
		refused("a spent token", second, store.ErrTokenInvalid)
		if _, err := intake.New(s).SiteByCredential(ctx, cred); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the credential from before the revocation still works: %v", err)
		}
		var unused int64
		s.DB.Model(&store.EnrollmentToken{}).Where("site_id = ? AND used_at IS NULL", site.ID).Count(&unused)
		if unused != 0 {
			t.Fatalf("%d unused tokens kept after the reinstatement", unused)
		}

		// The token the reinstatement hands out enrolls, once, whoever
		// races for it.
		fresh := issue()
		const racers = 8
		var wg sync.WaitGroup
		errs := make([]error, racers)
		creds := make([]string, racers)
		for i := range racers {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, _, creds[i], errs[i] = intake.New(s).Enroll(ctx, fresh, site.ID)
			}(i)
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("the token enrolled twice (%d and %d)", won, i)
			case err == nil:
				won = i
			case !errors.Is(err, store.ErrTokenInvalid):
				t.Fatalf("racer %d: %v, want the token refused as used", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no racer enrolled with a fresh token")
		}
		if got, err := intake.New(s).SiteByCredential(ctx, creds[won]); err != nil || got.ID != site.ID {
			t.Fatalf("the winner's credential: %v", err)
		}
	})
}
