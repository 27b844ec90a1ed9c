package intake_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// TestOlderTokensStopWorking: a new token, a revocation and a
// reinstatement each leave every token issued before unable to enroll;
// only the newest token of a site enrolls, once.
func TestOlderTokensStopWorking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
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
