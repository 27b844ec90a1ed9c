package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/program"
)

// The kinds of due item the site's home lists, in its order.
const (
	DueInterview     = "interview"
	DueJournal       = "journal"
	DueStipend       = "stipend"
	DueReceipts      = "receipts"
	DueMeeting       = "meeting"
	DuePair          = "pair"
	DueYearEnd       = "year_end"
	DueCertification = "certification"
	DueTAAnswer      = "ta_answer"
)

// DueKinds are the kinds of due item, in the home page's order.
var DueKinds = []string{DueInterview, DueJournal, DueStipend, DueReceipts, DueMeeting, DuePair, DueYearEnd, DueCertification, DueTAAnswer}

// ParticipantDueKinds are the kinds that name a participant (the list's
// "due" filter).
var ParticipantDueKinds = []string{DueInterview, DueJournal, DueStipend, DueReceipts, DueYearEnd}

// YearEndWarnDays is how many days ahead the home lists a program year
// that ends.
const YearEndWarnDays = 30

// DueItem is one thing to do: about whom or what (a participant, a
// cohort, a coach, a TA request: the ids say which), what, and whether it
// is overdue.
type DueItem struct {
	Kind          string
	ParticipantID string
	CohortID      string
	CoachID       string
	RequestID     string
	// Month is the calendar month (YYYY-MM) a stipend or receipt item is
	// about.
	Month   string
	Who     string
	What    string
	Overdue bool
}

// SiteHome is what is due at the site on a day, for a user: the director
// sees everything, a coach what concerns their participants, their
// cohorts and themself; and the last sync.
type SiteHome struct {
	Today time.Time
	// Items by kind (DueKinds), overdue first.
	Items map[string][]DueItem
	// LastWeek is the Monday of the journal week looked at; StipendMonth
	// the month whose stipends wait for approval.
	LastWeek     time.Time
	StipendMonth time.Time
	LastSync     string
	LastSuccess  string
	LastError    string
}

// homeRead is what one computation of the home reads and keeps.
type homeRead struct {
	tx      *gorm.DB
	u       User
	coachID string // "*" for the director
	today   time.Time
	people  []RosterRow
	seen    map[string]RosterRow // active or completed, by id
	home    *SiteHome
	// missing counts last month's expenses without a receipt, by
	// participant (read by receipts, used by the stipend rule).
	missing map[string]int
}

func (h *homeRead) add(it DueItem) { h.home.Items[it.Kind] = append(h.home.Items[it.Kind], it) }

// SiteHome computes what is due for a user on the store's day, on one
// snapshot, with a fixed number of queries whatever the number of
// participants.
//
// The result is kept until the data version moves (or the minute
// changes): a home seen again without a change in between costs no query.
func (s *homeStore) SiteHome(ctx context.Context, u User) (SiteHome, error) {
	v, key := s.st.Version(), s.st.figureKey("home", u)
	if x, ok := s.st.figures.get(v, key); ok {
		return copyHome(x.(SiteHome)), nil
	}
	home, err := s.siteHome(ctx, u)
	if err == nil {
		s.st.figures.put(v, key, copyHome(home))
	}
	return home, err
}

// copyHome copies a home's items, so that what a caller does with them
// leaves the kept one as it was.
func copyHome(h SiteHome) SiteHome {
	items := make(map[string][]DueItem, len(h.Items))
	for k, v := range h.Items {
		items[k] = slices.Clone(v)
	}
	h.Items = items
	return h
}

// figureKey is the key of a page's figures for a user, at the store's
// minute (the figures depend on the day, and the minute bounds how long a
// change made by another process goes unseen).
func (s *Store) figureKey(page string, u User) string {
	return page + "|" + u.ID + "|" + u.Role + "|" + s.Now().UTC().Format("2006-01-02T15:04")
}

func (s *homeStore) siteHome(ctx context.Context, u User) (SiteHome, error) {
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return SiteHome{}, err
	}
	today := dateOnlyUTC(s.st.Now())
	home := SiteHome{Today: today, Items: map[string][]DueItem{}, LastWeek: rules.LastWeek(today),
		StipendMonth: time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)}
	err = s.st.ReadSnapshot(ctx, func(tx *gorm.DB) error {
		h := &homeRead{tx: tx, u: u, today: today, home: &home, seen: map[string]RosterRow{}, missing: map[string]int{}}
		var err error
		if h.coachID, err = s.seenCoach(tx, u); err != nil {
			return err
		}
		if h.people, err = s.roster(tx, u, false); err != nil {
			return err
		}
		for _, p := range h.people {
			if p.Status == rules.StatusActive || p.Status == rules.StatusCompleted {
				h.seen[p.ID] = p
			}
		}
		for _, step := range []func() error{h.interviews, h.journals, h.receipts, func() error { return s.stipendsWaiting(h, rel.Stipend) },
			h.meetings, h.pairs, h.yearEnds, h.certifications, h.taAnswers, h.sync} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	for k := range home.Items {
		slices.SortStableFunc(home.Items[k], func(a, b DueItem) int {
			if a.Overdue != b.Overdue {
				if a.Overdue {
					return -1
				}
				return 1
			}
			return 0
		})
	}
	return home, err
}

func dateOnlyUTC(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func personName(p RosterRow) string { return p.FirstName + " " + p.LastName }

// interviews: POM interviews due or overdue (rules.InterviewsDue).
func (h *homeRead) interviews() error {
	var ivs []struct{ ParticipantID, Timepoint string }
	if err := h.tx.Table("pom_interviews").Select("participant_id, timepoint").Scan(&ivs).Error; err != nil {
		return err
	}
	done := map[string]map[string]bool{}
	for _, iv := range ivs {
		if done[iv.ParticipantID] == nil {
			done[iv.ParticipantID] = map[string]bool{}
		}
		done[iv.ParticipantID][iv.Timepoint] = true
	}
	for _, p := range h.people {
		if _, ok := h.seen[p.ID]; !ok {
			continue
		}
		enrolled, ok := parseDate(p.EnrolledOn)
		if !ok {
			continue
		}
		for _, d := range rules.InterviewsDue(enrolled, h.today, done[p.ID]) {
			what := d.Label + ", due since " + d.From.Format(dayWords)
			if d.Overdue {
				what = d.Label + ", overdue since " + d.Late.Format(dayWords)
			}
			h.add(DueItem{Kind: DueInterview, ParticipantID: p.ID, Who: personName(p), What: what, Overdue: d.Overdue})
		}
	}
	return nil
}

// journals: last week's guided journal missing, for those in the program
// for the whole week.
func (h *homeRead) journals() error {
	week := h.home.LastWeek
	var have []string
	if err := h.tx.Table("journal_entries").Where("week_start = ?", week.Format(dateLayout)).Pluck("participant_id", &have).Error; err != nil {
		return err
	}
	done := map[string]bool{}
	for _, id := range have {
		done[id] = true
	}
	for _, p := range h.people {
		enrolled, ok := parseDate(p.EnrolledOn)
		if p.Status != rules.StatusActive || !ok || done[p.ID] {
			continue
		}
		first, last := rules.EnrollmentPeriod(enrolled, p.WithdrawnAt)
		if week.Before(first) || week.AddDate(0, 0, 6).After(last) {
			continue
		}
		h.add(DueItem{Kind: DueJournal, ParticipantID: p.ID, Who: personName(p), What: "No journal for the week of Monday " + week.Format("2 January")})
	}
	return nil
}

// stipendsWaiting: last month's stipends that are payable
// (rules.CheckStipend, as the stipend month applies it) and not yet
// approved. It reads, for everyone at once, only what the rule looks at:
// the month's journal weeks (those ending on its Sundays), the previous
// month's expenses without a receipt (counted by receipts, which runs
// first) and the month's payments.
func (s *homeStore) stipendsWaiting(h *homeRead, policy program.StipendPolicy) error {
	m := h.home.StipendMonth
	month := rules.MonthOf(m)
	var weeks []struct{ ParticipantID, Weeks string }
	weekFrom, weekTo := rules.JournalWeekSpan(m)
	if err := h.tx.Raw(`SELECT participant_id, GROUP_CONCAT(week_start) AS weeks FROM journal_entries
WHERE week_start BETWEEN ? AND ? GROUP BY participant_id`, weekFrom.Format(dateLayout), weekTo.Format(dateLayout)).Scan(&weeks).Error; err != nil {
		return err
	}
	journals := map[string]map[string]bool{}
	for _, w := range weeks {
		journals[w.ParticipantID] = map[string]bool{}
		for _, d := range strings.Split(w.Weeks, ",") {
			journals[w.ParticipantID][d] = true
		}
	}
	var paid []string
	if err := h.tx.Table("stipend_payments").Where("month = ?", month).Pluck("participant_id", &paid).Error; err != nil {
		return err
	}
	approved := map[string]bool{}
	for _, id := range paid {
		approved[id] = true
	}
	left, err := leftCohortOn(h.tx, "")
	if err != nil {
		return err
	}
	now := s.st.Now()
	for _, p := range h.people {
		if p.WithdrawnAt != nil || approved[p.ID] {
			continue
		}
		// The rule looks only at whether each expense has a receipt.
		bare := make([]rules.SpentItem, h.missing[p.ID])
		first, last := stipendYear(p.Participant, left[p.ID])
		d := rules.CheckStipend(rules.StipendCase{Policy: policy, Month: m, First: first, Last: last, Journals: journals[p.ID], PreviousExpenses: bare, Today: now})
		if d.Payable {
			h.add(DueItem{Kind: DueStipend, ParticipantID: p.ID, Month: month, Who: personName(p),
				What: fmt.Sprintf("%s stipend payable, waiting for the director's approval", rules.MonthName(m))})
		}
	}
	return nil
}

// receipts: expenses of this month and last without a receipt.
func (h *homeRead) receipts() error {
	this := time.Date(h.today.Year(), h.today.Month(), 1, 0, 0, 0, 0, time.UTC)
	months := []string{rules.MonthOf(this.AddDate(0, -1, 0)), rules.MonthOf(this)}
	var rows []struct {
		ParticipantID, Month string
		N                    int
	}
	if err := h.tx.Raw(`SELECT e.participant_id, e.month, COUNT(*) AS n FROM expenses e
WHERE e.month IN ? AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.expense_id = e.id)
GROUP BY e.participant_id, e.month ORDER BY e.month`, months).Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		if r.Month == months[0] {
			h.missing[r.ParticipantID] = r.N
		}
		p, ok := h.seen[r.ParticipantID]
		if !ok || p.WithdrawnAt != nil {
			continue
		}
		m, _ := rules.ParseMonth(r.Month)
		what := fmt.Sprintf("%d expense%s of %s without a receipt", r.N, plural(r.N), rules.MonthName(m))
		h.add(DueItem{Kind: DueReceipts, ParticipantID: p.ID, Month: r.Month, Who: personName(p), What: what, Overdue: r.Month == months[0]})
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// ownCohort says whether the user sees a cohort led by coachID.
func (h *homeRead) ownCohort(coachID string) bool { return h.coachID == "*" || coachID == h.coachID }

// inYear says whether a cohort that started on start is in its year today.
func (h *homeRead) inYear(start string) bool {
	d, ok := parseDate(start)
	return ok && !h.today.Before(d) && rules.ProgramMonth(d, h.today) <= rules.ProgramMonths
}

// meetings: cohorts in their year, with members, without a meeting this
// calendar month.
func (h *homeRead) meetings() error {
	first := time.Date(h.today.Year(), h.today.Month(), 1, 0, 0, 0, 0, time.UTC)
	var cs []Cohort
	if err := h.tx.Raw(`SELECT c.* FROM cohorts c WHERE c.closed_on = ''
AND EXISTS (SELECT 1 FROM cohort_members m WHERE m.cohort_id = c.id AND m.left_on = '')
AND NOT EXISTS (SELECT 1 FROM meetings g WHERE g.cohort_id = c.id AND g.held_on BETWEEN ? AND ?)
ORDER BY c.name`, first.Format(dateLayout), first.AddDate(0, 1, -1).Format(dateLayout)).Scan(&cs).Error; err != nil {
		return err
	}
	for _, c := range cs {
		if h.ownCohort(c.CoachID) && h.inYear(c.StartDate) {
			h.add(DueItem{Kind: DueMeeting, CohortID: c.ID, CoachID: c.CoachID, Who: c.Name, What: "No meeting recorded in " + rules.MonthName(first)})
		}
	}
	return nil
}

// pairs: current peer pairs without a joint outing this calendar month.
func (h *homeRead) pairs() error {
	first := time.Date(h.today.Year(), h.today.Month(), 1, 0, 0, 0, 0, time.UTC)
	var rows []struct{ ID, CohortID, CohortName, CoachID, StartDate, Names string }
	if err := h.tx.Raw(`SELECT p.id, p.cohort_id, c.name AS cohort_name, c.coach_id, c.start_date,
  GROUP_CONCAT(q.first_name || ' ' || q.last_name, ' & ') AS names
FROM pairs p JOIN cohorts c ON c.id = p.cohort_id
JOIN pair_members pm ON pm.pair_id = p.id AND pm.ended_on = ''
JOIN participants q ON q.id = pm.participant_id
WHERE p.ended_on = '' AND c.closed_on = '' AND NOT EXISTS (SELECT 1 FROM outings o
  JOIN pair_members a ON a.pair_id = p.id AND a.participant_id = o.participant_id
  JOIN pair_members b ON b.pair_id = p.id AND b.participant_id = o.partner_id
  WHERE o.outing_on BETWEEN ? AND ?)
GROUP BY p.id ORDER BY c.name, names`, first.Format(dateLayout), first.AddDate(0, 1, -1).Format(dateLayout)).Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		if h.ownCohort(r.CoachID) && h.inYear(r.StartDate) {
			h.add(DueItem{Kind: DuePair, CohortID: r.CohortID, CoachID: r.CoachID, Who: r.Names,
				What: r.CohortName + ": no joint outing recorded in " + rules.MonthName(first)})
		}
	}
	return nil
}

// yearEnds: program years that end within YearEndWarnDays.
func (h *homeRead) yearEnds() error {
	for _, p := range h.people {
		end, ok := parseDate(p.YearEnd)
		if p.Status != rules.StatusActive || !ok {
			continue
		}
		if soon, left := rules.EndsWithin(end, h.today, YearEndWarnDays); soon {
			h.add(DueItem{Kind: DueYearEnd, ParticipantID: p.ID, Who: personName(p),
				What: "Program year ends " + rules.DaysLeft(left) + " (" + inWords(p.YearEnd) + "): plan the closing interview and the transition"})
		}
	}
	return nil
}

// certifications: active coaches whose certification expires within
// ExpiryWarnDays (due) or is no longer current (overdue); a coach sees
// their own.
func (h *homeRead) certifications() error {
	var cs []Coach
	if err := h.tx.Where("active AND certified_until <> ''").Order("name").Find(&cs).Error; err != nil {
		return err
	}
	for _, c := range cs {
		if !h.ownCohort(c.ID) {
			continue
		}
		switch {
		case !c.CertifiedOn(h.today):
			what := "Certification expired on " + inWords(c.CertifiedUntil)
			if c.CertRevoked {
				what = "Certification revoked"
			}
			h.add(DueItem{Kind: DueCertification, CoachID: c.ID, Who: c.Name, What: what + ": no new cohort can be given", Overdue: true})
		case c.ExpiresSoon(h.today, ExpiryWarnDays):
			h.add(DueItem{Kind: DueCertification, CoachID: c.ID, Who: c.Name, What: "Certification expires on " + inWords(c.CertifiedUntil) + ": ask the national office to renew it"})
		}
	}
	return nil
}

// taAnswers: answers from the national office not yet opened (the
// director's).
func (h *homeRead) taAnswers() error {
	if h.u.Role != RoleDirector {
		return nil
	}
	var rs []TARequest
	if err := h.tx.Raw(`SELECT r.* FROM ta_requests r WHERE r.answer <> '' AND r.answer_seq >
  COALESCE((SELECT CAST(m.value AS INTEGER) FROM agent_meta m WHERE m.key = 'ta_read:' || r.id), 0)
ORDER BY r.answered_at DESC, r.id`).Scan(&rs).Error; err != nil {
		return err
	}
	for _, r := range rs {
		h.add(DueItem{Kind: DueTAAnswer, RequestID: r.ID, Who: r.Subject, What: "Answered by the national office; not read yet"})
	}
	return nil
}

// sync: the last sync round and its error.
func (h *homeRead) sync() error {
	var ms []Meta
	if err := h.tx.Where("key IN ?", []string{MetaLastSync, MetaLastSuccess, MetaLastError}).Find(&ms).Error; err != nil {
		return err
	}
	for _, m := range ms {
		switch m.Key {
		case MetaLastSync:
			h.home.LastSync = m.Value
		case MetaLastSuccess:
			h.home.LastSuccess = m.Value
		case MetaLastError:
			h.home.LastError = m.Value
		}
	}
	return nil
}

// MarkTAAnswerRead records that the director has read a request's answer
// as it stands (its place in the hub's answer stream): the home no longer
// lists it until a newer answer comes.
func (s *homeStore) MarkTAAnswerRead(ctx context.Context, r TARequest) error {
	if r.Answer == "" {
		return nil
	}
	return s.st.SetMeta(ctx, "ta_read:"+r.ID, strconv.FormatInt(r.AnswerSeq, 10))
}
