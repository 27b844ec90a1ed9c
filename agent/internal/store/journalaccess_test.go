package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/auth"
)

func TestParticipantJournalAccess(t *testing.T) {
	ctx := context.Background()
	s := newMJSite(t)
	st := s.st
	ann, ben := s.person("Ann", "2026-01-14"), s.person("Ben", "2026-01-14")
	if a, err := st.Journals.JournalAccessOf(ctx, ann.ID); err != nil || a.State != "none" {
		t.Fatalf("before any access: %+v %v", a, err)
	}
	a, code, err := st.Journals.IssueJournalAccess(ctx, ann.ID, s.user.ID)
	if err != nil || a.State != "waiting" || len(a.Login) != 8 || len(code) != 10 || a.CodeExpiresAt == nil {
		t.Fatalf("issued %+v %q %v", a, code, err)
	}
	// Only hashes are stored.
	var acc ParticipantAccount
	st.DB.First(&acc, "participant_id = ?", ann.ID)
	if strings.Contains(acc.CodeHash, code) || !strings.HasPrefix(acc.CodeHash, "$2") {
		t.Fatalf("the code is not stored as a bcrypt hash: %q", acc.CodeHash)
	}
	// No PIN yet: signing in needs the start code first.
	if _, _, err := st.Journals.ParticipantLogin(ctx, a.Login, code); !errors.Is(err, ErrBadParticipantLogin) {
		t.Fatalf("signed in with the start code as a PIN: %v", err)
	}
	if _, _, err := st.Journals.StartJournalAccess(ctx, a.Login, code, "123"); fieldOf(err) != "pin" {
		t.Fatalf("a short PIN: %v", err)
	}
	p, tok, err := st.Journals.StartJournalAccess(ctx, strings.ToUpper(a.Login), strings.ToUpper(code), "246810")
	if err != nil || p.ID != ann.ID || tok == "" {
		t.Fatalf("start: %v", err)
	}
	if got, _, err := st.Journals.ParticipantBySession(ctx, tok); err != nil || got.ID != ann.ID {
		t.Fatalf("session: %+v %v", got, err)
	}
	// The participant's token is no staff session.
	if _, _, err := st.SessionUser(ctx, tok); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a participant's token opened a staff session: %v", err)
	}
	// The code is used up; the PIN works.
	if _, _, err := st.Journals.StartJournalAccess(ctx, a.Login, code, "135790"); !errors.Is(err, ErrBadStartCode) {
		t.Fatalf("the start code worked twice: %v", err)
	}
	if _, _, err := st.Journals.ParticipantLogin(ctx, a.Login, "246810"); err != nil {
		t.Fatal(err)
	}
	if a, _ := st.Journals.JournalAccessOf(ctx, ann.ID); a.State != "active" || a.ActivatedAt == nil || a.CodeExpiresAt != nil {
		t.Fatalf("after the first sign-in: %+v", a)
	}
	// Five wrong PINs lock the access, even against the right one.
	for i := range auth.MaxFailures {
		if _, _, err := st.Journals.ParticipantLogin(ctx, a.Login, "wrong pin"); !errors.Is(err, ErrBadParticipantLogin) {
			t.Fatalf("wrong PIN %d: %v", i, err)
		}
	}
	if _, _, err := st.Journals.ParticipantLogin(ctx, a.Login, "246810"); !errors.Is(err, ErrLocked) {
		t.Fatalf("not locked: %v", err)
	}
	if a, _ := st.Journals.JournalAccessOf(ctx, ann.ID); a.State != "locked" {
		t.Fatalf("state %s", a.State)
	}
	later := st.Now().Add(auth.LockoutPeriod + time.Minute)
	st.Now = func() time.Time { return later }
	if _, _, err := st.Journals.ParticipantLogin(ctx, a.Login, "246810"); err != nil {
		t.Fatalf("after the lock-out: %v", err)
	}
	// Revoked: the session and the PIN stop working.
	if err := st.Journals.RevokeJournalAccess(ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Journals.ParticipantBySession(ctx, tok); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a session outlived the revocation: %v", err)
	}
	if _, _, err := st.Journals.ParticipantLogin(ctx, a.Login, "246810"); !errors.Is(err, ErrBadParticipantLogin) {
		t.Fatalf("signed in after the revocation: %v", err)
	}
	// A new code keeps the sign-in name; an expired code is refused.
	a2, code2, err := st.Journals.IssueJournalAccess(ctx, ann.ID, s.user.ID)
	if err != nil || a2.Login != a.Login {
		t.Fatalf("reissued %+v %v", a2, err)
	}
	st.Now = func() time.Time { return later.Add(StartCodeTTL + time.Hour) }
	if _, _, err := st.Journals.StartJournalAccess(ctx, a.Login, code2, "246810"); !errors.Is(err, ErrBadStartCode) {
		t.Fatalf("an expired code: %v", err)
	}
	// Withdrawn participants get no access.
	st.Now = func() time.Time { return time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC) }
	if err := st.Participants.Withdraw(ctx, ben.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Journals.IssueJournalAccess(ctx, ben.ID, s.user.ID); fieldOf(err) != "participant" {
		t.Fatalf("access for a withdrawn participant: %v", err)
	}
}

func TestOwnJournalEntries(t *testing.T) {
	ctx := context.Background()
	s := newMJSite(t)
	st := s.st
	ann := s.person("Ann", "2026-01-14")
	before := syncState(t, st)
	e, err := st.Journals.SaveOwnJournal(ctx, ann.ID, "2026-06-15", map[string]string{"week_summary": "I went to the library."})
	if err != nil || e.EnteredBy != ann.ID || e.EnteredByKind != EnteredByParticipant || e.ReviewedAt != nil {
		t.Fatalf("own entry %+v %v", e, err)
	}
	// The participant may change it until it is reviewed.
	if _, err := st.Journals.SaveOwnJournal(ctx, ann.ID, "2026-06-15", map[string]string{"week_summary": "I went to the library twice."}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Journals.ReviewJournal(ctx, ann.ID, "2026-06-15", s.user.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Journals.SaveOwnJournal(ctx, ann.ID, "2026-06-15", map[string]string{"week_summary": "changed"}); fieldOf(err) != "week_start" {
		t.Fatalf("changed a reviewed entry: %v", err)
	}
	// An entry staff made stays theirs.
	if _, err := st.Journals.SaveJournal(ctx, ann.ID, "2026-06-08", s.user.ID, map[string]string{"week_summary": "entered with the coach"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Journals.SaveOwnJournal(ctx, ann.ID, "2026-06-08", map[string]string{"week_summary": "mine"}); fieldOf(err) != "week_start" {
		t.Fatalf("changed a staff entry: %v", err)
	}
	// The week rules hold as for staff.
	if _, err := st.Journals.SaveOwnJournal(ctx, ann.ID, "2026-06-22", map[string]string{"week_summary": "future"}); err == nil {
		t.Fatal("a future week was taken")
	}
	es, _ := st.Journals.Journals(ctx, ann.ID)
	if len(es) != 2 || es[0].AnswersOf()["week_summary"] != "I went to the library twice." || es[1].EnteredByKind != EnteredByStaff {
		t.Fatalf("entries %+v", es)
	}
	// Nothing of it reaches the outbox; the access neither.
	if _, _, err := st.Journals.IssueJournalAccess(ctx, ann.ID, s.user.ID); err != nil {
		t.Fatal(err)
	}
	if after := syncState(t, st); !reflect.DeepEqual(before, after) {
		t.Fatal("the participant's own journal or access changed the outbox")
	}
	// They count for the stipend like any entry.
	if v, err := st.Stipends.StipendMonth(ctx, ann.ID, "2026-06"); err != nil || v.Decision.JournalsDone != 2 {
		t.Fatalf("stipend journals %+v %v", v.Decision, err)
	}
}

func fieldOf(err error) string {
	var ve *ValidationError
	var ves ValidationErrors
	switch {
	case errors.As(err, &ve):
		return ve.Field
	case errors.As(err, &ves) && len(ves) > 0:
		return ves[0].Field
	}
	return "not a validation error: " + stpErr(err)
}

// Many first-run set-ups at once make one account: the rest find the site
// set up.
func TestFirstUserOnlyOnce(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	var made, refused atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := st.AddFirstUser(ctx, fmt.Sprintf("d%d@example.org", i), "Dee", "a long enough password")
			switch {
			case err == nil:
				made.Add(1)
			case errors.Is(err, ErrSetUp):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if n, _ := st.UserCount(ctx); made.Load() != 1 || refused.Load() != 11 || n != 1 {
		t.Fatalf("made %d, refused %d, accounts %d", made.Load(), refused.Load(), n)
	}
}
