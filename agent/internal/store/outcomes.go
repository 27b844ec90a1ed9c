package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/program"
)

// Kinds of computed records in upstream_ids.
const (
	kindHospitalization = contract.TypeHospitalization
	kindParticipation   = contract.TypeParticipation
	kindCohortMonth     = contract.TypeCohortMonth
)

// upstreamID returns the record id of a computed record (a subject's
// record of a kind, per program month or 0), made on first use.
func upstreamID(tx *gorm.DB, now time.Time, subject, kind string, month int) (string, error) {
	var id string
	if err := tx.Raw("SELECT record_id FROM upstream_ids WHERE subject_id = ? AND kind = ? AND program_month = ?", subject, kind, month).Scan(&id).Error; err != nil || id != "" {
		return id, err
	}
	id = deident.NewRecordID(now)
	return id, tx.Exec("INSERT INTO upstream_ids (subject_id, kind, program_month, record_id) VALUES (?,?,?,?)", subject, kind, month, id).Error
}

// dropUpstream tombstones a subject's computed records of a kind except
// those of the months kept.
func dropUpstream(tx *gorm.DB, now time.Time, subject, kind string, keep map[int]bool) error {
	var rows []struct {
		ProgramMonth int
		RecordID     string
	}
	if err := tx.Raw("SELECT program_month, record_id FROM upstream_ids WHERE subject_id = ? AND kind = ?", subject, kind).Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		if keep[r.ProgramMonth] {
			continue
		}
		if err := putTombstone(tx, now, r.RecordID, kind); err != nil {
			return err
		}
	}
	return nil
}

// putComputed writes a computed record after checking it against the
// contract: a payload the hub would refuse is a bug here, never sent.
func putComputed(tx *gorm.DB, now time.Time, subject, kind string, month int, payload interface{ Validate() error }) error {
	if err := payload.Validate(); err != nil {
		return fmt.Errorf("de-identified %s of month %d: %w", kind, month, err)
	}
	id, err := upstreamID(tx, now, subject, kind, month)
	if err != nil {
		return err
	}
	return putRecord(tx, now, id, kind, payload)
}

// refreshOutcomes decides again how the site's participants are described
// upstream (siteDisclosure) and recomputes the de-identified records of
// every participant whose description changed, and of the participants and
// cohorts a change touched, in the caller's transaction. It is for the
// changes that can alter a description: a participant added, corrected or
// withdrawn, a membership, a release, a new month.
func (s *outcomeStore) refreshOutcomes(tx *gorm.DB, participants, cohorts []string) error {
	day := s.st.Outbox.upstreamDay()
	site, want, err := s.st.Outbox.siteDisclosure(tx, day)
	if err != nil {
		return err
	}
	changed, err := changedDisclosures(tx, want)
	if err != nil {
		return err
	}
	return s.refreshAll(tx, slices.Concat(participants, changed), cohorts, site, day)
}

// refreshRecords recomputes the de-identified records of the participants
// and cohorts a change touched, each participant described as their
// participant record upstream says (describedAs), in the caller's
// transaction. It is for changes that cannot alter a description (an
// interview, a meeting, a journal, an expense, an outing, a
// hospitalization).
func (s *outcomeStore) refreshRecords(tx *gorm.DB, participants, cohorts []string) error {
	site, err := describedAs(tx, participants)
	if err != nil {
		return err
	}
	return s.refreshAll(tx, participants, cohorts, site, s.st.Outbox.upstreamDay())
}

func (s *outcomeStore) refreshAll(tx *gorm.DB, participants, cohorts []string, site map[string]deident.Disclosure, day time.Time) error {
	seen := map[string]bool{}
	for _, id := range participants {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if err := s.st.Participants.refreshPerson(tx, id, site, day); err != nil {
			return err
		}
	}
	for _, id := range cohorts {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if err := s.refreshCohort(tx, id, day); err != nil {
			return err
		}
	}
	return nil
}

// cohortsOf lists the cohorts a participant has ever been in.
func cohortsOf(tx *gorm.DB, participantID string) ([]string, error) {
	var ids []string
	err := tx.Model(&CohortMember{}).Where("participant_id = ?", participantID).Pluck("cohort_id", &ids).Error
	return ids, err
}

// monthsBegun is the number of program months upstream (calendar months
// from start's month, at most deident.ProgramYear) begun by a day; 0 when
// the day comes before start.
func monthsBegun(start, day time.Time) int {
	if day.Before(start) {
		return 0
	}
	return deident.MonthsBegun(start, day)
}

// pairingChangeReasons are the ends of a pair that change partners (a pair
// ended because someone left the program is not a pairing change).
var pairingChangeReasons = map[string]bool{"not_working_well": true, "different_progression": true, "other": true}

// refreshCohort recomputes a cohort's records per program month from its
// start to day (or its close, or the end of its year upstream). A
// withdrawn participant counts in none of its months, nor does any pair
// they were in: a withdrawal takes them out of every figure, not only of
// the months after it.
//
// As for participants, program months are calendar months from the month
// the cohort started (deident.CalendarMonth): members and pairs on the
// calendar month's last day, pairing changes and meetings in the whole
// calendar month. A window from the cohort's start day would tell the hub
// that day (the meetings of each window) and, in its member counts, on
// which side of it in a month each member joined or left.
func (s *outcomeStore) refreshCohort(tx *gorm.DB, cohortID string, day time.Time) error {
	var c Cohort
	if err := tx.First(&c, "id = ?", cohortID).Error; err != nil {
		return err
	}
	if c.SurrogateKey == "" {
		return fmt.Errorf("cohort %s has no surrogate key", c.ID)
	}
	rel, err := s.st.releaseIn(tx)
	if err != nil {
		return err
	}
	now := s.st.Now()
	start, _ := parseDate(c.StartDate)
	end := day
	if closed, ok := parseDate(c.ClosedOn); ok && closed.Before(end) {
		end = closed
	}
	last := monthsBegun(start, end)
	var members []struct{ JoinedOn, LeftOn string }
	if err := tx.Raw(`SELECT m.joined_on, m.left_on FROM cohort_members m JOIN participants p ON p.id = m.participant_id
WHERE m.cohort_id = ? AND p.withdrawn_at IS NULL`, c.ID).Scan(&members).Error; err != nil {
		return err
	}
	var pairs []struct{ FormedOn, EndedOn, EndReason string }
	if err := tx.Raw(`SELECT formed_on, ended_on, end_reason FROM pairs r WHERE cohort_id = ? AND NOT EXISTS (
SELECT 1 FROM pair_members pm JOIN participants p ON p.id = pm.participant_id WHERE pm.pair_id = r.id AND p.withdrawn_at IS NOT NULL)`, c.ID).Scan(&pairs).Error; err != nil {
		return err
	}
	var meetings []struct {
		HeldOn, Theme, LessonPlan string
	}
	if err := tx.Raw("SELECT held_on, theme, lesson_plan FROM meetings WHERE cohort_id = ?", c.ID).Scan(&meetings).Error; err != nil {
		return err
	}
	keep := map[int]bool{}
	for k := 1; k <= last; k++ {
		first, lastDay := deident.CalendarMonthSpan(start, k)
		if day.Before(lastDay) {
			lastDay = day
		}
		f, l := first.Format(dateLayout), lastDay.Format(dateLayout)
		r := contract.CohortMonth{CohortKey: c.SurrogateKey, Model: c.Model, StartYear: start.Year(), ProgramMonth: k}
		for _, m := range members {
			if m.JoinedOn <= l && (m.LeftOn == "" || m.LeftOn > l) {
				r.Members++
			}
		}
		for _, p := range pairs {
			if p.FormedOn <= l && (p.EndedOn == "" || p.EndedOn > l) {
				r.Pairs++
			}
			if p.EndedOn >= f && p.EndedOn <= l && pairingChangeReasons[p.EndReason] {
				r.PairingChanges++
			}
		}
		for _, m := range meetings {
			if m.HeldOn < f || m.HeldOn > l {
				continue
			}
			r.MeetingsHeld++
			if lp, ok := rel.LessonPlan(m.LessonPlan); ok && lp.Theme == m.Theme {
				r.MeetingsOnTheme++
			}
		}
		// Pairs of members who left or withdrew may still be open: the
		// count never claims more pairs than the members can form.
		r.Members, r.MeetingsHeld, r.PairingChanges = min(r.Members, 1000), min(r.MeetingsHeld, 1000), min(r.PairingChanges, 1000)
		r.Pairs = min(r.Pairs, (r.Members+1)/2)
		r.MeetingsOnTheme = min(r.MeetingsOnTheme, r.MeetingsHeld)
		keep[k] = true
		if err := putComputed(tx, now, c.ID, kindCohortMonth, k, r); err != nil {
			return err
		}
	}
	return dropUpstream(tx, now, c.ID, kindCohortMonth, keep)
}

// RefreshOutcomes recomputes every computed record of the site: the day
// records are computed as of moves on the first of each month without any
// change at the site, so the sync worker calls it once a day. Records that
// did not change are not written again, so they change on the first of a
// month, for every participant at once, and on no other day.
func (s *outcomeStore) RefreshOutcomes(ctx context.Context) error {
	var ps, cs []string
	db := s.st.DB.WithContext(ctx)
	if err := db.Model(&Participant{}).Where("withdrawn_at IS NULL").Order("id").Pluck("id", &ps).Error; err != nil {
		return err
	}
	if err := db.Model(&Cohort{}).Order("id").Pluck("id", &cs).Error; err != nil {
		return err
	}
	// First the site's description of its participants as of the day,
	// then everyone's records in small transactions: the site keeps
	// working while this runs.
	if err := db.Transaction(func(tx *gorm.DB) error { return s.refreshOutcomes(tx, nil, nil) }); err != nil {
		return err
	}
	for i := 0; i < len(ps); i += 50 {
		chunk := ps[i:min(i+50, len(ps))]
		if err := db.Transaction(func(tx *gorm.DB) error { return s.refreshRecords(tx, chunk, nil) }); err != nil {
			return err
		}
	}
	return db.Transaction(func(tx *gorm.DB) error { return s.refreshRecords(tx, nil, cs) })
}

// POMSideBySide is a participant's three interviews side by side: one row
// per indicator of the release the site runs.
type POMSideBySide struct {
	Timepoints []string
	Dates      map[string]string
	Rows       []POMRow
	// Present counts the indicators present at each timepoint.
	Present map[string]int
}

// POMRow is one indicator across the timepoints; Change compares the
// first interview with the latest one that has the indicator.
type POMRow struct {
	Item   program.Item
	Cells  []string // "present", "not present", "not asked", "declined" or "" per timepoint
	Change string   // "gained", "lost", "same" or ""
}

// SideBySide lays out a participant's interviews against the indicators of
// a release.
func SideBySide(rel program.Release, ivs map[string]POMInterview) POMSideBySide {
	v := POMSideBySide{Timepoints: contract.Timepoints, Dates: map[string]string{}, Present: map[string]int{}}
	answers, left := map[string]map[string]bool{}, map[string]map[string]string{}
	for tp, iv := range ivs {
		answers[tp], left[tp] = iv.AnswersOf(), iv.UnansweredOf()
		v.Dates[tp] = iv.InterviewedOn
	}
	for _, it := range rel.Asked() {
		row := POMRow{Item: it}
		var seen []bool
		for _, tp := range v.Timepoints {
			a, ok := answers[tp][it.Code]
			switch {
			case !ok:
				row.Cells = append(row.Cells, strings.ReplaceAll(left[tp][it.Code], "_", " "))
				continue
			case a:
				row.Cells = append(row.Cells, "present")
				v.Present[tp]++
			default:
				row.Cells = append(row.Cells, "not present")
			}
			seen = append(seen, a)
		}
		if len(seen) >= 2 {
			switch first, latest := seen[0], seen[len(seen)-1]; {
			case !first && latest:
				row.Change = "gained"
			case first && !latest:
				row.Change = "lost"
			default:
				row.Change = "same"
			}
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}
