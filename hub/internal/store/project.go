package store

import (
	"context"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
)

type pendingRecord struct {
	ID      string
	SiteID  string
	OrgID   string
	Type    string
	Version int64
	Deleted bool
	Data    string
}

// projectLock is the PostgreSQL advisory lock key of a projection pass,
// taken with the hash of the current schema (hubs in other schemas of one
// database do not block each other).
const projectLock int32 = 74_120_192

// ProjectPending folds up to limit records stored since their last
// projection into the reporting tables, in one transaction, and returns how
// many it handled. A record that received a newer version meanwhile stays
// pending. On PostgreSQL a pass holds an advisory lock: with several hub
// replicas, one projects while the others skip (and return 0).
func (s *Store) ProjectPending(ctx context.Context, limit int) (int, error) {
	handled := 0
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == dbx.Postgres {
			var got bool
			if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?, hashtext(current_schema()))", projectLock).Scan(&got).Error; err != nil || !got {
				return err
			}
		}
		var err error
		handled, err = s.projectIn(tx, limit)
		return err
	})
	return handled, err
}

func (s *Store) projectIn(tx *gorm.DB, limit int) (int, error) {
	var pend []pendingRecord
	err := tx.Raw(`SELECT r.id, r.site_id, s.org_id, r.type, r.version, r.deleted, r.data
FROM records r JOIN sites s ON s.id = r.site_id WHERE r.projected = ? ORDER BY r.id LIMIT ?`, false, limit).Scan(&pend).Error
	if err != nil || len(pend) == 0 {
		return 0, err
	}
	ids := make([]string, len(pend))
	for i, p := range pend {
		ids[i] = p.ID
	}
	var interviews, answers, done [][]any
	for _, p := range pend {
		done = append(done, []any{p.ID, p.Version})
		if p.Deleted || p.Type != contract.TypePOMInterview {
			continue
		}
		iv, err := contract.DecodePOMInterview([]byte(p.Data))
		if err != nil {
			// Validated at ingest; a record that no longer decodes is
			// logged and left out of reports rather than stopping them.
			s.Log.Error("projection: stored record does not decode", "record", p.ID, "err", err)
			continue
		}
		interviews = append(interviews, []any{p.ID, p.SiteID, p.OrgID, iv.ParticipantKey, iv.Timepoint, iv.EnrollmentYear, iv.AgeBand, iv.ProgramMonth, iv.Release})
		for code, present := range iv.Answers {
			answers = append(answers, []any{p.ID, code, present})
		}
	}
	err = func() error {
		if err := tx.Where("record_id IN ?", ids).Delete(&POMAnswer{}).Error; err != nil {
			return err
		}
		if err := tx.Where("record_id IN ?", ids).Delete(&POMInterview{}).Error; err != nil {
			return err
		}
		if err := dbx.ExecRows(tx, "INSERT INTO pom_interviews (record_id, site_id, org_id, participant_key, timepoint, enrollment_year, age_band, program_month, release) VALUES ", "", "", interviews, 0); err != nil {
			return err
		}
		if err := dbx.ExecRows(tx, "INSERT INTO pom_answers (record_id, indicator_code, present) VALUES ", "", "", answers, 0); err != nil {
			return err
		}
		// Only the version projected is marked: a newer one stays pending.
		return dbx.ExecRows(tx, "UPDATE records SET projected = true FROM (VALUES ", "(?, CAST(? AS BIGINT))",
			") AS v WHERE records.id = v.column1 AND records.version = v.column2", done, 0)
	}()
	if err != nil {
		return 0, err
	}
	return len(pend), nil
}

// PendingProjection counts records not yet in the reporting tables.
func (s *Store) PendingProjection(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Model(&Record{}).Where("projected = ?", false).Count(&n).Error
	return n, err
}
