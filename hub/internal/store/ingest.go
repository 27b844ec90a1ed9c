package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
)

// ErrForeignRecord means a batch holds a record id that another site owns.
var ErrForeignRecord = errors.New("the batch holds records that belong to another site")

type existingRecord struct {
	ID      string
	SiteID  string
	Type    string
	Version int64
	Hash    string
}

// Push stores one batch from a site in one transaction, idempotently per
// record, and returns each record's fate and the highest batch sequence held
// for the site. Nothing is stored when it fails.
func (s *Store) Push(ctx context.Context, siteID string, batchSeq int64, recs []contract.Record) ([]contract.RecordResult, int64, error) {
	results := make([]contract.RecordResult, len(recs))
	var siteSeq int64
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = r.ID
		}
		held := make(map[string]existingRecord, len(recs))
		for start := 0; start < len(ids); start += 500 {
			end := min(start+500, len(ids))
			var rows []existingRecord
			if err := tx.Raw("SELECT id, site_id, type, version, hash FROM records WHERE id IN ?", ids[start:end]).Scan(&rows).Error; err != nil {
				return err
			}
			for _, r := range rows {
				held[r.ID] = r
			}
		}
		toStore := make([]int, 0, len(recs))
		for i, r := range recs {
			res := contract.RecordResult{ID: r.ID, Version: r.Version}
			cur, ok := held[r.ID]
			switch {
			case ok && cur.SiteID != siteID:
				return ErrForeignRecord
			case !ok || r.Version > cur.Version:
				if ok && cur.Type != r.Type {
					res.Fate, res.Detail = contract.FateConflict, fmt.Sprintf("record is a %s at the hub, not a %s", cur.Type, r.Type)
					break
				}
				res.Fate = contract.FateStored
				toStore = append(toStore, i)
				held[r.ID] = existingRecord{ID: r.ID, SiteID: siteID, Type: r.Type, Version: r.Version, Hash: r.Hash}
			case r.Version < cur.Version:
				res.Fate, res.Detail, res.HubVersion = contract.FateStale, fmt.Sprintf("the hub holds version %d", cur.Version), cur.Version
			case r.Hash == cur.Hash:
				res.Fate = contract.FateDuplicate
			default:
				res.Fate, res.Detail, res.HubVersion = contract.FateConflict, "same id and version with different content", cur.Version
			}
			results[i] = res
		}
		if err := s.upsertRecords(tx, siteID, recs, toStore); err != nil {
			return err
		}
		if err := tx.Exec("UPDATE sites SET batch_seq = CASE WHEN batch_seq < ? THEN ? ELSE batch_seq END, last_seen_at = ? WHERE id = ?",
			batchSeq, batchSeq, s.Now(), siteID).Error; err != nil {
			return err
		}
		return tx.Raw("SELECT batch_seq FROM sites WHERE id = ?", siteID).Scan(&siteSeq).Error
	})
	if err != nil {
		return nil, 0, err
	}
	return results, siteSeq, nil
}

const upsertTail = ` ON CONFLICT (id) DO UPDATE SET type = excluded.type, version = excluded.version, hash = excluded.hash,
deleted = excluded.deleted, data = excluded.data, projected = excluded.projected, received_at = excluded.received_at
WHERE records.version < excluded.version AND records.site_id = excluded.site_id`

// upsertRecords writes the chosen records with multi-row upserts. The WHERE
// of the upsert keeps a concurrent higher version and another site's record.
func (s *Store) upsertRecords(tx *gorm.DB, siteID string, recs []contract.Record, idx []int) error {
	if len(idx) == 0 {
		return nil
	}
	if s.dialect == "postgres" {
		return pgUpsert(tx, siteID, recs, idx, s.Now())
	}
	const chunk = 400 // 9 parameters a row, below SQLite's limit
	now := s.Now()
	for start := 0; start < len(idx); start += chunk {
		end := min(start+chunk, len(idx))
		var sb strings.Builder
		sb.WriteString("INSERT INTO records (id, site_id, type, version, hash, deleted, data, projected, received_at) VALUES ")
		args := make([]any, 0, (end-start)*9)
		for j, i := range idx[start:end] {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(?,?,?,?,?,?,?,?,?)")
			r := recs[i]
			args = append(args, r.ID, siteID, r.Type, r.Version, r.Hash, r.Deleted, string(r.Data), false, now)
		}
		sb.WriteString(upsertTail)
		if err := tx.Exec(sb.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}
