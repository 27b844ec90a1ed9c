package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/program"
)

// PlanLineView is a plan line with its goal and what was spent on it.
type PlanLineView struct {
	PlanLine
	GoalSlot   int
	GoalTitle  string
	SpentCents int64
}

// ExpenseView is an expense with its goal, plan line and receipts.
type ExpenseView struct {
	Expense
	GoalSlot        int
	GoalTitle       string
	LineDescription string
	Receipts        []Receipt
}

// StipendMonthView is a participant's stipend month: the plan, the
// expenses, whether the allowance is payable and whether it was paid.
type StipendMonthView struct {
	Month            string
	Policy           program.StipendPolicy
	FirstDay         string
	LastDay          string
	Goals            []Goal
	Lines            []PlanLineView
	Expenses         []ExpenseView
	PlannedCents     int64
	SpentCents       int64
	ReceiptsComplete bool
	Decision         rules.StipendDecision
	Payment          *StipendPayment
	BalanceCents     int64
}

// StipendMonth gathers a participant's stipend month.
func (s *stipendStore) StipendMonth(ctx context.Context, participantID, month string) (StipendMonthView, error) {
	m, err := parseMonthField(month)
	if err != nil {
		return StipendMonthView{}, err
	}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return StipendMonthView{}, err
	}
	var v StipendMonthView
	err = s.st.ReadSnapshot(ctx, func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		v, err = s.stipendMonth(tx, p, rel.Stipend, m)
		return err
	})
	return v, err
}

func (s *stipendStore) stipendMonth(tx *gorm.DB, p Participant, policy program.StipendPolicy, m time.Time) (StipendMonthView, error) {
	d, err := loadMonthData(tx, m, p.ID)
	if err != nil {
		return StipendMonthView{}, err
	}
	return d.view(p, policy, m, s.st.Now()), nil
}

// monthData is what the stipend views of a month read, for one
// participant or for every participant at once: a fixed number of
// set-based queries, whatever the number of participants, grouped by
// participant in memory.
type monthData struct {
	goals    map[string][]Goal
	lines    map[string][]PlanLine
	expenses map[string][]Expense         // the month's, by participant
	receipts map[string][]Receipt         // of the month's and the previous month's expenses, by expense
	prev     map[string][]rules.SpentItem // the previous month's expenses, by participant
	journals map[string]map[string]bool   // weeks ending in the month with an entry, by participant
	payments map[string]StipendPayment
	balance  map[string]int64
	left     map[string]string // the day they left their cohort, of those in none now
}

// loadMonthData reads a month's stipend records of one participant, or of
// all when participantID is "".
func loadMonthData(tx *gorm.DB, m time.Time, participantID string) (monthData, error) {
	month, prevMonth := rules.MonthOf(m), rules.MonthOf(m.AddDate(0, -1, 0))
	d := monthData{goals: map[string][]Goal{}, lines: map[string][]PlanLine{}, expenses: map[string][]Expense{}, receipts: map[string][]Receipt{},
		prev: map[string][]rules.SpentItem{}, journals: map[string]map[string]bool{}, payments: map[string]StipendPayment{}, balance: map[string]int64{}}
	// only narrows a query to the participant, when there is one.
	only := func(q *gorm.DB, col string) *gorm.DB {
		if participantID != "" {
			return q.Where(col+" = ?", participantID)
		}
		return q
	}
	var goals []Goal
	if err := only(tx.Model(&Goal{}), "participant_id").Order("participant_id, slot").Find(&goals).Error; err != nil {
		return d, err
	}
	for _, g := range goals {
		d.goals[g.ParticipantID] = append(d.goals[g.ParticipantID], g)
	}
	var lines []PlanLine
	if err := only(tx.Model(&PlanLine{}).Where("month = ?", month), "participant_id").Order("participant_id, position").Find(&lines).Error; err != nil {
		return d, err
	}
	for _, l := range lines {
		d.lines[l.ParticipantID] = append(d.lines[l.ParticipantID], l)
	}
	var es []Expense
	if err := only(tx.Model(&Expense{}).Where("month IN ?", []string{month, prevMonth}), "participant_id").
		Order("spent_on, created_at, id").Find(&es).Error; err != nil {
		return d, err
	}
	var rs []Receipt
	sub := only(tx.Model(&Expense{}).Select("id").Where("month IN ?", []string{month, prevMonth}), "participant_id")
	if err := tx.Where("expense_id IN (?)", sub).Order("uploaded_at, id").Find(&rs).Error; err != nil {
		return d, err
	}
	for _, r := range rs {
		d.receipts[r.ExpenseID] = append(d.receipts[r.ExpenseID], r)
	}
	for _, e := range es {
		if e.Month == month {
			d.expenses[e.ParticipantID] = append(d.expenses[e.ParticipantID], e)
			continue
		}
		day, _ := parseDate(e.SpentOn)
		d.prev[e.ParticipantID] = append(d.prev[e.ParticipantID], rules.SpentItem{SpentOn: day, What: e.What, AmountCents: e.AmountCents, Receipts: len(d.receipts[e.ID])})
	}
	var err error
	if d.left, err = leftCohortOn(tx, participantID); err != nil {
		return d, err
	}
	var weeks []struct{ ParticipantID, WeekStart string }
	weekFrom, weekTo := rules.JournalWeekSpan(m)
	if err := only(tx.Table("journal_entries").Select("participant_id, week_start").
		Where("week_start BETWEEN ? AND ?", weekFrom.Format(dateLayout), weekTo.Format(dateLayout)), "participant_id").Scan(&weeks).Error; err != nil {
		return d, err
	}
	for _, w := range weeks {
		if d.journals[w.ParticipantID] == nil {
			d.journals[w.ParticipantID] = map[string]bool{}
		}
		d.journals[w.ParticipantID][w.WeekStart] = true
	}
	var pays []StipendPayment
	if err := only(tx.Model(&StipendPayment{}).Where("month = ?", month), "participant_id").Find(&pays).Error; err != nil {
		return d, err
	}
	for _, p := range pays {
		d.payments[p.ParticipantID] = p
	}
	var bal []struct {
		ParticipantID string
		Cents         int64
	}
	paid := only(tx.Table("stipend_payments").Select("participant_id, amount_cents AS cents").Where("month <= ?", month), "participant_id")
	spent := only(tx.Table("expenses").Select("participant_id, -amount_cents AS cents").Where("month <= ?", month), "participant_id")
	if err := tx.Raw("SELECT participant_id, SUM(cents) AS cents FROM (? UNION ALL ?) x GROUP BY participant_id", paid, spent).Scan(&bal).Error; err != nil {
		return d, err
	}
	for _, b := range bal {
		d.balance[b.ParticipantID] = b.Cents
	}
	return d, nil
}

// view assembles a participant's stipend month from the loaded records and
// applies the stipend rule to it.
func (d monthData) view(p Participant, policy program.StipendPolicy, m time.Time, now time.Time) StipendMonthView {
	first, last := stipendYear(p, d.left[p.ID])
	v := StipendMonthView{Month: rules.MonthOf(m), Policy: policy, FirstDay: first.Format(dateLayout), LastDay: last.Format(dateLayout), ReceiptsComplete: true,
		Goals: append([]Goal{}, d.goals[p.ID]...), Lines: []PlanLineView{}, Expenses: []ExpenseView{}, BalanceCents: d.balance[p.ID]}
	goals := map[string]Goal{}
	for _, g := range v.Goals {
		goals[g.ID] = g
	}
	spent := map[string]int64{}
	for _, e := range d.expenses[p.ID] {
		spent[e.PlanLineID] += e.AmountCents
	}
	descr := map[string]string{}
	for _, l := range d.lines[p.ID] {
		g := goals[l.GoalID]
		v.Lines = append(v.Lines, PlanLineView{PlanLine: l, GoalSlot: g.Slot, GoalTitle: g.Title, SpentCents: spent[l.ID]})
		v.PlannedCents += l.PlannedCents
		descr[l.ID] = l.Description
	}
	for _, e := range d.expenses[p.ID] {
		g := goals[e.GoalID]
		ev := ExpenseView{Expense: e, GoalSlot: g.Slot, GoalTitle: g.Title, LineDescription: descr[e.PlanLineID], Receipts: append([]Receipt{}, d.receipts[e.ID]...)}
		v.Expenses = append(v.Expenses, ev)
		v.SpentCents += e.AmountCents
		if len(ev.Receipts) == 0 {
			v.ReceiptsComplete = false
		}
	}
	journals := d.journals[p.ID]
	if journals == nil {
		journals = map[string]bool{}
	}
	prev := d.prev[p.ID]
	if prev == nil {
		prev = []rules.SpentItem{}
	}
	v.Decision = rules.CheckStipend(rules.StipendCase{Policy: policy, Month: m, First: first, Last: last, Journals: journals, PreviousExpenses: prev, Today: now})
	if pay, ok := d.payments[p.ID]; ok {
		v.Payment = &pay
	}
	return v
}

// leftCohortOn reads the day they last left a cohort of the participants
// who are in none now (cohort_members.left_on), of one participant or of
// all when participantID is "".
func leftCohortOn(tx *gorm.DB, participantID string) (map[string]string, error) {
	q := tx.Table("cohort_members").Select("participant_id, MAX(left_on) AS left_on")
	if participantID != "" {
		q = q.Where("participant_id = ?", participantID)
	}
	var rows []struct{ ParticipantID, LeftOn string }
	if err := q.Group("participant_id").Having("MIN(left_on) <> ''").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.ParticipantID] = r.LeftOn
	}
	return out, nil
}

// stipendYear is the part of the participant's program year their stipend
// counts (programYear): for someone who left their cohort and is in none
// now, it ends the day before they left, so the month's journal weeks stop
// before the week they left and the months after are not theirs.
func stipendYear(p Participant, leftOn string) (first, last time.Time) {
	first, last = programYear(p)
	if day, ok := parseDate(leftOn); ok && day.AddDate(0, 0, -1).Before(last) {
		last = day.AddDate(0, 0, -1)
	}
	return first, last
}

// StipendReportRow is one participant's line in a month's stipend report.
type StipendReportRow struct {
	Participant Participant
	StipendMonthView
}

// StipendReport gathers the month's stipend figures of every participant
// whose program year includes some of the month, by name. It reads the
// month for everyone at once (loadMonthData), not participant by
// participant.
//
// The rows are kept until the data version moves (or the minute changes).
func (s *stipendStore) StipendReport(ctx context.Context, month string) ([]StipendReportRow, error) {
	m, err := parseMonthField(month)
	if err != nil {
		return nil, err
	}
	return keptList(s.st, "stipend-report|"+rules.MonthOf(m), func() ([]StipendReportRow, error) { return s.stipendReport(ctx, m) })
}

func (s *stipendStore) stipendReport(ctx context.Context, m time.Time) ([]StipendReportRow, error) {
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return nil, err
	}
	var out []StipendReportRow
	err = s.st.ReadSnapshot(ctx, func(tx *gorm.DB) error {
		var ps []Participant
		if err := tx.Order("last_name, first_name, id").Find(&ps).Error; err != nil {
			return err
		}
		d, err := loadMonthData(tx, m, "")
		if err != nil {
			return err
		}
		now := s.st.Now()
		for _, p := range ps {
			if first, last := stipendYear(p, d.left[p.ID]); !rules.EnrolledIn(m, first, last) {
				continue
			}
			out = append(out, StipendReportRow{Participant: p, StipendMonthView: d.view(p, rel.Stipend, m, now)})
		}
		return nil
	})
	return out, err
}
