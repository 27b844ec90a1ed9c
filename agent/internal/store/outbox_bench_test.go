package store

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/deident"
)

// BenchmarkPendingBatch reads a full batch of POM interview records (25
// answers each, as the sync benchmark's) from an outbox of 20,000.
func BenchmarkPendingBatch(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "agent.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	rows := make([][]any, 20_000)
	for i := range rows {
		answers := map[string]bool{}
		for j := 0; j < 25; j++ {
			answers[fmt.Sprintf("pom%02d_indicator", j+1)] = (i+j)%3 == 0
		}
		r, err := contract.NewRecord(deident.NewRecordID(now), contract.TypePOMInterview, 1, contract.POMInterview{ParticipantKey: uuid.NewString(),
			EnrollmentYear: 2025, AgeBand: "35-44", Timepoint: contract.Timepoints[i%3], ProgramMonth: 1 + 5*(i%3), Release: "2026.1", Answers: answers})
		if err != nil {
			b.Fatal(err)
		}
		rows[i] = []any{r.ID, r.Type, r.Version, r.Hash, false, string(r.Data), now}
	}
	if err := st.DB.Transaction(func(tx *gorm.DB) error {
		return dbx.ExecRows(tx, "INSERT INTO sync_records (id, type, version, hash, deleted, data, updated_at) VALUES ", "", "", rows, 0)
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch, err := st.PendingBatch(ctx, int64(i%3)*contract.MaxBatchRecords, contract.MaxBatchRecords, contract.MaxBatchBytes*3/4)
		if err != nil || len(batch.Records) != contract.MaxBatchRecords {
			b.Fatalf("%d records, %v", len(batch.Records), err)
		}
	}
}
