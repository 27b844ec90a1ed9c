package store

import (
	"context"
	"slices"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/program"
)

// upstreamPerson is a participant as described upstream, and the day
// their records are computed as of.
type upstreamPerson struct {
	p        Participant
	enrolled time.Time
	band     string
	model    string
	day      time.Time
}

// participationOf computes a participant's records per program month as
// of pp.day, with the model and cohort of each month: a month has one when
// the participant was in a cohort in it or did something in it (a
// meeting, a journal, an expense, an outing).
//
// Program months are calendar months (deident.CalendarMonth): month 1 is
// the calendar month of enrollment, whatever its day, and every count
// covers its whole calendar month, so that no figure depends on the day
// the participant enrolled (or joined or left a cohort). Only the months
// of the program year upstream count (deident.ProgramYear), and only what
// is dated up to pp.day:
//
//   - meetings held: every meeting of a Peer Partners group the
//     participant was a member of on some day of the month, held in that
//     month, and every meeting with them on its attendance list (a Social
//     Explorations visit is with one participant); meetings attended:
//     those they were marked present at;
//   - journals due: every week (Monday to Sunday) whose Sunday falls in the
//     month, by pp.day; journals completed: those of them with an entry;
//   - stipend spent, receipts and outings: those dated in the month.
//
// A participant who enrolled late in a month therefore has the first
// month's meetings and journal weeks from before they enrolled among those
// held and due: their first month's rates read low.
func (s *outcomeStore) participationOf(tx *gorm.DB, pp upstreamPerson) (map[int]*contract.Participation, error) {
	rows, err := loadParticipation(tx, pp.p.ID)
	if err != nil {
		return nil, err
	}
	return rows.of(pp), nil
}

// participationRows are the records participationOf counts, of one
// participant or of every participant at once, read with a fixed number
// of queries whatever their number and grouped by participant (the
// Peer Partners groups' meetings by cohort).
type participationRows struct {
	memberships map[string][]membershipRow
	attendance  map[string][]attendanceRow
	groups      map[string][]groupMeeting // by cohort
	expenses    map[string][]expenseRow
	outings     map[string][]outingRow // their own, and the joint ones a partner recorded
	weeks       map[string][]string    // weeks with a journal entry
}

type membershipRow struct{ ParticipantID, CohortID, JoinedOn, LeftOn, Model, SurrogateKey string }

type attendanceRow struct {
	ParticipantID, MeetingID, HeldOn string
	Present                          bool
}

type groupMeeting struct{ ID, CohortID, HeldOn string }

type expenseRow struct {
	ParticipantID, SpentOn string
	AmountCents            int64
	Receipts               int
}

type outingRow struct {
	ParticipantID, PartnerID, OutingOn string
	Stage                              int
}

// loadParticipation reads the records participationOf counts of one
// participant, or of every participant when participantID is "".
func loadParticipation(tx *gorm.DB, participantID string) (participationRows, error) {
	r := participationRows{memberships: map[string][]membershipRow{}, attendance: map[string][]attendanceRow{}, groups: map[string][]groupMeeting{},
		expenses: map[string][]expenseRow{}, outings: map[string][]outingRow{}, weeks: map[string][]string{}}
	// only narrows a query to the participant, when there is one.
	only := func(q, cond string, args ...any) (string, []any) {
		if participantID == "" {
			return q, args
		}
		return q + " AND " + cond, append(args, participantID)
	}
	var ms []membershipRow
	q, args := only(`SELECT m.participant_id, m.cohort_id, m.joined_on, m.left_on, c.model, c.surrogate_key FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
WHERE 1 = 1`, "m.participant_id = ?")
	if err := tx.Raw(q+" ORDER BY m.participant_id, m.joined_on, c.surrogate_key", args...).Scan(&ms).Error; err != nil {
		return r, err
	}
	for _, m := range ms {
		r.memberships[m.ParticipantID] = append(r.memberships[m.ParticipantID], m)
	}
	var att []attendanceRow
	q, args = only(`SELECT a.participant_id, a.meeting_id, m.held_on, a.present FROM meeting_attendance a JOIN meetings m ON m.id = a.meeting_id WHERE 1 = 1`, "a.participant_id = ?")
	if err := tx.Raw(q, args...).Scan(&att).Error; err != nil {
		return r, err
	}
	for _, a := range att {
		r.attendance[a.ParticipantID] = append(r.attendance[a.ParticipantID], a)
	}
	var group []groupMeeting
	q, args = only(`SELECT m.id, m.cohort_id, m.held_on FROM meetings m JOIN cohorts c ON c.id = m.cohort_id WHERE c.model = ?`,
		"m.cohort_id IN (SELECT cohort_id FROM cohort_members WHERE participant_id = ?)", program.ModelPeerPartners)
	if err := tx.Raw(q, args...).Scan(&group).Error; err != nil {
		return r, err
	}
	for _, g := range group {
		r.groups[g.CohortID] = append(r.groups[g.CohortID], g)
	}
	var exps []expenseRow
	q, args = only(`SELECT e.participant_id, e.spent_on, e.amount_cents, (SELECT COUNT(*) FROM receipts r WHERE r.expense_id = e.id) AS receipts
FROM expenses e WHERE 1 = 1`, "e.participant_id = ?")
	if err := tx.Raw(q, args...).Scan(&exps).Error; err != nil {
		return r, err
	}
	for _, e := range exps {
		r.expenses[e.ParticipantID] = append(r.expenses[e.ParticipantID], e)
	}
	if err := r.loadOutings(tx, participantID); err != nil {
		return r, err
	}
	var weeks []struct{ ParticipantID, WeekStart string }
	q, args = only("SELECT participant_id, week_start FROM journal_entries WHERE 1 = 1", "participant_id = ?")
	if err := tx.Raw(q, args...).Scan(&weeks).Error; err != nil {
		return r, err
	}
	for _, w := range weeks {
		r.weeks[w.ParticipantID] = append(r.weeks[w.ParticipantID], w.WeekStart)
	}
	return r, nil
}

// loadOutings reads the outings, each counted for the participant who
// recorded it and, at a joint stage, for the partner it names.
func (r participationRows) loadOutings(tx *gorm.DB, participantID string) error {
	var outs []outingRow
	q := tx.Model(&Outing{}).Select("participant_id, partner_id, outing_on, stage")
	if participantID != "" {
		q = q.Where("participant_id = ? OR (partner_id = ? AND stage IN ?)", participantID, participantID, jointStages)
	}
	if err := q.Scan(&outs).Error; err != nil {
		return err
	}
	for _, o := range outs {
		r.outings[o.ParticipantID] = append(r.outings[o.ParticipantID], o)
		if o.PartnerID != "" && o.PartnerID != o.ParticipantID && slices.Contains(jointStages, o.Stage) {
			r.outings[o.PartnerID] = append(r.outings[o.PartnerID], o)
		}
	}
	return nil
}

// of counts a participant's records by program month (participationOf).
func (r participationRows) of(pp upstreamPerson) map[int]*contract.Participation {
	t := &tally{pp: pp, last: monthsBegun(pp.enrolled, pp.day), out: map[int]*contract.Participation{}}
	// Journals last: an entry makes a month have a record, and every month
	// with a record has its weeks due.
	id := pp.p.ID
	t.meetings(r.memberships[id], r.attendance[id], r.groups)
	t.expenses(r.expenses[id])
	t.outings(r.outings[id])
	t.journals(r.weeks[id])
	t.journalsDue()
	for _, m := range t.out {
		m.MeetingsHeld, m.MeetingsAttended = min(m.MeetingsHeld, 1000), min(m.MeetingsAttended, 1000)
		for i := range m.OutingsByStage {
			m.OutingsByStage[i] = min(m.OutingsByStage[i], 1000)
		}
	}
	return t.out
}

// tally is a participant's participation records by program month, as
// participationOf counts them.
type tally struct {
	pp   upstreamPerson
	last int // the last program month begun by pp.day
	out  map[int]*contract.Participation
}

// month is the record of program month k, made when first counted.
func (t *tally) month(k int) *contract.Participation {
	if t.out[k] == nil {
		t.out[k] = &contract.Participation{ParticipantKey: t.pp.p.SurrogateKey, EnrollmentYear: t.pp.enrolled.Year(), AgeBand: t.pp.band,
			ProgramMonth: k, OutingsByStage: make([]int, contract.OutingStages), ReceiptsComplete: true}
	}
	return t.out[k]
}

// monthOf is the program month of a day counted upstream, 0 for a day
// after the day counted to or outside the program year upstream.
func (t *tally) monthOf(day string) int {
	d, ok := parseDate(day)
	if !ok || d.After(t.pp.day) {
		return 0
	}
	if k, ok := deident.YearMonth(t.pp.enrolled, d); ok && k <= t.last {
		return k
	}
	return 0
}

// at is the record of the month of a day, nil for a day not counted.
func (t *tally) at(day string) *contract.Participation {
	if k := t.monthOf(day); k > 0 {
		return t.month(k)
	}
	return nil
}

// memberships gives each month the cohort (and its model) they were a
// member of, and returns memberOf[k], the cohorts they were a member of on
// some day of month k (a member from joined_on to the day before left_on).
func (t *tally) memberships(ms []membershipRow) map[int]map[string]bool {
	enrolled, asOf := t.pp.enrolled, t.pp.day
	memberOf := map[int]map[string]bool{}
	for k := 1; k <= t.last; k++ {
		first, lastDay := deident.CalendarMonthSpan(enrolled, k)
		if asOf.Before(lastDay) {
			lastDay = asOf
		}
		f, l := first.Format(dateLayout), lastDay.Format(dateLayout)
		for _, m := range ms {
			if m.JoinedOn <= l && (m.LeftOn == "" || m.LeftOn > f) {
				r := t.month(k)
				r.CohortKey, r.Model = m.SurrogateKey, m.Model
				if memberOf[k] == nil {
					memberOf[k] = map[string]bool{}
				}
				memberOf[k][m.CohortID] = true
			}
		}
	}
	return memberOf
}

// meetings counts the meetings held for them (on their attendance list,
// or of a Peer Partners group while they were a member) and attended.
func (t *tally) meetings(ms []membershipRow, att []attendanceRow, groups map[string][]groupMeeting) {
	memberOf := t.memberships(ms)
	held := map[int]map[string]bool{}
	hold := func(k int, meetingID string) {
		if held[k] == nil {
			held[k] = map[string]bool{}
		}
		held[k][meetingID] = true
	}
	for _, a := range att {
		if r := t.at(a.HeldOn); r != nil {
			hold(r.ProgramMonth, a.MeetingID)
			if a.Present {
				r.MeetingsAttended++
			}
		}
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.CohortID] {
			continue
		}
		seen[m.CohortID] = true
		for _, g := range groups[m.CohortID] {
			if k := t.monthOf(g.HeldOn); k > 0 && memberOf[k][g.CohortID] {
				hold(k, g.ID)
			}
		}
	}
	for k, ids := range held {
		t.month(k).MeetingsHeld = len(ids)
	}
}

// expenses counts the stipend spent and whether every expense has a
// receipt.
func (t *tally) expenses(exps []expenseRow) {
	for _, e := range exps {
		if r := t.at(e.SpentOn); r != nil {
			r.StipendSpentCents = min(r.StipendSpentCents+e.AmountCents, 10_000_00)
			r.ReceiptsComplete = r.ReceiptsComplete && e.Receipts > 0
		}
	}
}

// outings counts their outings by stage, joint ones a partner recorded
// too.
func (t *tally) outings(outs []outingRow) {
	for _, o := range outs {
		if r := t.at(o.OutingOn); r != nil && o.Stage >= 1 && o.Stage <= contract.OutingStages {
			r.OutingsByStage[o.Stage-1]++
		}
	}
}

// journals counts the weeks with a journal entry; a week is the month of
// its Sunday.
func (t *tally) journals(weeks []string) {
	entered := map[time.Time]bool{}
	for _, w := range weeks {
		if d, ok := parseDate(w); ok {
			entered[rules.WeekStart(d)] = true
		}
	}
	for monday := range entered {
		if r := t.at(monday.AddDate(0, 0, 6).Format(dateLayout)); r != nil {
			r.JournalsCompleted++
		}
	}
}

// journalsDue counts the weeks due in every month with a record: its
// Sundays up to the day counted to.
func (t *tally) journalsDue() {
	for k, r := range t.out {
		first, lastDay := deident.CalendarMonthSpan(t.pp.enrolled, k)
		for d := first; !d.After(lastDay) && !d.After(t.pp.day); d = d.AddDate(0, 0, 1) {
			if d.Weekday() == time.Sunday {
				r.JournalsDue++
			}
		}
	}
}

// refreshParticipation writes a participant's participation records and
// deletes upstream those of months that no longer have one. A month
// carries the model of its cohort only when that is the model the
// participant is described with (a month in a cohort of another model
// would tell the hub more than the quasi-identifier rule allows), and never
// the cohort's key (a cohort can be smaller than the rule's group).
func (s *outcomeStore) refreshParticipation(tx *gorm.DB, now time.Time, pp upstreamPerson) error {
	months, err := s.participationOf(tx, pp)
	if err != nil {
		return err
	}
	keep := map[int]bool{}
	for k, r := range months {
		r.AgeBand, r.CohortKey = pp.band, ""
		if r.Model != pp.model {
			r.Model = ""
		}
		keep[k] = true
		if err := putComputed(tx, now, pp.p.ID, kindParticipation, k, r); err != nil {
			return err
		}
	}
	return dropUpstream(tx, now, pp.p.ID, kindParticipation, keep)
}

// ParticipationMonths is the participant's participation by program month
// up to today, counted as upstream (calendar months from the month of
// enrollment; nothing once they have withdrawn): upstream, the same months
// go as of the end of the previous month.
func (s *outcomeStore) ParticipationMonths(ctx context.Context, participantID string) ([]contract.Participation, error) {
	out := []contract.Participation{}
	err := s.st.ReadSnapshot(ctx, func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		if p.WithdrawnAt != nil {
			return nil
		}
		enrolled, _ := parseDate(p.EnrolledOn)
		months, err := s.participationOf(tx, upstreamPerson{p: p, enrolled: enrolled, day: s.st.Pairs.today()})
		if err != nil {
			return err
		}
		for _, r := range months {
			out = append(out, *r)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ProgramMonth < out[j].ProgramMonth })
		return nil
	})
	return out, err
}
