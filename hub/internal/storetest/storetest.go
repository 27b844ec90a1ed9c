// Package storetest helps the capability packages' tests: a hub database
// opened (and closed at the test's end) on the DSN dbtest.Each gives, or
// on each of them, an enrolled site, a day, and the check of a validation
// error.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// Open opens and migrates the hub database at dsn, closed when the test
// ends.
func Open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Each runs test once on each database dbtest.Each gives, opened and
// migrated (Open), with a context for the store's calls.
func Each(t *testing.T, test func(ctx context.Context, t *testing.T, s *store.Store)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, dsn string) { test(context.Background(), t, Open(t, dsn)) })
}

// EnrolledSite adds an organization ("<name> org") and a site of that
// name.
func EnrolledSite(t testing.TB, s *store.Store, name string) store.Site {
	t.Helper()
	ctx := context.Background()
	o, err := affiliates.New(s).AddOrganization(ctx, name+" org", "peer_run", "va")
	if err != nil {
		t.Fatal(err)
	}
	site, err := intake.New(s).AddSite(ctx, o.ID, name)
	if err != nil {
		t.Fatal(err)
	}
	return site
}

// Day is 10:00 UTC on a day given as YYYY-MM-DD.
func Day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t.Add(10 * time.Hour)
}

// WantField fails the test unless err is a validation error of field.
func WantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *store.ValidationError
	if !errors.As(err, &ve) || ve.Field != field {
		t.Fatalf("error %v, want a validation error of field %q", err, field)
	}
}

// Interview is a POM interview record of a participant at a timepoint,
// with its answers (enrollment year 2026, release 2026.1).
func Interview(t *testing.T, id, key, tp string, version int64, answers map[string]bool) contract.Record {
	t.Helper()
	r, err := contract.NewRecord(id, contract.TypePOMInterview, version, contract.POMInterview{
		ParticipantKey: key, EnrollmentYear: 2026, AgeBand: "25-34", Timepoint: tp, ProgramMonth: 1, Release: "2026.1", Answers: answers})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// StageOf is an organization's stage, since when, and how many changes its
// history holds.
func StageOf(t *testing.T, s *store.Store, id string) (string, string, int) {
	t.Helper()
	o, err := s.FindOrganization(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	h, err := affiliates.New(s).StageHistory(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o.Stage, o.StageOn, len(h)
}

// Rows runs a query and returns each row as its values joined by "|", in
// the order the query gives (a []byte value as text).
func Rows(t *testing.T, db *gorm.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Raw(q, args...).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
