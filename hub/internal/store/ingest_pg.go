package store

import (
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
)

// pgUpsert writes the chosen records in one statement on PostgreSQL: the
// columns travel as arrays and unnest() turns them into rows, so a batch of
// thousands of records is one round trip and one plan.
func pgUpsert(tx *gorm.DB, siteID string, recs []contract.Record, idx []int, now time.Time) error {
	n := len(idx)
	ids, types, hashes, datas := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions := make([]int64, n)
	deleted := make([]bool, n)
	for j, i := range idx {
		r := recs[i]
		ids[j], types[j], hashes[j], datas[j], versions[j], deleted[j] = r.ID, r.Type, r.Hash, string(r.Data), r.Version, r.Deleted
	}
	// The connection pool is used directly so that gorm does not expand the
	// slices into lists of placeholders.
	_, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, `INSERT INTO records (id, site_id, type, version, hash, deleted, data, projected, received_at)
SELECT u.id, $1, u.type, u.version, u.hash, u.deleted, u.data, false, $2
FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[], $7::boolean[], $8::text[]) AS u(id, type, version, hash, deleted, data)`+upsertTail,
		siteID, now, ids, types, versions, hashes, deleted, datas)
	return err
}
