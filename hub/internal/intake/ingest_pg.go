package intake

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
)

// pushPostgres is Push on PostgreSQL. The batch is copied (COPY, the
// fastest way into PostgreSQL) into a session-local temporary table and
// upserted from there in one statement, all in one transaction on one
// connection of the pool, driven through pgx directly: begin, COPY, the
// upsert with the site's watermark, commit (plus, once per connection, the
// temporary table's creation, and a lookup when some records were not
// written).
func (s *Store) pushPostgres(ctx context.Context, siteID string, batchSeq int64, recs []contract.Record, beforeCommit func() error) ([]contract.RecordResult, int64, error) {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return nil, 0, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	var results []contract.RecordResult
	var siteSeq int64
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("the PostgreSQL driver is not pgx")
		}
		pc := sc.Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
		// First, before the transaction has an id: the records' ingest
		// mark is that id (store.RecordMark).
		if _, err := tx.Exec(ctx, store.LockIngest); err != nil {
			return err
		}
		// The temporary table lives as long as the connection: it is made
		// in the first batch the connection commits, then found there.
		session := pc.PgConn().CustomData()
		if session[incomingMade] != true {
			if _, err := tx.Exec(ctx, createIncoming); err != nil {
				return err
			}
		}
		// Rows are encoded one at a time as COPY sends them; the payload
		// bytes go out as they are, uncopied.
		row := make([]any, 6)
		src := pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) {
			r := &recs[i]
			row[0], row[1], row[2], row[3], row[4], row[5] = r.ID, r.Type, r.Version, r.Hash, r.Deleted, []byte(r.Data)
			if r.Data == nil {
				row[5] = "" // a tombstone; a nil []byte would be NULL
			}
			return row, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incoming_records"}, []string{"id", "type", "version", "hash", "deleted", "data"}, src); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: make it next time
				delete(session, incomingMade)
			}
			return err
		}
		// The upsert and the site's batch watermark go in one round trip.
		batch := &pgx.Batch{}
		batch.Queue(`INSERT INTO records (id, site_id, type, version, hash, deleted, data, xact, stored_at)
SELECT id, $1, type, version, hash, deleted, data, m.xact, $2 FROM incoming_records, (SELECT `+store.PGIngestMark+` AS xact) m`+upsertTail, siteID, s.Now())
		batch.Queue("UPDATE sites SET batch_seq = GREATEST(batch_seq, $1), last_seen_at = $2 WHERE id = $3 RETURNING batch_seq", batchSeq, s.Now(), siteID)
		written, err := upsertAndMark(tx.SendBatch(ctx, batch), len(recs), &siteSeq)
		if err != nil {
			return err
		}
		results, err = decideFates(siteID, recs, written, func(ids []string) ([]existingRecord, error) {
			r, err := tx.Query(ctx, "SELECT id, site_id, type, version, hash FROM records WHERE id = ANY($1)", ids)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(r, pgx.RowToStructByPos[existingRecord])
		})
		if err != nil {
			return err
		}
		if beforeCommit != nil {
			if err := beforeCommit(); err != nil {
				return err
			}
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		session[incomingMade] = true
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return results, siteSeq, nil
}

// incomingMade marks, in a connection's custom data, that its session holds
// the temporary table incoming_records.
const incomingMade = "iml.incoming_records"

const createIncoming = `CREATE TEMP TABLE IF NOT EXISTS incoming_records
(id text, type text, version bigint, hash text, deleted boolean, data text) ON COMMIT DELETE ROWS`

// upsertAndMark reads the answers to the upsert (the ids it wrote) and to
// the site's batch watermark, and closes the batch.
func upsertAndMark(br pgx.BatchResults, n int, siteSeq *int64) (map[string]struct{}, error) {
	defer br.Close()
	q, err := br.Query()
	if err != nil {
		return nil, err
	}
	written := make(map[string]struct{}, n)
	for q.Next() {
		var id string
		if err := q.Scan(&id); err != nil {
			q.Close()
			return nil, err
		}
		written[id] = struct{}{}
	}
	q.Close()
	if err := q.Err(); err != nil {
		return nil, err
	}
	if err := br.QueryRow().Scan(siteSeq); err != nil {
		return nil, fmt.Errorf("site batch sequence: %w", err)
	}
	return written, br.Close()
}
