package store

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/auth/authtest"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// burst makes n attempts at once (authtest.Burst) and counts the refusals
// that are bad (the secret was checked and wrong) and locked (refused
// unchecked); any other error fails the test.
func burst(t *testing.T, n int, bad error, attempt func() error) (wrong, locked int) {
	t.Helper()
	for _, err := range authtest.Burst(n, attempt)() {
		switch {
		case errors.Is(err, bad):
			wrong++
		case errors.Is(err, ErrLocked):
			locked++
		case err == nil:
		default:
			t.Errorf("an attempt of the burst: %v", err)
		}
	}
	return wrong, locked
}

// Forty wrong passwords at once against a site's staff account: exactly
// auth.MaxFailures are checked, the rest are refused as locked, and so is
// the right password afterwards.
func TestLoginLockoutParallel(t *testing.T) {
	ctx := context.Background()
	s := newMJSite(t)
	wrong, locked := burst(t, 40, ErrBadLogin, func() error {
		_, _, err := s.st.Login(ctx, "casey@example.org", "not the coach password")
		return err
	})
	if wrong != auth.MaxFailures || locked != 40-auth.MaxFailures {
		t.Fatalf("40 wrong passwords at once: %d checked, %d locked out; want %d and %d", wrong, locked, auth.MaxFailures, 40-auth.MaxFailures)
	}
	if _, tok, err := s.st.Login(ctx, "casey@example.org", "a long coach password"); !errors.Is(err, ErrLocked) || tok != "" {
		t.Fatalf("the right password after the burst: %v", err)
	}
}

// The same for a participant's PIN and start code: they count together
// towards one lock, and a start code works once even when two starts with
// it come at the same moment.
func TestJournalLockoutParallel(t *testing.T) {
	ctx := context.Background()
	s := newMJSite(t)
	ann, ben := s.person("Ann", "2026-01-14"), s.person("Ben", "2026-01-14")

	a, code, err := s.st.Journals.IssueJournalAccess(ctx, ann.ID, s.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.st.Journals.StartJournalAccess(ctx, a.Login, code, "246810"); err != nil {
		t.Fatal(err)
	}
	wrong, locked := burst(t, 40, ErrBadParticipantLogin, func() error {
		_, _, err := s.st.Journals.ParticipantLogin(ctx, a.Login, "wrong pin")
		return err
	})
	if wrong != auth.MaxFailures || locked != 40-auth.MaxFailures {
		t.Fatalf("40 wrong PINs at once: %d checked, %d locked out; want %d and %d", wrong, locked, auth.MaxFailures, 40-auth.MaxFailures)
	}
	if _, tok, err := s.st.Journals.ParticipantLogin(ctx, a.Login, "246810"); !errors.Is(err, ErrLocked) || tok != "" {
		t.Fatalf("the right PIN after the burst: %v", err)
	}
	if got, _ := s.st.Journals.JournalAccessOf(ctx, ann.ID); got.State != "locked" {
		t.Fatalf("the access after the burst is %q, want locked", got.State)
	}

	// Wrong start codes count too.
	b, code, err := s.st.Journals.IssueJournalAccess(ctx, ben.ID, s.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	wrong, locked = burst(t, 20, ErrBadStartCode, func() error {
		_, _, err := s.st.Journals.StartJournalAccess(ctx, b.Login, "wrongcode1", "135790")
		return err
	})
	if wrong != auth.MaxFailures || locked != 20-auth.MaxFailures {
		t.Fatalf("20 wrong start codes at once: %d checked, %d locked out", wrong, locked)
	}

	// A fresh code (which clears the lock), used twice at once: one start
	// opens a session and sets its PIN, the other is refused.
	_, code, err = s.st.Journals.IssueJournalAccess(ctx, ben.ID, s.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		pin, tok string
		err      error
	}
	results := make(chan result, 2)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, pin := range []string{"111111", "222222"} {
		wg.Go(func() {
			<-start
			_, tok, err := s.st.Journals.StartJournalAccess(ctx, b.Login, code, pin)
			results <- result{pin, tok, err}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	var won []string
	for r := range results {
		switch {
		case r.err == nil && r.tok != "":
			won = append(won, r.pin)
		case errors.Is(r.err, ErrBadStartCode):
		default:
			t.Errorf("a start with the code: %v", r.err)
		}
	}
	if len(won) != 1 {
		t.Fatalf("one start code opened %d sessions (PINs %v), want 1", len(won), won)
	}
	if _, _, err := s.st.Journals.ParticipantLogin(ctx, b.Login, won[0]); err != nil {
		t.Fatalf("the PIN of the start that won: %v", err)
	}
}

// A survey code works once, also when it is sent several times at the
// same moment (a double tap on a slow tablet): one survey is stored.
func TestSurveyCodeOnceAtOnce(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	rel := program.Default()
	answers := map[string]string{}
	for i, s := range rel.Survey.Statements {
		answers[s.Code] = contract.SurveyAnswers[i%4]
	}
	codes, err := st.Surveys.IssueSurveyCodes(ctx, contract.TimepointClosing, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := burst(t, 8, ErrSurveyPass, func() error { return st.Surveys.SubmitSurvey(ctx, codes[0], answers) })
	var stored int64
	if err := st.DB.Raw("SELECT COUNT(*) FROM surveys").Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if wrong != 7 || stored != 1 {
		t.Fatalf("one code sent 8 times at once: %d refused, %d surveys stored; want 7 and 1", wrong, stored)
	}
}
