package outcomes

import (
	"encoding/json"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
)

// idChunk bounds the ids of one statement (below both databases' limits
// on parameters).
const idChunk = 5000

// Affected are the projected rows a batch of records replaces or
// recounts, and the records among the batch's that have projected rows.
type Affected struct {
	Rows
	Projected map[string]bool
}

// recordTables is the projected table of each record type (a
// hospitalization's service changes go with it). A record keeps its type
// from version to version (the hub refuses another), so its current rows
// are in its type's table.
var recordTables = map[string]string{
	contract.TypePOMInterview: "pom_interviews", contract.TypeParticipant: "outcome_participants", contract.TypeSurveyResponse: "outcome_surveys",
	contract.TypeHospitalization: "outcome_hospitalizations", contract.TypeParticipation: "outcome_participation", contract.TypeCohortMonth: "outcome_cohort_months",
}

// LoadAffected reads in tx the projected rows a batch can change: those of
// its records (ids, of the types in types) and, in the tables keyed by
// participant, every row of the participants in keys (those of the batch's
// new rows) and of the participants its records' current rows belong to.
func LoadAffected(tx *gorm.DB, ids, types []string, keys [][2]string) (*Affected, error) {
	a := &Affected{Projected: map[string]bool{}}
	l := &loader{tx: tx, ids: map[string][]string{}, batch: make(map[string]bool, len(ids)), keys: map[[2]string]bool{}, seen: map[string]bool{}, a: a}
	for i, id := range ids {
		l.batch[id] = true
		if t := recordTables[types[i]]; t != "" {
			l.ids[t] = append(l.ids[t], id)
		}
	}
	for _, k := range keys {
		l.keys[k] = true
	}
	// A record's current row may belong to a participant the batch does
	// not name (a correction moved it): its participant is read in a
	// second round.
	more, err := l.participantRows(true)
	if err == nil && len(more) > 0 {
		l.keys = more
		_, err = l.participantRows(false)
	}
	if err != nil {
		return nil, err
	}
	if err := l.recordRows(); err != nil {
		return nil, err
	}
	return a, nil
}

type loader struct {
	tx    *gorm.DB
	ids   map[string][]string // the batch's records, by projected table
	batch map[string]bool     // the batch's records
	keys  map[[2]string]bool  // the participants of this round
	seen  map[string]bool     // the records read
	a     *Affected
}

// participantCols are the columns read of each table keyed by participant;
// the first five of each are record_id, site_id, participant_key, model,
// enrollment_year.
var participantCols = map[string]string{
	"outcome_participants":     "record_id, site_id, participant_key, model, enrollment_year",
	"pom_interviews":           "record_id, site_id, participant_key, model, enrollment_year, timepoint, program_month, answers",
	"outcome_hospitalizations": "record_id, site_id, participant_key, model, enrollment_year, before_count, during_count, months_enrolled",
	"outcome_participation": "record_id, site_id, participant_key, model, enrollment_year, program_month, meetings_held, meetings_attended, " +
		"journals_due, journals_completed, stipend_spent_cents, receipts_complete, outings1, outings2, outings3, outings4",
}

// participantRows reads the rows of the round's participants (and, with
// byID, of the batch's records) from the tables keyed by participant, and
// returns the participants of the rows it found that it was not asked
// for.
func (l *loader) participantRows(byID bool) (map[[2]string]bool, error) {
	sites, pks := map[string]bool{}, map[string]bool{}
	for k := range l.keys {
		sites[k[0]], pks[k[1]] = true, true
	}
	more := map[[2]string]bool{}
	for _, t := range []string{"outcome_participants", "pom_interviews", "outcome_hospitalizations", "outcome_participation"} {
		// Participant keys are random: the rows of any site with one of
		// the keys are few, and those of other participants are left out
		// below.
		var conds []string
		var args [][]any
		if byID {
			ids := l.ids[t]
			for start := 0; start < len(ids); start += idChunk {
				conds, args = append(conds, "record_id IN ?"), append(args, []any{ids[start:min(start+idChunk, len(ids))]})
			}
		}
		switch {
		case len(l.keys) == 0:
		case dbx.Dialect(l.tx) == dbx.Postgres:
			// The participants themselves, each found by the index on
			// (site_id, participant_key); a statement of its own, as an
			// OR with the records' ids would have the planner scan the
			// table.
			conds, args = append(conds, "(site_id, participant_key) IN (SELECT s, p FROM json_to_recordset(CAST(? AS json)) AS k(s text, p text))"),
				append(args, []any{pairsJSON(l.keys)})
		default:
			cond, arg := "site_id IN ? AND participant_key IN ?", []any{keysOf(sites), keysOf(pks)}
			if len(conds) > 0 { // one statement for both
				conds[0], args[0] = "("+cond+") OR "+conds[0], append(arg, args[0]...)
			} else {
				conds, args = append(conds, cond), append(args, arg)
			}
		}
		for i, cond := range conds {
			rows, err := l.tx.Raw("SELECT "+l.cols(t)+" FROM "+t+" WHERE "+cond, args[i]...).Rows()
			if err != nil {
				return nil, err
			}
			err = l.scan(t, rows, more)
			if err != nil {
				return nil, err
			}
		}
	}
	return more, nil
}

// cols are the columns read of t, the answers as text.
func (l *loader) cols(t string) string {
	c := participantCols[t]
	if t == "pom_interviews" && dbx.Dialect(l.tx) == dbx.Postgres {
		c = c[:len(c)-len("answers")] + "CAST(answers AS TEXT)"
	}
	return c
}

// rowScanner is the part of *sql.Rows scan uses.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
}

// scan adds the rows of t it has not read yet (those of the round's
// participants or of the batch's records) and notes the participants of
// batch records' rows that the round did not ask for.
func (l *loader) scan(t string, rows rowScanner, more map[[2]string]bool) error {
	defer rows.Close()
	for rows.Next() {
		var id, site, key, model string
		var year int
		head := []any{&id, &site, &key, &model, &year}
		var err error
		switch t {
		case "outcome_participants":
			err = rows.Scan(head...)
			if err == nil && l.take(id, site, key, more) {
				l.a.Participants = append(l.a.Participants, Participant{RecordID: id, SiteID: site, Key: key, Model: model, Year: year})
			}
		case "pom_interviews":
			i := Interview{}
			var answers string
			if err = rows.Scan(append(head, &i.Timepoint, &i.Month, &answers)...); err == nil && l.take(id, site, key, more) {
				i.RecordID, i.SiteID, i.Key, i.Model, i.Year = id, site, key, model, year
				err = json.Unmarshal([]byte(answers), &i.Answers)
				l.a.Interviews = append(l.a.Interviews, i)
			}
		case "outcome_hospitalizations":
			h := Hospitalization{}
			if err = rows.Scan(append(head, &h.Before, &h.During, &h.Months)...); err == nil && l.take(id, site, key, more) {
				h.RecordID, h.SiteID, h.Key, h.Model, h.Year = id, site, key, model, year
				l.a.Hospitalizations = append(l.a.Hospitalizations, h)
			}
		default:
			x := Participation{}
			o := &x.Outings
			if err = rows.Scan(append(head, &x.Month, &x.Held, &x.Attended, &x.Due, &x.Completed, &x.Stipend, &x.Receipts, &o[0], &o[1], &o[2], &o[3])...); err == nil &&
				l.take(id, site, key, more) {
				x.RecordID, x.SiteID, x.Key, x.Model, x.Year = id, site, key, model, year
				l.a.Participation = append(l.a.Participation, x)
			}
		}
		if err != nil {
			return err
		}
	}
	return rows.Err()
}

// take says whether a row read is one to keep: one not read yet, of a
// participant of the round or of a batch record (whose participant, when
// the round did not ask for it, goes in more).
func (l *loader) take(id, site, key string, more map[[2]string]bool) bool {
	k := [2]string{site, key}
	if l.seen[id] || !l.keys[k] && !l.batch[id] {
		return false
	}
	l.seen[id] = true
	if l.batch[id] {
		l.a.Projected[id] = true
	}
	if !l.keys[k] {
		more[k] = true
	}
	return true
}

// recordRows reads the rows of the batch's records in the tables not keyed
// by participant (surveys, cohort months) and the service changes of the
// hospitalizations read.
func (l *loader) recordRows() error {
	var hosp []string
	byID := map[string]*Hospitalization{}
	for i := range l.a.Hospitalizations {
		h := &l.a.Hospitalizations[i]
		hosp, byID[h.RecordID] = append(hosp, h.RecordID), h
	}
	answers := "answers"
	if dbx.Dialect(l.tx) == dbx.Postgres {
		answers = "CAST(answers AS TEXT)"
	}
	ids := l.ids["outcome_surveys"]
	for start := 0; start < len(ids); start += idChunk {
		var surveys []struct {
			RecordID, SiteID, Model string
			Year                    int
			Answers                 string
		}
		err := l.tx.Raw("SELECT record_id, site_id, model, year, "+answers+" AS answers FROM outcome_surveys WHERE record_id IN ?", ids[start:min(start+idChunk, len(ids))]).
			Scan(&surveys).Error
		if err != nil {
			return err
		}
		for _, s := range surveys {
			sv := Survey{RecordID: s.RecordID, SiteID: s.SiteID, Model: s.Model, Year: s.Year}
			if err := json.Unmarshal([]byte(s.Answers), &sv.Answers); err != nil {
				return err
			}
			l.a.Surveys, l.a.Projected[s.RecordID] = append(l.a.Surveys, sv), true
		}
	}
	ids = l.ids["outcome_cohort_months"]
	for start := 0; start < len(ids); start += idChunk {
		var cohorts []CohortMonth
		err := l.tx.Raw("SELECT record_id, site_id, model, start_year AS year, members, meetings_held AS held, meetings_on_theme AS on_theme FROM outcome_cohort_months WHERE record_id IN ?",
			ids[start:min(start+idChunk, len(ids))]).Scan(&cohorts).Error
		if err != nil {
			return err
		}
		for _, c := range cohorts {
			l.a.Projected[c.RecordID] = true
		}
		l.a.CohortMonths = append(l.a.CohortMonths, cohorts...)
	}
	for start := 0; start < len(hosp); start += idChunk {
		var changes []struct{ RecordID, Service, Kind string }
		if err := l.tx.Raw("SELECT record_id, service, kind FROM outcome_service_changes WHERE record_id IN ?", hosp[start:min(start+idChunk, len(hosp))]).Scan(&changes).Error; err != nil {
			return err
		}
		for _, c := range changes {
			h := byID[c.RecordID]
			h.Services = append(h.Services, [2]string{c.Service, c.Kind})
		}
	}
	return nil
}

// pairsJSON is participants (site_id, participant_key) as a JSON array of
// objects {"s": site_id, "p": participant_key}.
func pairsJSON(keys map[[2]string]bool) string {
	b := make([]byte, 0, 90*len(keys)+2)
	b = append(b, '[')
	for k := range keys {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(contract.AppendString(append(b, `{"s":`...), k[0]), `,"p":`...)
		b = append(contract.AppendString(b, k[1]), '}')
	}
	return string(append(b, ']'))
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// After is the rows of a as a batch leaves them: without the rows of the
// batch's records (ids), with the batch's new rows.
func (a *Affected) After(ids map[string]bool, add *Rows) *Rows {
	return &Rows{
		Interviews:       replace(a.Interviews, ids, add.Interviews),
		Participants:     replace(a.Participants, ids, add.Participants),
		Surveys:          replace(a.Surveys, ids, add.Surveys),
		Hospitalizations: replace(a.Hospitalizations, ids, add.Hospitalizations),
		Participation:    replace(a.Participation, ids, add.Participation),
		CohortMonths:     replace(a.CohortMonths, ids, add.CohortMonths),
	}
}

// replace is rows without those of the records in ids, then add.
func replace[T interface{ recordID() string }](rows []T, ids map[string]bool, add []T) []T {
	out := make([]T, 0, len(rows)+len(add))
	for _, r := range rows {
		if !ids[r.recordID()] {
			out = append(out, r)
		}
	}
	return append(out, add...)
}

func (i Interview) recordID() string       { return i.RecordID }
func (p Participant) recordID() string     { return p.RecordID }
func (s Survey) recordID() string          { return s.RecordID }
func (h Hospitalization) recordID() string { return h.RecordID }
func (x Participation) recordID() string   { return x.RecordID }
func (c CohortMonth) recordID() string     { return c.RecordID }
