package intake

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
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

// upsertTail makes the insert idempotent: an existing record is replaced
// only by a higher version of the same type from the same site, and then
// takes the transaction's ingest mark, which puts it after the projector's
// watermark again (store.RecordMark). RETURNING names the records written,
// so the common case (all new) needs no lookup.
var upsertTail = ` ON CONFLICT (id) DO UPDATE SET version = excluded.version, hash = excluded.hash,
deleted = excluded.deleted, data = excluded.data, xact = excluded.xact, stored_at = excluded.stored_at
WHERE records.version < excluded.version AND excluded.version - records.version <= ` + maxVersionStep + `
AND records.site_id = excluded.site_id AND records.type = excluded.type
RETURNING id`

// maxVersionStep is contract.MaxVersionStep, written into the upsert.
var maxVersionStep = strconv.FormatInt(contract.MaxVersionStep, 10)

// Push stores one batch from a site in one transaction, idempotently per
// record, and returns each record's fate and the highest batch sequence held
// for the site. Nothing is stored when it fails. Record ids must be unique
// within the batch (the server checks). beforeCommit, if not nil, runs last
// inside the transaction: an error from it rolls everything back. The
// server uses it to validate a batch while the database writes it.
func (s *Store) Push(ctx context.Context, siteID string, batchSeq int64, recs []contract.Record, beforeCommit func() error) ([]contract.RecordResult, int64, error) {
	if s.Dialect() == dbx.Postgres {
		return s.pushPostgres(ctx, siteID, batchSeq, recs, beforeCommit)
	}
	var results []contract.RecordResult
	var siteSeq int64
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		written, err := s.upsertRecords(tx, siteID, recs)
		if err != nil {
			return err
		}
		results, err = decideFates(siteID, recs, written, func(ids []string) ([]existingRecord, error) {
			var held []existingRecord
			for start := 0; start < len(ids); start += 500 {
				var rows []existingRecord
				if err := tx.Raw("SELECT id, site_id, type, version, hash FROM records WHERE id IN ?", ids[start:min(start+500, len(ids))]).Scan(&rows).Error; err != nil {
					return nil, err
				}
				held = append(held, rows...)
			}
			return held, nil
		})
		if err != nil {
			return err
		}
		if err := tx.Raw("UPDATE sites SET batch_seq = CASE WHEN batch_seq < ? THEN ? ELSE batch_seq END, last_seen_at = ? WHERE id = ? RETURNING batch_seq",
			batchSeq, batchSeq, s.Now(), siteID).Scan(&siteSeq).Error; err != nil {
			return err
		}
		if beforeCommit != nil {
			return beforeCommit()
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return results, siteSeq, nil
}

// decideFates gives each record of a batch its fate: stored when the upsert
// wrote it, otherwise decided against what the hub holds (looked up for
// those records only). A record another site owns fails the whole batch.
func decideFates(siteID string, recs []contract.Record, written map[string]struct{}, lookup func(ids []string) ([]existingRecord, error)) ([]contract.RecordResult, error) {
	results := make([]contract.RecordResult, len(recs))
	var rest []string
	for i, r := range recs {
		results[i] = contract.RecordResult{ID: r.ID, Version: r.Version}
		if _, ok := written[r.ID]; ok {
			results[i].Fate = contract.FateStored
		} else {
			rest = append(rest, r.ID)
		}
	}
	if len(rest) == 0 {
		return results, nil
	}
	rows, err := lookup(rest)
	if err != nil {
		return nil, err
	}
	held := make(map[string]existingRecord, len(rows))
	for _, r := range rows {
		held[r.ID] = r
	}
	for i, r := range recs {
		if results[i].Fate != "" {
			continue
		}
		cur := held[r.ID]
		res := &results[i]
		switch {
		case cur.SiteID != siteID:
			return nil, ErrForeignRecord
		case cur.Type != r.Type:
			res.Fate, res.Detail = contract.FateConflict, fmt.Sprintf("record is a %s at the hub, not a %s", cur.Type, r.Type)
		case r.Version < cur.Version:
			res.Fate, res.Detail, res.HubVersion = contract.FateStale, fmt.Sprintf("the hub holds version %d", cur.Version), cur.Version
		case r.Version-cur.Version > contract.MaxVersionStep:
			res.Fate, res.HubVersion = contract.FateConflict, cur.Version
			res.Detail = fmt.Sprintf("version %d is more than %d past the version the hub holds (%d)", r.Version, contract.MaxVersionStep, cur.Version)
		case r.Version == cur.Version && r.Hash == cur.Hash:
			res.Fate = contract.FateDuplicate
		default:
			res.Fate, res.Detail, res.HubVersion = contract.FateConflict, "same id and version with different content", cur.Version
		}
	}
	return results, nil
}

// upsertRecords writes the batch with multi-row upserts (SQLite) and
// returns the ids it wrote.
func (s *Store) upsertRecords(tx *gorm.DB, siteID string, recs []contract.Record) (map[string]struct{}, error) {
	written := make(map[string]struct{}, len(recs))
	if len(recs) == 0 {
		return written, nil
	}
	now := s.Now()
	markExpr, markArgs, err := store.IngestMark(tx)
	if err != nil {
		return nil, err
	}
	collect := func(rows interface {
		Next() bool
		Scan(...any) error
		Err() error
		Close() error
	}) error {
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			written[id] = struct{}{}
		}
		return rows.Err()
	}
	const chunk = 3000 // 9 parameters a row, below SQLite's limit
	for start := 0; start < len(recs); start += chunk {
		part := recs[start:min(start+chunk, len(recs))]
		var sb strings.Builder
		sb.WriteString("INSERT INTO records (id, site_id, type, version, hash, deleted, data, xact, stored_at) VALUES ")
		args := make([]any, 0, len(part)*9)
		for i, r := range part {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(?,?,?,?,?,?,?," + markExpr + ",?)")
			args = append(args, r.ID, siteID, r.Type, r.Version, r.Hash, r.Deleted, string(r.Data))
			args = append(append(args, markArgs...), now)
		}
		sb.WriteString(upsertTail)
		rows, err := tx.Raw(sb.String(), args...).Rows()
		if err != nil {
			return nil, err
		}
		if err := collect(rows); err != nil {
			return nil, err
		}
	}
	return written, nil
}
