package store

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/contract/contracttest"
	"github.com/itsmylife/iml/pkg/dbx"
)

// BenchmarkPendingBatch reads a full batch of POM interview records (as
// the sync benchmark's) from an outbox of 20,000.
func BenchmarkPendingBatch(b *testing.B) {
	ctx := context.Background()
	st := openTestK(b, 0)
	now := time.Now().UTC()
	recs := contracttest.Interviews(20_000)
	rows := make([][]any, len(recs))
	for i, r := range recs {
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
		batch, err := st.Outbox.PendingBatch(ctx, int64(i%3)*contract.MaxBatchRecords, contract.MaxBatchRecords, contract.MaxBatchBytes*3/4)
		if err != nil || len(batch.Records) != contract.MaxBatchRecords {
			b.Fatalf("%d records, %v", len(batch.Records), err)
		}
	}
}
