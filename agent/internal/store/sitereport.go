package store

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/evaluate"
	"github.com/itsmylife/iml/pkg/program"
)

// SiteReport is the site's own year-end report for the Program Director:
// computed here from the site's data as it stands, whole (no suppression:
// it never leaves the site), by the program's method (pkg/evaluate).
type SiteReport struct {
	// Year is the enrollment year reported; Years the enrollment years
	// the site has participants of, newest first.
	Year  int
	Years []int
	// Release is the release whose indicators and statements the report
	// lists (the one the site runs).
	Release program.Release
	// Participants is how many enrolled in Year and have not withdrawn.
	Participants int
	// AsOf is the day the report counts to.
	AsOf string
	evaluate.Report
}

// SiteReportYears lists the enrollment years of the site's participants
// (withdrawn ones aside), newest first.
func (s *outcomeStore) SiteReportYears(ctx context.Context) ([]int, error) {
	years := []int{}
	err := s.st.DB.WithContext(ctx).Raw(`SELECT DISTINCT CAST(substr(enrolled_on, 1, 4) AS INTEGER) AS y FROM participants
WHERE withdrawn_at IS NULL ORDER BY y DESC`).Scan(&years).Error
	return years, err
}

// SiteReport computes the report of the participants who enrolled in a
// year and have not withdrawn (a withdrawal takes a person out of every
// figure, as upstream):
//
//   - the POM table of the indicators the site's release names, from
//     every interview of those participants (an indicator left unanswered
//     counts in no n);
//   - the surveys given in that calendar year (a survey is anonymous and
//     holds only the year it was given, so it cannot be tied to an
//     enrollment year);
//   - the hospitalizations of those who consented and whose count before
//     enrollment is recorded: the exact count (not top-coded as upstream),
//     every stay during the program, and the program months each has begun
//     (calendar months from the month of enrollment, at most 12) as the
//     time in the program;
//   - their participation by program month up to today, counted as
//     upstream.
//
// The report is kept until the data version moves (or the minute changes).
func (s *outcomeStore) SiteReport(ctx context.Context, year int) (SiteReport, error) {
	return keptValue(s.st, "site-report|"+strconv.Itoa(year), func() (SiteReport, error) { return s.siteReport(ctx, year) })
}

func (s *outcomeStore) siteReport(ctx context.Context, year int) (SiteReport, error) {
	rep := SiteReport{Year: year}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return rep, err
	}
	rep.Release = rel
	if rep.Years, err = s.SiteReportYears(ctx); err != nil {
		return rep, err
	}
	today := s.st.Pairs.today()
	rep.AsOf = today.Format(dateLayout)
	var in evaluate.Inputs
	for _, it := range rel.Asked() {
		in.Indicators = append(in.Indicators, evaluate.Indicator{Code: it.Code, Name: it.Text})
	}
	for _, it := range rel.Survey.Statements {
		in.Statements = append(in.Statements, evaluate.Statement{Code: it.Code, Text: it.Text})
	}
	err = s.st.ReadSnapshot(ctx, func(tx *gorm.DB) error {
		var ps []Participant
		if err := tx.Where("withdrawn_at IS NULL AND substr(enrolled_on, 1, 4) = ?", fourDigits(year)).Order("id").Find(&ps).Error; err != nil {
			return err
		}
		rep.Participants = len(ps)
		d, err := loadReportData(tx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			d.addPerson(rel, p, today, &in)
		}
		return reportSurveys(tx, year, &in)
	})
	rep.Report = evaluate.Build(in)
	return rep, err
}

func fourDigits(y int) string {
	b := []byte("0000")
	for i := 3; i >= 0 && y > 0; i-- {
		b[i] = byte('0' + y%10)
		y /= 10
	}
	return string(b)
}

// reportData is what the report reads of every participant, with a fixed
// number of queries whatever their number: their interviews, their
// hospitalization counts and their participation records.
type reportData struct {
	interviews map[string][]POMInterview
	before     map[string]int // hospitalizations in the two years before enrollment, where recorded
	stays      map[string]int // hospital stays during the program
	rows       participationRows
}

func loadReportData(tx *gorm.DB) (reportData, error) {
	d := reportData{interviews: map[string][]POMInterview{}, before: map[string]int{}, stays: map[string]int{}}
	var ivs []POMInterview
	if err := tx.Order("participant_id, timepoint").Find(&ivs).Error; err != nil {
		return d, err
	}
	for _, iv := range ivs {
		d.interviews[iv.ParticipantID] = append(d.interviews[iv.ParticipantID], iv)
	}
	var counts []struct {
		ParticipantID string
		N             int
	}
	if err := tx.Raw("SELECT participant_id, before_count AS n FROM hospitalization_baselines").Scan(&counts).Error; err != nil {
		return d, err
	}
	for _, c := range counts {
		d.before[c.ParticipantID] = c.N
	}
	counts = nil
	if err := tx.Raw("SELECT participant_id, COUNT(*) AS n FROM hospital_stays GROUP BY participant_id").Scan(&counts).Error; err != nil {
		return d, err
	}
	for _, c := range counts {
		d.stays[c.ParticipantID] = c.N
	}
	var err error
	d.rows, err = loadParticipation(tx, "")
	return d, err
}

// addPerson adds a participant's interviews, hospitalizations and
// participation months to the report's inputs.
func (d reportData) addPerson(rel program.Release, p Participant, today time.Time, in *evaluate.Inputs) {
	for _, iv := range d.interviews[p.ID] {
		e := evaluate.Interview{Person: p.ID, Timepoint: iv.Timepoint, Answers: map[string]bool{}, Unanswered: map[string]string{}}
		for code, a := range iv.AnswersOf() {
			if _, ok := rel.AskedIndicator(code); ok {
				e.Answers[code] = a
			}
		}
		for code, why := range iv.UnansweredOf() {
			if _, ok := rel.AskedIndicator(code); ok {
				e.Unanswered[code] = why
			}
		}
		in.Interviews = append(in.Interviews, e)
	}
	enrolled, _ := parseDate(p.EnrolledOn)
	if before, ok := d.before[p.ID]; ok && p.HospitalizationConsentOn != "" {
		in.Hospitalizations = append(in.Hospitalizations, evaluate.Hospitalization{Person: p.ID, Before: before, During: d.stays[p.ID],
			MonthsEnrolled: monthsBegun(enrolled, today)})
	}
	for _, m := range d.rows.of(upstreamPerson{p: p, enrolled: enrolled, day: today}) {
		e := evaluate.Month{Person: p.ID, ProgramMonth: m.ProgramMonth, MeetingsHeld: m.MeetingsHeld, MeetingsAttended: m.MeetingsAttended,
			JournalsDue: m.JournalsDue, JournalsCompleted: m.JournalsCompleted, StipendSpentCents: m.StipendSpentCents}
		copy(e.OutingsByStage[:], m.OutingsByStage)
		in.Months = append(in.Months, e)
	}
}

// reportSurveys adds the surveys given in a year.
func reportSurveys(tx *gorm.DB, year int, in *evaluate.Inputs) error {
	var rows []string
	if err := tx.Raw("SELECT answers FROM surveys WHERE year = ?", year).Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		m := map[string]string{}
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			return err
		}
		in.Surveys = append(in.Surveys, m)
	}
	return nil
}
