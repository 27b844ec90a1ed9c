package store

import (
	"database/sql"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
)

// pgUpsert writes a batch in one statement on PostgreSQL: the columns travel
// as arrays and unnest() turns them into rows, so thousands of records are
// one round trip and one plan.
func pgUpsert(tx *gorm.DB, siteID string, recs []contract.Record) (*sql.Rows, error) {
	n := len(recs)
	ids, types, hashes, datas := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions := make([]int64, n)
	deleted := make([]bool, n)
	for i, r := range recs {
		ids[i], types[i], hashes[i], datas[i], versions[i], deleted[i] = r.ID, r.Type, r.Hash, string(r.Data), r.Version, r.Deleted
	}
	// The connection pool is used directly so that gorm does not expand the
	// slices into lists of placeholders.
	return tx.Statement.ConnPool.QueryContext(tx.Statement.Context, `INSERT INTO records (id, site_id, type, version, hash, deleted, data, projected)
SELECT u.id, $1, u.type, u.version, u.hash, u.deleted, u.data, false
FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::boolean[], $7::text[]) AS u(id, type, version, hash, deleted, data)`+upsertTail,
		siteID, ids, types, versions, hashes, deleted, datas)
}
