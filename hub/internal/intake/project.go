package intake

import (
	"context"
	"math"
	"runtime"
	"sync"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
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
	Xact    int64
}

// projectLock is the PostgreSQL advisory lock key of a projection pass,
// taken with the hash of the current schema (hubs in other schemas of one
// database do not block each other).
const projectLock int32 = 74_120_192

// ProjectPending folds the next records after the projector's watermark
// (up to limit) into the reporting tables, moves the rollups by the
// difference and the watermark past them, and returns how many it handled.
// Each record is projected as its current version; a version stored later
// comes after the watermark again and is projected then.
//
// On PostgreSQL a record is read once every transaction that began before
// its own has ended (store.RecordMark). When the records it could not read
// yet were all that was left, it waits a little (settleWait) for those
// transactions and goes on. Each pass is a transaction holding an advisory
// lock: with several hub replicas, one projects while the others skip (and
// return 0). After a pass, the tables that have doubled since the planner
// last saw them are analyzed (refreshStats).
func (s *Store) ProjectPending(ctx context.Context, limit int) (int, error) {
	handled := 0
	for handled < limit {
		n, unsettled, err := s.projectPass(ctx, limit-handled)
		handled += n
		if err == nil && n > 0 {
			err = s.refreshStats(ctx)
		}
		if err != nil || n == limit || unsettled == 0 {
			return handled, err
		}
		if settled, err := s.awaitSettled(ctx, unsettled); err != nil || !settled {
			return handled, err
		}
	}
	return handled, nil
}

// projectPass is one transaction of ProjectPending. unsettled is, when it
// read fewer than limit, the highest mark of the records it could not read
// yet (0: none).
func (s *Store) projectPass(ctx context.Context, limit int) (handled int, unsettled int64, err error) {
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.Dialect() == dbx.Postgres {
			var got bool
			if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?, hashtext(current_schema()))", projectLock).Scan(&got).Error; err != nil || !got {
				return err
			}
			// The pass's commit does not wait for its WAL to reach the
			// disk: a crash may lose the last passes, and then their
			// watermark with them, and the records are projected again.
			// Nothing else is in the transaction to lose.
			if err := tx.Exec("SET LOCAL synchronous_commit = off").Error; err != nil {
				return err
			}
		}
		var bound int64
		var err error
		if handled, bound, err = s.projectIn(tx, limit); err != nil || handled == limit || s.Dialect() != dbx.Postgres {
			return err
		}
		unsettled, err = unsettledMark(tx, bound)
		return err
	})
	return handled, unsettled, err
}

// projection holds the reporting rows of a batch of records, per table
// as they are inserted, and as the rollups read them (set).
type projection struct {
	rows map[string][][]any
	set  outcomes.Rows
	keys [][2]string // the participants (site_id, participant_key) of set
}

// projectionTables are the tables a record projects into, each with its
// columns; every one is keyed by record_id, so a record's rows are replaced
// or removed with it.
var projectionTables = []struct{ name, cols string }{
	{"pom_interviews", "record_id, site_id, org_id, participant_key, timepoint, enrollment_year, age_band, program_month, release, model, answers"},
	{"outcome_participants", "record_id, site_id, participant_key, enrollment_year, age_band, model"},
	{"outcome_surveys", "record_id, site_id, year, timepoint, model, release, answers"},
	{"outcome_hospitalizations", "record_id, site_id, participant_key, enrollment_year, age_band, model, before_count, during_count, months_enrolled"},
	{"outcome_service_changes", "record_id, site_id, participant_key, service, kind"},
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
		ans := make(map[string]int, len(iv.Answers))
		for code, present := range iv.Answers {
			if present {
				ans[code] = 1
			} else {
				ans[code] = 0
			}
		}
		pr.keys = append(pr.keys, [2]string{p.SiteID, iv.ParticipantKey})
		pr.set.Interviews = append(pr.set.Interviews, outcomes.Interview{RecordID: p.ID, SiteID: p.SiteID, Key: iv.ParticipantKey, Timepoint: iv.Timepoint,
			Model: iv.Model, Year: iv.EnrollmentYear, Month: iv.ProgramMonth, Answers: ans})
		pr.add("pom_interviews", p.ID, p.SiteID, p.OrgID, iv.ParticipantKey, iv.Timepoint, iv.EnrollmentYear, iv.AgeBand, iv.ProgramMonth, iv.Release, iv.Model, outcomes.AnswersJSON(ans))
	case contract.TypeParticipant:
		pt, err := contract.DecodeParticipant(data)
		if err != nil {
			return err
		}
		pr.keys = append(pr.keys, [2]string{p.SiteID, pt.Key})
		pr.set.Participants = append(pr.set.Participants, outcomes.Participant{RecordID: p.ID, SiteID: p.SiteID, Key: pt.Key, Model: pt.Model, Year: pt.EnrollmentYear})
		pr.add("outcome_participants", p.ID, p.SiteID, pt.Key, pt.EnrollmentYear, pt.AgeBand, pt.Model)
	case contract.TypeSurveyResponse:
		sv, err := contract.DecodeSurveyResponse(data)
		if err != nil {
			return err
		}
		pr.set.Surveys = append(pr.set.Surveys, outcomes.Survey{RecordID: p.ID, SiteID: p.SiteID, Model: sv.Model, Year: sv.Year, Answers: sv.Answers})
		pr.add("outcome_surveys", p.ID, p.SiteID, sv.Year, sv.Timepoint, sv.Model, sv.Release, outcomes.AnswersJSON(sv.Answers))
	case contract.TypeHospitalization:
		h, err := contract.DecodeHospitalization(data)
		if err != nil {
			return err
		}
		pr.keys = append(pr.keys, [2]string{p.SiteID, h.ParticipantKey})
		pr.add("outcome_hospitalizations", p.ID, p.SiteID, h.ParticipantKey, h.EnrollmentYear, h.AgeBand, h.Model, h.BeforeCount, len(h.DuringMonths), h.MonthsEnrolled)
		row := outcomes.Hospitalization{RecordID: p.ID, SiteID: p.SiteID, Key: h.ParticipantKey, Model: h.Model, Year: h.EnrollmentYear,
			Before: h.BeforeCount, During: len(h.DuringMonths), Months: h.MonthsEnrolled}
		for _, sc := range h.ServiceChanges {
			pr.add("outcome_service_changes", p.ID, p.SiteID, h.ParticipantKey, sc.Service, sc.Change)
			row.Services = append(row.Services, [2]string{sc.Service, sc.Change})
		}
		pr.set.Hospitalizations = append(pr.set.Hospitalizations, row)
	case contract.TypeParticipation:
		pa, err := contract.DecodeParticipation(data)
		if err != nil {
			return err
		}
		o := pa.OutingsByStage
		pr.keys = append(pr.keys, [2]string{p.SiteID, pa.ParticipantKey})
		pr.set.Participation = append(pr.set.Participation, outcomes.Participation{RecordID: p.ID, SiteID: p.SiteID, Key: pa.ParticipantKey, Model: pa.Model,
			Year: pa.EnrollmentYear, Month: pa.ProgramMonth, Held: pa.MeetingsHeld, Attended: pa.MeetingsAttended, Due: pa.JournalsDue,
			Completed: pa.JournalsCompleted, Stipend: pa.StipendSpentCents, Receipts: pa.ReceiptsComplete, Outings: [4]int(o)})
		pr.add("outcome_participation", p.ID, p.SiteID, pa.ParticipantKey, pa.EnrollmentYear, pa.AgeBand, pa.Model, pa.CohortKey, pa.ProgramMonth,
			pa.MeetingsHeld, pa.MeetingsAttended, pa.JournalsDue, pa.JournalsCompleted, pa.StipendSpentCents, pa.ReceiptsComplete, o[0], o[1], o[2], o[3])
	case contract.TypeCohortMonth:
		cm, err := contract.DecodeCohortMonth(data)
		if err != nil {
			return err
		}
		pr.set.CohortMonths = append(pr.set.CohortMonths, outcomes.CohortMonth{RecordID: p.ID, SiteID: p.SiteID, Model: cm.Model, Year: cm.StartYear,
			Members: cm.Members, Held: cm.MeetingsHeld, OnTheme: cm.MeetingsOnTheme})
		pr.add("outcome_cohort_months", p.ID, p.SiteID, cm.CohortKey, cm.Model, cm.StartYear, cm.ProgramMonth, cm.Members, cm.Pairs, cm.PairingChanges, cm.MeetingsHeld, cm.MeetingsOnTheme)
	}
	return nil
}

// projectIn projects the next records after the watermark in tx, and
// returns how many and the settled bound it read below.
func (s *Store) projectIn(tx *gorm.DB, limit int) (int, int64, error) {
	mark, err := store.ProjectedMark(tx)
	if err != nil {
		return 0, 0, err
	}
	// On PostgreSQL only the marks below the settled bound are read, by a
	// statement after the one that found it (store.RecordMark).
	bound := int64(math.MaxInt64)
	if s.Dialect() == dbx.Postgres {
		if err := tx.Raw(store.SettledBound).Scan(&bound).Error; err != nil {
			return 0, bound, err
		}
	}
	pend, err := pendingRecords(tx, mark, bound, limit)
	if err != nil || len(pend) == 0 {
		return 0, bound, err
	}
	ids, types := make([]string, len(pend)), make([]string, len(pend))
	batch := make(map[string]bool, len(pend))
	for i, p := range pend {
		ids[i], types[i], batch[p.ID] = p.ID, p.Type, true
	}
	pr := s.decode(pend)
	// The rows the batch replaces, and every other row of the
	// participants it touches: the rollups move by what they add up to
	// after the batch less before.
	before, err := outcomes.LoadAffected(tx, ids, types, pr.keys)
	if err != nil {
		return 0, bound, err
	}
	// The delta is summed (in Go) while the database replaces the rows
	// (both only read before and pr).
	delta := make(chan *outcomes.Delta, 1)
	go func() { delta <- outcomes.NewDelta(&before.Rows, before.After(batch, &pr.set)) }()
	if err := replaceRows(tx, before.Projected, &pr); err != nil {
		<-delta
		return 0, bound, err
	}
	if err := (<-delta).Apply(tx); err != nil {
		return 0, bound, err
	}
	last := pend[len(pend)-1]
	return len(pend), bound, store.SetProjectedMark(tx, store.RecordMark{Xact: last.Xact, RecordID: last.ID})
}

// pendingRecords reads the next records after mark, below bound, up to
// limit, in mark order (scanned directly: gorm's reflection was a tenth
// of a pass's time in Go).
func pendingRecords(tx *gorm.DB, mark store.RecordMark, bound int64, limit int) ([]pendingRecord, error) {
	rows, err := tx.Raw(`SELECT r.id, r.site_id, s.org_id, r.type, r.version, r.deleted, r.data, r.xact
FROM records r JOIN sites s ON s.id = r.site_id WHERE `+store.AfterMark("r")+` AND r.xact < ? ORDER BY r.xact, r.id LIMIT ?`, mark.Xact, mark.RecordID, bound, limit).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pend := make([]pendingRecord, 0, min(limit, 4096))
	for rows.Next() {
		var p pendingRecord
		if err := rows.Scan(&p.ID, &p.SiteID, &p.OrgID, &p.Type, &p.Version, &p.Deleted, &p.Data, &p.Xact); err != nil {
			return nil, err
		}
		pend = append(pend, p)
	}
	return pend, rows.Err()
}

// decodeShare is the fewest records decoding is split for.
const decodeShare = 500

// decode decodes the records of a batch into their rows, in parts on
// several goroutines when the batch is large, and joins the parts in
// the batch's order.
func (s *Store) decode(pend []pendingRecord) projection {
	parts := max(1, min(runtime.GOMAXPROCS(0), len(pend)/decodeShare))
	prs := make([]projection, parts)
	var wg sync.WaitGroup
	for k := range prs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := projection{rows: map[string][][]any{}}
			for _, p := range pend[k*len(pend)/parts : (k+1)*len(pend)/parts] {
				if p.Deleted {
					continue // a tombstone: the record's rows go and none come back
				}
				if err := pr.addRecord(p); err != nil {
					// Validated at ingest; a record that no longer decodes
					// is logged and left out of reports rather than
					// stopping them.
					s.Log.Error("projection: stored record does not decode", "record", p.ID, "type", p.Type, "err", err)
				}
			}
			prs[k] = pr
		}()
	}
	wg.Wait()
	pr := prs[0]
	for _, q := range prs[1:] {
		for t, rows := range q.rows {
			pr.rows[t] = append(pr.rows[t], rows...)
		}
		pr.keys = append(pr.keys, q.keys...)
		pr.set.Interviews = append(pr.set.Interviews, q.set.Interviews...)
		pr.set.Participants = append(pr.set.Participants, q.set.Participants...)
		pr.set.Surveys = append(pr.set.Surveys, q.set.Surveys...)
		pr.set.Hospitalizations = append(pr.set.Hospitalizations, q.set.Hospitalizations...)
		pr.set.Participation = append(pr.set.Participation, q.set.Participation...)
		pr.set.CohortMonths = append(pr.set.CohortMonths, q.set.CohortMonths...)
	}
	return pr
}

// replaceRows deletes the projected rows of the batch's records that have
// some (projected) and inserts the batch's new rows.
func replaceRows(tx *gorm.DB, projected map[string]bool, pr *projection) error {
	if len(projected) > 0 {
		ids := make([]string, 0, len(projected))
		for id := range projected {
			ids = append(ids, id)
		}
		for i := len(projectionTables) - 1; i >= 0; i-- {
			for start := 0; start < len(ids); start += 5000 {
				if err := tx.Exec("DELETE FROM "+projectionTables[i].name+" WHERE record_id IN ?", ids[start:min(start+5000, len(ids))]).Error; err != nil {
					return err
				}
			}
		}
	}
	for _, t := range projectionTables {
		if err := outcomes.InsertRows(tx, t.name, t.cols, pr.rows[t.name], ""); err != nil {
			return err
		}
	}
	return nil
}
