package intake

import (
	"context"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/outcomes"
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
		if s.Dialect() == dbx.Postgres {
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

// projection holds the reporting rows of a batch of records, per table.
type projection struct {
	rows map[string][][]any
}

// projectionTables are the tables a record projects into, each with its
// columns; every one is keyed by record_id, so a record's rows are replaced
// or removed with it.
var projectionTables = []struct{ name, cols string }{
	{"pom_interviews", "record_id, site_id, org_id, participant_key, timepoint, enrollment_year, age_band, program_month, release, model"},
	{"pom_answers", "record_id, indicator_code, present"},
	{"outcome_participants", "record_id, site_id, participant_key, enrollment_year, age_band, model"},
	{"outcome_surveys", "record_id, site_id, year, timepoint, model, release"},
	{"outcome_survey_answers", "record_id, statement_code, answer"},
	{"outcome_hospitalizations", "record_id, site_id, participant_key, enrollment_year, age_band, model, before_count, during_count, months_enrolled"},
	{"outcome_participation", "record_id, site_id, participant_key, enrollment_year, age_band, model, cohort_key, program_month, meetings_held, meetings_attended, journals_due, journals_completed, stipend_spent_cents, receipts_complete, outings1, outings2, outings3, outings4"},
	{"outcome_cohort_months", "record_id, site_id, cohort_key, model, start_year, program_month, members, pairs, pairing_changes, meetings_held, meetings_on_theme"},
}

func (pr *projection) add(table string, row ...any) { pr.rows[table] = append(pr.rows[table], row) }

// addRecord decodes one stored record and adds its rows.
func (pr *projection) addRecord(p pendingRecord) error {
	data := []byte(p.Data)
	switch p.Type {
	case contract.TypePOMInterview:
		iv, err := contract.DecodePOMInterview(data)
		if err != nil {
			return err
		}
		pr.add("pom_interviews", p.ID, p.SiteID, p.OrgID, iv.ParticipantKey, iv.Timepoint, iv.EnrollmentYear, iv.AgeBand, iv.ProgramMonth, iv.Release, iv.Model)
		for code, present := range iv.Answers {
			pr.add("pom_answers", p.ID, code, present)
		}
	case contract.TypeParticipant:
		pt, err := contract.DecodeParticipant(data)
		if err != nil {
			return err
		}
		pr.add("outcome_participants", p.ID, p.SiteID, pt.Key, pt.EnrollmentYear, pt.AgeBand, pt.Model)
	case contract.TypeSurveyResponse:
		sv, err := contract.DecodeSurveyResponse(data)
		if err != nil {
			return err
		}
		pr.add("outcome_surveys", p.ID, p.SiteID, sv.Year, sv.Timepoint, sv.Model, sv.Release)
		for code, a := range sv.Answers {
			pr.add("outcome_survey_answers", p.ID, code, a)
		}
	case contract.TypeHospitalization:
		h, err := contract.DecodeHospitalization(data)
		if err != nil {
			return err
		}
		pr.add("outcome_hospitalizations", p.ID, p.SiteID, h.ParticipantKey, h.EnrollmentYear, h.AgeBand, h.Model, h.BeforeCount, len(h.DuringMonths), h.MonthsEnrolled)
	case contract.TypeParticipation:
		pa, err := contract.DecodeParticipation(data)
		if err != nil {
			return err
		}
		o := pa.OutingsByStage
		pr.add("outcome_participation", p.ID, p.SiteID, pa.ParticipantKey, pa.EnrollmentYear, pa.AgeBand, pa.Model, pa.CohortKey, pa.ProgramMonth,
			pa.MeetingsHeld, pa.MeetingsAttended, pa.JournalsDue, pa.JournalsCompleted, pa.StipendSpentCents, pa.ReceiptsComplete, o[0], o[1], o[2], o[3])
	case contract.TypeCohortMonth:
		cm, err := contract.DecodeCohortMonth(data)
		if err != nil {
			return err
		}
		pr.add("outcome_cohort_months", p.ID, p.SiteID, cm.CohortKey, cm.Model, cm.StartYear, cm.ProgramMonth, cm.Members, cm.Pairs, cm.PairingChanges, cm.MeetingsHeld, cm.MeetingsOnTheme)
	}
	return nil
}

func (s *Store) projectIn(tx *gorm.DB, limit int) (int, error) {
	var pend []pendingRecord
	err := tx.Raw(`SELECT r.id, r.site_id, s.org_id, r.type, r.version, r.deleted, r.data
FROM records r JOIN sites s ON s.id = r.site_id WHERE r.projected = ? ORDER BY r.id LIMIT ?`, false, limit).Scan(&pend).Error
	if err != nil || len(pend) == 0 {
		return 0, err
	}
	ids := make([]string, len(pend))
	var done [][]any
	sites := map[string]struct{}{}
	pr := projection{rows: map[string][][]any{}}
	for i, p := range pend {
		ids[i] = p.ID
		sites[p.SiteID] = struct{}{}
		done = append(done, []any{p.ID, p.Version})
		if p.Deleted {
			continue // a tombstone: the record's rows go and none come back
		}
		if err := pr.addRecord(p); err != nil {
			// Validated at ingest; a record that no longer decodes is
			// logged and left out of reports rather than stopping them.
			s.Log.Error("projection: stored record does not decode", "record", p.ID, "type", p.Type, "err", err)
		}
	}
	siteIDs := make([]string, 0, len(sites))
	for id := range sites {
		siteIDs = append(siteIDs, id)
	}
	err = func() error {
		for start := 0; start < len(ids); start += 500 {
			part := ids[start:min(start+500, len(ids))]
			for i := len(projectionTables) - 1; i >= 0; i-- {
				if err := tx.Exec("DELETE FROM "+projectionTables[i].name+" WHERE record_id IN ?", part).Error; err != nil {
					return err
				}
			}
		}
		for _, t := range projectionTables {
			if err := dbx.ExecRows(tx, "INSERT INTO "+t.name+" ("+t.cols+") VALUES ", "", "", pr.rows[t.name], 0); err != nil {
				return err
			}
		}
		if err := outcomes.RefreshRollups(tx, siteIDs); err != nil {
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
