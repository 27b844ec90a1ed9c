package store

import (
	"context"
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
	t := &tally{pp: pp, last: monthsBegun(pp.enrolled, pp.day), out: map[int]*contract.Participation{}}
	// Journals last: an entry makes a month have a record, and every month
	// with a record has its weeks due.
	for _, step := range []func(*gorm.DB) error{t.meetings, t.expenses, t.outings, t.journals} {
		if err := step(tx); err != nil {
			return nil, err
		}
	}
	t.journalsDue()
	for _, r := range t.out {
		r.MeetingsHeld, r.MeetingsAttended = min(r.MeetingsHeld, 1000), min(r.MeetingsAttended, 1000)
		for i := range r.OutingsByStage {
			r.OutingsByStage[i] = min(r.OutingsByStage[i], 1000)
		}
	}
	return t.out, nil
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
func (t *tally) memberships(tx *gorm.DB) (map[int]map[string]bool, error) {
	p, enrolled, asOf := t.pp.p, t.pp.enrolled, t.pp.day
	var ms []struct{ CohortID, JoinedOn, LeftOn, Model, SurrogateKey string }
	if err := tx.Raw(`SELECT m.cohort_id, m.joined_on, m.left_on, c.model, c.surrogate_key FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
WHERE m.participant_id = ? ORDER BY m.joined_on, c.surrogate_key`, p.ID).Scan(&ms).Error; err != nil {
		return nil, err
	}
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
	return memberOf, nil
}

// meetings counts the meetings held for them (on their attendance list,
// or of a Peer Partners group while they were a member) and attended.
func (t *tally) meetings(tx *gorm.DB) error {
	p := t.pp.p
	memberOf, err := t.memberships(tx)
	if err != nil {
		return err
	}
	held := map[int]map[string]bool{}
	hold := func(k int, meetingID string) {
		if held[k] == nil {
			held[k] = map[string]bool{}
		}
		held[k][meetingID] = true
	}
	var att []struct {
		MeetingID, HeldOn string
		Present           bool
	}
	if err := tx.Raw(`SELECT a.meeting_id, m.held_on, a.present FROM meeting_attendance a JOIN meetings m ON m.id = a.meeting_id WHERE a.participant_id = ?`, p.ID).Scan(&att).Error; err != nil {
		return err
	}
	for _, a := range att {
		if r := t.at(a.HeldOn); r != nil {
			hold(r.ProgramMonth, a.MeetingID)
			if a.Present {
				r.MeetingsAttended++
			}
		}
	}
	var group []struct{ ID, CohortID, HeldOn string }
	if err := tx.Raw(`SELECT m.id, m.cohort_id, m.held_on FROM meetings m JOIN cohorts c ON c.id = m.cohort_id
WHERE c.model = ? AND m.cohort_id IN (SELECT cohort_id FROM cohort_members WHERE participant_id = ?)`, program.ModelPeerPartners, p.ID).Scan(&group).Error; err != nil {
		return err
	}
	for _, g := range group {
		if k := t.monthOf(g.HeldOn); k > 0 && memberOf[k][g.CohortID] {
			hold(k, g.ID)
		}
	}
	for k, ids := range held {
		t.month(k).MeetingsHeld = len(ids)
	}
	return nil
}

// expenses counts the stipend spent and whether every expense has a
// receipt.
func (t *tally) expenses(tx *gorm.DB) error {
	var exps []struct {
		SpentOn     string
		AmountCents int64
		Receipts    int
	}
	if err := tx.Raw(`SELECT e.spent_on, e.amount_cents, (SELECT COUNT(*) FROM receipts r WHERE r.expense_id = e.id) AS receipts
FROM expenses e WHERE e.participant_id = ?`, t.pp.p.ID).Scan(&exps).Error; err != nil {
		return err
	}
	for _, e := range exps {
		if r := t.at(e.SpentOn); r != nil {
			r.StipendSpentCents = min(r.StipendSpentCents+e.AmountCents, 10_000_00)
			r.ReceiptsComplete = r.ReceiptsComplete && e.Receipts > 0
		}
	}
	return nil
}

// outings counts their outings by stage, joint ones a partner recorded
// too.
func (t *tally) outings(tx *gorm.DB) error {
	p := t.pp.p
	var outs []struct {
		OutingOn string
		Stage    int
	}
	if err := tx.Raw("SELECT outing_on, stage FROM outings WHERE participant_id = ? OR (partner_id = ? AND stage IN ?)", p.ID, p.ID, jointStages).Scan(&outs).Error; err != nil {
		return err
	}
	for _, o := range outs {
		if r := t.at(o.OutingOn); r != nil && o.Stage >= 1 && o.Stage <= contract.OutingStages {
			r.OutingsByStage[o.Stage-1]++
		}
	}
	return nil
}

// journals counts the weeks with a journal entry; a week is the month of
// its Sunday.
func (t *tally) journals(tx *gorm.DB) error {
	var weeks []string
	if err := tx.Model(&JournalEntry{}).Where("participant_id = ?", t.pp.p.ID).Pluck("week_start", &weeks).Error; err != nil {
		return err
	}
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
	return nil
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
	err := s.ReadSnapshot(ctx, func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		if p.WithdrawnAt != nil {
			return nil
		}
		enrolled, _ := parseDate(p.EnrolledOn)
		months, err := s.participationOf(tx, upstreamPerson{p: p, enrolled: enrolled, day: s.today()})
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
