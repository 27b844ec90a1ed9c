package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// sessionRow is a program's own model of its sessions table, with a
// column of its own (method).
type sessionRow struct {
	Hash      string `gorm:"primaryKey;size:64"`
	UserID    string `gorm:"size:36;not null;index"`
	CSRF      string `gorm:"column:csrf;size:64;not null"`
	ExpiresAt time.Time
	CreatedAt time.Time
	Method    string `gorm:"size:10;not null;default:'local'"`
}

func (sessionRow) TableName() string { return "test_sessions" }

func TestSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		db, err := dbx.Open(dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = dbx.Close(db) })
		if err := db.AutoMigrate(&sessionRow{}); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		s := auth.Sessions{Table: "test_sessions", Subject: "user_id", Prefix: "imltest_", TTL: time.Hour}
		now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

		tok, err := s.Open(db, "u1", now, map[string]any{"method": "oidc"})
		if err != nil || !strings.HasPrefix(tok, "imltest_") {
			t.Fatalf("open: %q %v", tok, err)
		}
		got, err := auth.FindSession[sessionRow](ctx, db, s, tok, now.Add(59*time.Minute))
		if err != nil || got.UserID != "u1" || got.Method != "oidc" || got.CSRF == "" {
			t.Fatalf("find: %+v %v", got, err)
		}
		if strings.Contains(got.Hash, tok) || got.Hash == tok {
			t.Fatal("the token itself is stored")
		}
		for name, token := range map[string]string{"empty": "", "unknown": "imltest_nope", "hash as token": got.Hash} {
			if _, err := auth.FindSession[sessionRow](ctx, db, s, token, now); !errors.Is(err, auth.ErrNoSession) {
				t.Errorf("%s token: %v", name, err)
			}
		}
		if _, err := auth.FindSession[sessionRow](ctx, db, s, tok, now.Add(time.Hour)); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("expired session found: %v", err)
		}

		// Sessions opened at once are all distinct and all found.
		var wg sync.WaitGroup
		toks := make([]string, 20)
		errs := make([]error, 20)
		for i := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				toks[i], errs[i] = s.Open(db, "u2", now, nil)
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, tk := range toks {
			if errs[i] != nil || seen[tk] {
				t.Fatalf("parallel open %d: %v (seen %v)", i, errs[i], seen[tk])
			}
			seen[tk] = true
		}
		if err := s.End(ctx, db, toks[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.FindSession[sessionRow](ctx, db, s, toks[0], now); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("ended session found: %v", err)
		}
		if _, err := auth.FindSession[sessionRow](ctx, db, s, toks[1], now); err != nil {
			t.Errorf("ending one session ended another: %v", err)
		}
		if err := s.EndAll(ctx, db, "u2"); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.FindSession[sessionRow](ctx, db, s, toks[5], now); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session survived EndAll: %v", err)
		}
		if _, err := auth.FindSession[sessionRow](ctx, db, s, tok, now); err != nil {
			t.Errorf("EndAll of u2 ended u1's: %v", err)
		}
		n, err := s.Prune(ctx, db, now.Add(2*time.Hour))
		if err != nil || n != 1 {
			t.Errorf("prune: %d %v", n, err)
		}
	})
}
