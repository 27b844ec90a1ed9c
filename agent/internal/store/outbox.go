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
	rec := SyncRecord{ID: id, Type: typ, Version: cur.Version + 1, Hash: hash, Deleted: deleted, Data: string(data), Dirty: true}
	return tx.Exec(`INSERT INTO sync_records (id, type, version, hash, deleted, data, dirty, acked_seq, conflict, updated_at) VALUES (?,?,?,?,?,?,?,0,'',?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, hash = excluded.hash, deleted = excluded.deleted, data = excluded.data, dirty = excluded.dirty, conflict = '', updated_at = excluded.updated_at`,
		rec.ID, rec.Type, rec.Version, rec.Hash, rec.Deleted, rec.Data, true, now).Error
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

// PendingBatch returns up to max dirty records whose payloads add up to at
// most maxBytes, oldest id first, skipping those the hub refused.
func (s *Store) PendingBatch(ctx context.Context, max, maxBytes int) ([]contract.Record, error) {
	rows, err := s.DB.WithContext(ctx).Raw("SELECT id, type, version, hash, deleted, data FROM sync_records WHERE dirty AND conflict = '' ORDER BY id LIMIT ?", max).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]contract.Record, 0, max)
	size := 0
	for rows.Next() {
		var r contract.Record
		var data string
		if err := rows.Scan(&r.ID, &r.Type, &r.Version, &r.Hash, &r.Deleted, &data); err != nil {
			return nil, err
		}
		if !r.Deleted {
			r.Data = contract.RawJSON(data)
		}
		size += len(data) + 200
		if size > maxBytes && len(out) > 0 {
			break
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Acknowledge applies the hub's answer to a batch in one transaction: each
// acknowledged record is clean unless it changed meanwhile. A record the hub
// holds in another version (stale, conflict) is re-versioned above the hub's
// and stays due; one the hub refuses otherwise is kept with its reason.
func (s *Store) Acknowledge(ctx context.Context, seq int64, sent []contract.Record, results []contract.RecordResult) error {
	if len(results) != len(sent) {
		return fmt.Errorf("the hub answered %d fates for %d records", len(results), len(sent))
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i, r := range results {
			if r.ID != sent[i].ID || r.Version != sent[i].Version {
				return fmt.Errorf("the hub's answer %d names %s v%d, not the record sent", i, r.ID, r.Version)
			}
			var err error
			switch {
			case r.Fate.Acknowledged():
				err = tx.Exec("UPDATE sync_records SET dirty = ?, acked_seq = ? WHERE id = ? AND version = ?", false, seq, r.ID, r.Version).Error
			case r.HubVersion >= r.Version:
				err = tx.Exec("UPDATE sync_records SET version = ? WHERE id = ? AND version = ?", r.HubVersion+1, r.ID, r.Version).Error
			default:
				detail := r.Detail
				if len(detail) > 290 {
					detail = detail[:290]
				}
				if detail == "" {
					detail = string(r.Fate)
				}
				err = tx.Exec("UPDATE sync_records SET conflict = ? WHERE id = ? AND version = ?", detail, r.ID, r.Version).Error
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// Reconcile compares what the hub says it holds with what the agent
// believes it delivered, and makes due again whatever the hub lost: all of
// it after a generation change, the batches after the hub's sequence after a
// restore from an older backup. It returns how many records became due.
func (s *Store) Reconcile(ctx context.Context, generation string, siteSeq int64) (int64, error) {
	var requeued int64
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		known, err := GetMeta(tx, MetaGeneration)
		if err != nil {
			return err
		}
		var res *gorm.DB
		if known != generation {
			res = tx.Exec("UPDATE sync_records SET dirty = ?, acked_seq = 0 WHERE NOT dirty", true)
		} else {
			res = tx.Exec("UPDATE sync_records SET dirty = ?, acked_seq = 0 WHERE NOT dirty AND acked_seq > ?", true, siteSeq)
		}
		if res.Error != nil {
			return res.Error
		}
		requeued = res.RowsAffected
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
