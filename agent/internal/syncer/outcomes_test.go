package syncer

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

func countType(t *testing.T, st *store.Store, typ string) int64 {
	t.Helper()
	var n int64
	if err := st.DB.Model(&store.SyncRecord{}).Where("type = ?", typ).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPrepareOutcomes: a round releases surveys only from the batch size
// on, and recomputes the computed records once a day, so a new program
// month gets its records without any change at the site.
func TestPrepareOutcomes(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "agent.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	st.Now = func() time.Time { return now }
	c, err := st.Coaches.AddCoach(ctx, store.CoachInput{Name: "Casey"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Coaches.RecordCertification(ctx, c.ID, "site", store.Certification{Code: "PLC-1", CertifiedUntil: "2027-01-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "G", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: c.ID}); err != nil {
		t.Fatal(err)
	}
	s := New(st, slog.New(slog.DiscardHandler))
	s.SurveyBatch = 3
	answers := map[string]string{program.Default().Survey.Statements[0].Code: contract.AnswerDefinitelyAgree}
	survey := func() {
		if err := st.Surveys.RecordSurvey(ctx, store.SurveyInput{Timepoint: contract.TimepointMidpoint, Answers: answers}); err != nil {
			t.Fatal(err)
		}
	}
	survey()
	survey()
	if err := s.prepareOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countType(t, st, contract.TypeSurveyResponse); n != 0 {
		t.Fatalf("%d surveys released with 2 waiting and a batch of 3", n)
	}
	survey()
	if err := s.prepareOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countType(t, st, contract.TypeSurveyResponse); n != 3 {
		t.Fatalf("%d surveys released, want 3", n)
	}
	// Records are computed as of the end of February: the cohort's months
	// 1 and 2 (January and February: upstream, months are calendar months
	// from the month it started). Month 3, March, leaves on 1 April, the
	// same day for every record of the site. A round on a day already
	// refreshed does not recompute; the next day's does.
	if n := countType(t, st, contract.TypeCohortMonth); n != 2 {
		t.Fatalf("%d cohort months, want 2", n)
	}
	now = time.Date(2026, 3, 13, 8, 0, 0, 0, time.UTC)
	if err := s.prepareOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countType(t, st, contract.TypeCohortMonth); n != 2 {
		t.Fatalf("%d cohort months on 13 March, want still 2", n)
	}
	now = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	if err := st.SetMeta(ctx, store.MetaOutcomesRefreshed, "2026-04-01"); err != nil {
		t.Fatal(err)
	}
	if err := s.prepareOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countType(t, st, contract.TypeCohortMonth); n != 2 {
		t.Fatalf("%d cohort months after a second round on a day, want still 2", n)
	}
	now = time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)
	if err := s.prepareOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countType(t, st, contract.TypeCohortMonth); n != 3 {
		t.Fatalf("%d cohort months in April, want 3", n)
	}
	if day, _ := st.Meta(ctx, store.MetaOutcomesRefreshed); day != "2026-04-02" {
		t.Fatalf("refreshed on %q", day)
	}
}
