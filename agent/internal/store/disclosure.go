package store

import (
	"encoding/json"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
)

// What leaves the site about its participants is decided here, for the
// whole site at once, by three rules (docs/privacy.md says why):
//
//   - Time. Every upstream record is computed as of one day, the same for
//     every participant: the last day of the previous month (upstreamDay).
//     Facts dated after it (a meeting, an interview, a cohort membership, an
//     enrollment) wait for the first of the next month, and nothing changes
//     with the passing of a participant's own dates (enrollment
//     anniversary, birthday): only on the first of a month, for everyone.
//     A change the staff record about an earlier day, and a withdrawal,
//     leave at once.
//   - Months, not days. Every program month upstream is a calendar month
//     counted from the month of enrollment (or of a cohort's start), and
//     every count covers its whole calendar month (deident.CalendarMonth,
//     participationOf); the age band is the age on the last day of the
//     month of enrollment (deident.EnrollmentAge). So nothing upstream
//     depends on the day within the month a participant enrolled: records
//     of participants enrolled on different days of one month, with the
//     same activity, are the same but for their keys.
//   - Quasi-identifiers. The enrollment year, age band and model the hub
//     receives with a participant are shared by at least k participants of
//     the site (the release's smallest group, deident.Generalize).

// upstreamDay is the day every upstream record is computed as of: the last
// day of the previous month of the agent's day (UTC, like every "today" of
// the agent).
func (s *outboxStore) upstreamDay() time.Time {
	t := s.st.Pairs.today()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
}

// siteDisclosure decides how each participant of the site is described
// upstream as of day: every participant enrolled by then and not
// withdrawn, with the model of the cohort they were in on that day. Those
// it leaves out have nothing upstream. It also gives the participant
// record each one described should have upstream.
func (s *outboxStore) siteDisclosure(tx *gorm.DB, day time.Time) (map[string]deident.Disclosure, map[string]contract.Participant, error) {
	rel, err := s.st.releaseIn(tx)
	if err != nil {
		return nil, nil, err
	}
	models, err := modelsOn(tx, day)
	if err != nil {
		return nil, nil, err
	}
	rows, err := tx.Raw("SELECT id, surrogate_key, birth_date, enrolled_on FROM participants WHERE withdrawn_at IS NULL AND enrolled_on <= ? ORDER BY id", day.Format(dateLayout)).Rows()
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var people []deident.Person
	keys := map[string]string{}
	for rows.Next() {
		var id, key, b, e string
		if err := rows.Scan(&id, &key, &b, &e); err != nil {
			return nil, nil, err
		}
		birth, ok1 := parseDate(b)
		enrolled, ok2 := parseDate(e)
		if !ok1 || !ok2 {
			continue // never stored that way: validate refuses it
		}
		keys[id] = key
		people = append(people, deident.Person{ID: id, Year: enrolled.Year(), Age: deident.EnrollmentAge(birth, enrolled), Model: models[id]})
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	site := deident.Generalize(people, rel.MinGroup())
	want := make(map[string]contract.Participant, len(people))
	for _, p := range people {
		if d := site[p.ID]; !d.Withheld {
			want[p.ID] = contract.Participant{Key: keys[p.ID], EnrollmentYear: p.Year, AgeBand: d.Band, Model: d.Model}
		}
	}
	return site, want, nil
}

// modelsOn is the model of the cohort each participant was in on a day
// (the latest joined when memberships overlap); absent when in none.
func modelsOn(tx *gorm.DB, day time.Time) (map[string]string, error) {
	d := day.Format(dateLayout)
	var rows []struct{ ParticipantID, Model string }
	if err := tx.Raw(`SELECT m.participant_id, c.model FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
WHERE m.joined_on <= ? AND (m.left_on = '' OR m.left_on > ?) ORDER BY m.joined_on, c.id`, d, d).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ParticipantID] = r.Model
	}
	return out, nil
}

// describedAs is how each of some participants is described upstream now,
// as their participant record in the outbox says; absent when they have
// none (withheld, withdrawn or not yet sent).
func describedAs(tx *gorm.DB, ids []string) (map[string]deident.Disclosure, error) {
	out := map[string]deident.Disclosure{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct{ ID, Data string }
	if err := tx.Raw("SELECT id, data FROM sync_records WHERE id IN ? AND type = ? AND deleted = ?", ids, contract.TypeParticipant, false).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		var sent contract.Participant
		if err := json.Unmarshal([]byte(r.Data), &sent); err != nil {
			return nil, err
		}
		out[r.ID] = deident.Disclosure{Band: sent.AgeBand, Model: sent.Model}
	}
	return out, nil
}

// changedDisclosures lists the participants whose participant record in
// the outbox is not the one want says (or who have a live one and should
// have none, or the reverse): every record about them must be rewritten.
// It compares content hashes, which is all the outbox needs to tell.
func changedDisclosures(tx *gorm.DB, want map[string]contract.Participant) ([]string, error) {
	rows, err := tx.Raw("SELECT id, hash FROM sync_records WHERE type = ? AND deleted = ?", contract.TypeParticipant, false).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	live := map[string]bool{}
	for rows.Next() {
		var id, hash string
		if err := rows.Scan(&id, &hash); err != nil {
			return nil, err
		}
		live[id] = true
		p, ok := want[id]
		if !ok {
			out = append(out, id)
			continue
		}
		data, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if contract.HashRecord(contract.TypeParticipant, false, data) != hash {
			out = append(out, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for id := range want {
		if !live[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}
