package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
)

// putRecord writes the de-identified version of a record to the outbox in
// the caller's transaction: a new version, flagged dirty, only when the
// content changed.
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
	err := tx.Limit(1).Find(&cur, "id = ?", id).Error
	if err != nil {
		return err
	}
	if cur.ID != "" && cur.Hash == hash {
		return nil
	}
	if cur.ID == "" && deleted {
		return nil // never sent, nothing to delete upstream
	}
	if err := tx.Exec(`INSERT INTO sync_records (id, type, version, hash, deleted, dirty, acked_seq, conflict, change_seq, updated_at)
VALUES (?,?,?,?,?,1,0,'',(SELECT COALESCE(MAX(change_seq), 0) + 1 FROM sync_records),?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, hash = excluded.hash, deleted = excluded.deleted,
dirty = 1, conflict = '', change_seq = excluded.change_seq, updated_at = excluded.updated_at`,
		id, typ, cur.Version+1, hash, deleted, now).Error; err != nil {
		return err
	}
	return tx.Exec("INSERT INTO sync_payloads (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data", id, string(data)).Error
}

// OutboxStats counts the outbox.
type OutboxStats struct {
	Total     int64 `json:"total"`
	Pending   int64 `json:"pending"`
	Conflicts int64 `json:"conflicts"`
}

// Outbox returns the outbox counts.
func (s *Store) Outbox(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	err := s.DB.WithContext(ctx).Raw(`SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN dirty AND conflict = '' THEN 1 ELSE 0 END), 0) AS pending,
COALESCE(SUM(CASE WHEN dirty AND conflict <> '' THEN 1 ELSE 0 END), 0) AS conflicts FROM sync_records`).Scan(&st).Error
	return st, err
}

// Batch is a bounded run of due records, in id order, as read at one
// moment (ReadSeq).
type Batch struct {
	Records []contract.Record
	ReadSeq int64
}

// Last is the id of the batch's last record.
func (b Batch) Last() string {
	if len(b.Records) == 0 {
		return ""
	}
	return b.Records[len(b.Records)-1].ID
}

// PendingBatch reads up to max due records with ids after the given one
// whose payloads add up to at most maxBytes, skipping records the hub
// refused. ReadSeq is read first: every row read has changed at or before
// it unless it changed during the read, in which case it is only resent.
func (s *Store) PendingBatch(ctx context.Context, after string, max, maxBytes int) (Batch, error) {
	var b Batch
	db := s.DB.WithContext(ctx)
	if err := db.Raw("SELECT COALESCE(MAX(change_seq), 0) FROM sync_records").Scan(&b.ReadSeq).Error; err != nil {
		return b, err
	}
	rows, err := db.Raw(`SELECT r.id, r.type, r.version, r.hash, r.deleted, p.data FROM sync_records r JOIN sync_payloads p ON p.id = r.id
WHERE r.dirty AND r.conflict = '' AND r.id > ? ORDER BY r.id LIMIT ?`, after, max).Rows()
	if err != nil {
		return b, err
	}
	defer rows.Close()
	b.Records = make([]contract.Record, 0, max)
	size := 0
	for rows.Next() {
		var r contract.Record
		var data string
		if err := rows.Scan(&r.ID, &r.Type, &r.Version, &r.Hash, &r.Deleted, &data); err != nil {
			return b, err
		}
		if !r.Deleted {
			r.Data = contract.RawJSON(data)
		}
		size += len(data) + 200
		if size > maxBytes && len(b.Records) > 0 {
			break
		}
		b.Records = append(b.Records, r)
	}
	return b, rows.Err()
}

// JournalAck records the hub's answer to a batch in one small transaction,
// durable at once: a record the hub holds in another version (stale,
// conflict) is re-versioned above the hub's and stays due; one it refuses
// otherwise is kept with its reason; and the batch's id range and read
// counter are journaled. ApplyAcks later marks the rest delivered. The same
// transaction reserves and returns the next batch's sequence number.
func (s *Store) JournalAck(ctx context.Context, seq int64, b Batch, results []contract.RecordResult) (int64, error) {
	if len(results) != len(b.Records) {
		return 0, fmt.Errorf("the hub answered %d fates for %d records", len(results), len(b.Records))
	}
	if len(b.Records) == 0 {
		return 0, nil
	}
	var nextSeq int64
	return nextSeq, s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var next int64
		for i, r := range results {
			if r.ID != b.Records[i].ID || r.Version != b.Records[i].Version {
				return fmt.Errorf("the hub's answer %d names %s v%d, not the record sent", i, r.ID, r.Version)
			}
			if r.Fate.Acknowledged() {
				continue
			}
			var err error
			if r.HubVersion >= r.Version {
				if next == 0 {
					if err := tx.Raw("SELECT COALESCE(MAX(change_seq), 0) FROM sync_records").Scan(&next).Error; err != nil {
						return err
					}
				}
				next++
				err = tx.Exec("UPDATE sync_records SET version = ?, change_seq = ? WHERE id = ? AND version = ?", r.HubVersion+1, next, r.ID, r.Version).Error
			} else {
				detail := r.Detail
				if detail == "" {
					detail = string(r.Fate)
				}
				err = tx.Exec("UPDATE sync_records SET conflict = ? WHERE id = ? AND version = ?", truncate(detail, 290), r.ID, r.Version).Error
			}
			if err != nil {
				return err
			}
		}
		if err := tx.Exec("INSERT INTO sync_acks (seq, first_id, last_id, read_seq) VALUES (?, ?, ?, ?)", seq, b.Records[0].ID, b.Last(), b.ReadSeq).Error; err != nil {
			return err
		}
		var err error
		nextSeq, err = nextBatchSeq(tx)
		return err
	})
}

// ApplyAcks applies journaled acknowledgements, oldest first: every due
// record of a batch's id range that has not changed since the batch was
// read is marked delivered, in one statement; a record changed meanwhile
// stays due. It returns how many journal entries it applied.
func (s *Store) ApplyAcks(ctx context.Context) (int, error) {
	n := 0
	for {
		var a struct {
			Seq             int64
			FirstID, LastID string
			ReadSeq         int64
		}
		err := s.DB.WithContext(ctx).Raw("SELECT seq, first_id, last_id, read_seq FROM sync_acks ORDER BY seq LIMIT 1").Scan(&a).Error
		if err != nil || a.Seq == 0 {
			return n, err
		}
		err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("UPDATE sync_records SET dirty = 0, acked_seq = ? WHERE dirty AND conflict = '' AND id >= ? AND id <= ? AND change_seq <= ?",
				a.Seq, a.FirstID, a.LastID, a.ReadSeq).Error; err != nil {
				return err
			}
			return tx.Exec("DELETE FROM sync_acks WHERE seq = ?", a.Seq).Error
		})
		if err != nil {
			return n, err
		}
		n++
	}
}

// Acknowledge journals the hub's answer to a batch and applies it.
func (s *Store) Acknowledge(ctx context.Context, seq int64, b Batch, results []contract.RecordResult) error {
	if _, err := s.JournalAck(ctx, seq, b, results); err != nil {
		return err
	}
	_, err := s.ApplyAcks(ctx)
	return err
}

// requeue makes records due again. Their change counter moves past every
// batch already read, so no acknowledgement in flight can clear them.
func requeue(tx *gorm.DB, where string, args ...any) (int64, error) {
	var max int64
	if err := tx.Raw("SELECT COALESCE(MAX(change_seq), 0) FROM sync_records").Scan(&max).Error; err != nil {
		return 0, err
	}
	res := tx.Exec("UPDATE sync_records SET dirty = true, acked_seq = 0, change_seq = change_seq + ? WHERE "+where, append([]any{max}, args...)...)
	return res.RowsAffected, res.Error
}

// RequeueAll makes every record due again (after restoring the agent's
// database from a backup).
func (s *Store) RequeueAll(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, err = requeue(tx, "1 = 1")
		return err
	})
	return n, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Reconcile compares what the hub says it holds with what the agent
// believes it delivered, and makes due again whatever the hub lost: all of
// it after a generation change, the batches after the hub's sequence after a
// restore from an older backup. It returns how many records became due.
func (s *Store) Reconcile(ctx context.Context, generation string, siteSeq int64) (int64, error) {
	var requeued int64
	if _, err := s.ApplyAcks(ctx); err != nil {
		return 0, err
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		known, err := GetMeta(tx, MetaGeneration)
		if err != nil {
			return err
		}
		var err2 error
		if known != generation {
			requeued, err2 = requeue(tx, "NOT dirty")
		} else {
			requeued, err2 = requeue(tx, "NOT dirty AND acked_seq > ?", siteSeq)
		}
		if err2 != nil {
			return err2
		}
		if err := SetMeta(tx, MetaGeneration, generation); err != nil {
			return err
		}
		// Keep batch numbers above anything the hub holds.
		v, err := GetMeta(tx, MetaBatchSeq)
		if err != nil {
			return err
		}
		if cur, _ := strconv.ParseInt(v, 10, 64); cur < siteSeq {
			return SetMeta(tx, MetaBatchSeq, strconv.FormatInt(siteSeq, 10))
		}
		return nil
	})
	return requeued, err
}
