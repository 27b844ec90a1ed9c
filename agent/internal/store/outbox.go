package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
)

// MetaAckedUpto is the outbox watermark: every change up to it is held by
// the hub.
const MetaAckedUpto = "acked_upto"

// putRecord writes the de-identified version of a record to the outbox in
// the caller's transaction, as a new version at a new change_seq, only when
// the content changed.
func putRecord(tx *gorm.DB, now time.Time, id, typ string, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	return writeOutbox(tx, now, id, typ, false, data)
}

// putTombstone records a deletion in the outbox.
func putTombstone(tx *gorm.DB, now time.Time, id, typ string) error {
	return writeOutbox(tx, now, id, typ, true, nil)
}

func writeOutbox(tx *gorm.DB, now time.Time, id, typ string, deleted bool, data []byte) error {
	hash := contract.HashRecord(typ, deleted, data)
	var cur SyncRecord
	if err := tx.Limit(1).Find(&cur, "id = ?", id).Error; err != nil {
		return err
	}
	if cur.ID != "" && cur.Hash == hash {
		return nil
	}
	if cur.ID == "" && deleted {
		return nil // never sent, nothing to delete upstream
	}
	return moveToEnd(tx, now, id, typ, cur.Version+1, hash, deleted, string(data))
}

// moveToEnd (re)writes a record at a new change_seq, which makes it due.
func moveToEnd(tx *gorm.DB, now time.Time, id, typ string, version int64, hash string, deleted bool, data string) error {
	if err := tx.Exec("DELETE FROM sync_records WHERE id = ?", id).Error; err != nil {
		return err
	}
	return tx.Exec("INSERT INTO sync_records (id, type, version, hash, deleted, data, conflict, updated_at) VALUES (?,?,?,?,?,?,'',?)",
		id, typ, version, hash, deleted, data, now).Error
}

func ackedUpto(db *gorm.DB) (int64, error) {
	v, err := GetMeta(db, MetaAckedUpto)
	n, _ := strconv.ParseInt(v, 10, 64)
	return n, err
}

// OutboxStats counts the outbox.
type OutboxStats struct {
	Total     int64 `json:"total"`
	Pending   int64 `json:"pending"`
	Conflicts int64 `json:"conflicts"`
}

// Outbox returns the outbox counts.
func (s *outboxStore) Outbox(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	db := s.st.DB.WithContext(ctx)
	upto, err := ackedUpto(db)
	if err != nil {
		return st, err
	}
	err = db.Raw(`SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN change_seq > ? AND conflict = '' THEN 1 ELSE 0 END), 0) AS pending,
COALESCE(SUM(CASE WHEN conflict <> '' THEN 1 ELSE 0 END), 0) AS conflicts FROM sync_records`, upto).Scan(&st).Error
	return st, err
}

// Batch is a bounded run of due records in change order; Last is the
// change_seq of its last record.
type Batch struct {
	Records []contract.Record
	Last    int64
}

// PendingBatch reads up to limit due records after a change_seq (0: from the
// watermark) whose payloads add up to at most maxBytes, skipping records the
// hub refused.
func (s *outboxStore) PendingBatch(ctx context.Context, after int64, limit, maxBytes int) (Batch, error) {
	var b Batch
	db := s.st.DB.WithContext(ctx)
	upto, err := ackedUpto(db)
	if err != nil {
		return b, err
	}
	after = max(after, upto)
	// Read as blobs: the driver copies a blob out of SQLite once, a text
	// column twice (bytes, then a string).
	rows, err := db.Raw(`SELECT change_seq, CAST(id AS BLOB), CAST(type AS BLOB), version, CAST(hash AS BLOB), deleted, CAST(data AS BLOB) FROM sync_records
WHERE change_seq > ? AND conflict = '' ORDER BY change_seq LIMIT ?`, after, limit).Rows()
	if err != nil {
		return b, err
	}
	defer rows.Close()
	b.Records = make([]contract.Record, 0, limit)
	// The payloads are kept in a few large buffers rather than one
	// allocation each, the ids and hashes in one string for the batch, and
	// the records' types share one string each.
	var arena, strs []byte
	var ends []int // where each record's id and hash end in strs
	var id, typ, hash, data sql.RawBytes
	types := map[string]string{}
	size := 0
	for rows.Next() {
		var r contract.Record
		var seq int64
		if err := rows.Scan(&seq, &id, &typ, &r.Version, &hash, &r.Deleted, &data); err != nil {
			return b, err
		}
		size += len(data) + 200
		if size > maxBytes && len(b.Records) > 0 {
			break
		}
		t, ok := types[string(typ)]
		if !ok {
			t = string(typ)
			types[t] = t
		}
		r.Type = t
		strs = append(strs, id...)
		ends = append(ends, len(strs))
		strs = append(strs, hash...)
		ends = append(ends, len(strs))
		if !r.Deleted {
			if cap(arena)-len(arena) < len(data) {
				arena = make([]byte, 0, max(len(data), 1<<20))
			}
			start := len(arena)
			arena = append(arena, data...)
			r.Data = contract.RawJSON(arena[start:len(arena):len(arena)])
		}
		b.Records = append(b.Records, r)
		b.Last = seq
	}
	if err := rows.Err(); err != nil {
		return b, err
	}
	all, from := string(strs), 0
	for i := range b.Records {
		b.Records[i].ID, b.Records[i].Hash = all[from:ends[2*i]], all[ends[2*i]:ends[2*i+1]]
		from = ends[2*i+1]
	}
	return b, nil
}

// Acknowledge applies the hub's answer to a batch in one small transaction
// and returns the next batch's sequence number, reserved in it. A record the
// hub holds in another version (stale, conflict) is re-versioned above the
// hub's and moves to the end of the log, so it is due again; one it refuses
// otherwise keeps the hub's reason and waits for the next local change. The
// watermark then moves to the batch's last change: everything written before
// it that is not refused is held by the hub, and everything written since
// lies above it.
func (s *outboxStore) Acknowledge(ctx context.Context, seq int64, b Batch, results []contract.RecordResult) (int64, error) {
	if len(results) != len(b.Records) {
		return 0, fmt.Errorf("the hub answered %d fates for %d records", len(results), len(b.Records))
	}
	for i, r := range results {
		if r.ID != b.Records[i].ID || r.Version != b.Records[i].Version {
			return 0, fmt.Errorf("the hub's answer %d names %s v%d, not the record sent", i, r.ID, r.Version)
		}
	}
	var nextSeq int64
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i, r := range results {
			if r.Fate.Acknowledged() {
				continue
			}
			sent := b.Records[i]
			var err error
			if r.HubVersion >= r.Version && r.HubVersion < contract.MaxVersion {
				// Only if the record has not changed since it was sent.
				var cur SyncRecord
				if err := tx.Limit(1).Find(&cur, "id = ? AND version = ?", r.ID, r.Version).Error; err != nil {
					return err
				}
				if cur.ID != "" {
					err = moveToEnd(tx, s.st.Now(), cur.ID, cur.Type, r.HubVersion+1, cur.Hash, cur.Deleted, cur.Data)
				}
			} else {
				detail := r.Detail
				if detail == "" {
					detail = string(r.Fate)
				}
				if r.HubVersion >= contract.MaxVersion {
					// No version is left above the hub's: the record
					// waits aside instead of holding up the rest.
					detail = fmt.Sprintf("the hub holds version %d, the highest the contract allows; ask the national office to remove the record at the hub", r.HubVersion)
				}
				err = tx.Exec("UPDATE sync_records SET conflict = ? WHERE id = ? AND version = ?", truncate(detail, 290), sent.ID, sent.Version).Error
			}
			if err != nil {
				return err
			}
		}
		upto, err := ackedUpto(tx)
		if err != nil {
			return err
		}
		if b.Last > upto {
			if err := SetMeta(tx, MetaAckedUpto, strconv.FormatInt(b.Last, 10)); err != nil {
				return err
			}
			upto = b.Last
		}
		if err := tx.Exec("INSERT INTO sync_acks (seq, upto) VALUES (?, ?) ON CONFLICT (seq) DO UPDATE SET upto = excluded.upto", seq, upto).Error; err != nil {
			return err
		}
		nextSeq, err = nextBatchSeq(tx)
		return err
	})
	return nextSeq, err
}

// rewind moves the watermark back so that everything after it is due again.
func rewind(tx *gorm.DB, to int64) (int64, error) {
	upto, err := ackedUpto(tx)
	if err != nil || to >= upto {
		return 0, err
	}
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM sync_records WHERE change_seq > ? AND change_seq <= ? AND conflict = ''", to, upto).Scan(&n).Error; err != nil {
		return 0, err
	}
	return n, SetMeta(tx, MetaAckedUpto, strconv.FormatInt(to, 10))
}

// RequeueAll makes every record due again (after restoring the agent's
// database from a backup).
func (s *outboxStore) RequeueAll(ctx context.Context) (int64, error) {
	var n int64
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, err = rewind(tx, 0)
		if err != nil {
			return err
		}
		return tx.Exec("DELETE FROM sync_acks").Error
	})
	return n, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ErrHubSeqRange means the hub reported a batch watermark for the site
// that no push can have set: the agent does not adopt it.
var ErrHubSeqRange = errors.New("the hub reports a batch sequence out of range for this site")

// Reconcile compares what the hub says it holds with what the agent
// believes it delivered, and makes due again whatever the hub lost: all of
// it after a generation change; after a restore from an older backup,
// everything after the watermark the hub's last batch reached. It returns
// how many records became due.
//
// It also keeps the agent's batch counter where the hub accepts the next
// batch: at least siteSeq, less than contract.MaxBatchSeqStep above it,
// and a valid number (a counter left out of range, as by an agent that
// adopted an absurd watermark and wrapped around, is set to siteSeq). A
// siteSeq outside 0..contract.MaxBatchSeq is never adopted: the
// watermark part is skipped, a counter out of range starts again from 0,
// and ErrHubSeqRange is returned with the records requeued by a
// generation change (the round goes on: an older hub that holds such a
// number still takes small ones).
func (s *outboxStore) Reconcile(ctx context.Context, generation string, siteSeq int64) (int64, error) {
	var requeued int64
	absurd := siteSeq < 0 || siteSeq > contract.MaxBatchSeq
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		known, err := GetMeta(tx, MetaGeneration)
		if err != nil {
			return err
		}
		if absurd {
			if known != generation {
				if requeued, err = rewind(tx, 0); err != nil {
					return err
				}
				if err := tx.Exec("DELETE FROM sync_acks").Error; err != nil {
					return err
				}
				if err := SetMeta(tx, MetaGeneration, generation); err != nil {
					return err
				}
			}
			if _, ok, err := batchCounter(tx); err != nil || ok {
				return err
			}
			return SetMeta(tx, MetaBatchSeq, "0")
		}
		to := int64(0)
		if known != generation {
			// A new hub holds none of this site's records: those it
			// refused before (rejected for a release it did not know,
			// say) are sent to it again too.
			if err := tx.Exec("UPDATE sync_records SET conflict = '' WHERE conflict <> ''").Error; err != nil {
				return err
			}
		}
		if known == generation {
			if err := tx.Raw("SELECT COALESCE(MAX(upto), 0) FROM sync_acks WHERE seq <= ?", siteSeq).Scan(&to).Error; err != nil {
				return err
			}
		}
		if requeued, err = rewind(tx, to); err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM sync_acks WHERE seq > ?", siteSeq).Error; err != nil {
			return err
		}
		if known != generation {
			if err := tx.Exec("DELETE FROM sync_acks").Error; err != nil {
				return err
			}
		}
		if err := SetMeta(tx, MetaGeneration, generation); err != nil {
			return err
		}
		// Keep batch numbers above anything the hub holds, and within the
		// step the hub accepts above it. Lowering the counter is safe: the
		// acknowledgements of batches above siteSeq are gone (above).
		cur, ok, err := batchCounter(tx)
		if err != nil {
			return err
		}
		if !ok || cur < siteSeq || cur-siteSeq >= contract.MaxBatchSeqStep {
			return SetMeta(tx, MetaBatchSeq, strconv.FormatInt(siteSeq, 10))
		}
		return nil
	})
	if err == nil && absurd {
		err = ErrHubSeqRange
	}
	return requeued, err
}
