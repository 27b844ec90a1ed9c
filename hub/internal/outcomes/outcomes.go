package outcomes

import (
	"context"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
)

// OutcomeFilter narrows the outcomes report. A site implies its
// organization, and an organization its type and state.
type OutcomeFilter struct {
	OrgID   string `json:"org,omitempty"`
	OrgType string `json:"org_type,omitempty"`
	State   string `json:"state,omitempty"`
	Model   string `json:"model,omitempty"`
	Year    int    `json:"year,omitempty"`
	SiteID  string `json:"site,omitempty"`
}

// Filter dimensions, in the order the report checks them.
const (
	dimSite  = "site"
	dimOrg   = "org"
	dimType  = "org_type"
	dimState = "state"
	dimModel = "model"
	dimYear  = "year"
)

var dims = []string{dimSite, dimOrg, dimType, dimState, dimModel, dimYear}

func (f OutcomeFilter) get(d string) string {
	switch d {
	case dimSite:
		return f.SiteID
	case dimOrg:
		return f.OrgID
	case dimType:
		return f.OrgType
	case dimState:
		return f.State
	case dimModel:
		return f.Model
	case dimYear:
		if f.Year == 0 {
			return ""
		}
		return strconv.Itoa(f.Year)
	}
	return ""
}

// dimExpr is the SQL of a dimension over a per-site rollup t joined with
// its site s and organization o.
var dimExpr = map[string]string{
	dimSite: "t.site_id", dimOrg: "s.org_id", dimType: "o.type", dimState: "o.state",
	dimModel: "t.model", dimYear: "CAST(t.year AS VARCHAR(10))",
}

// peopleCols are rollup_people's sums, in table order.
var peopleCols = []string{"participants", "first_interviews", "mid_interviews", "closing_interviews", "surveys", "hosp_participants", "hosp_before", "hosp_during", "hosp_months",
	"part_participants", "part_months", "meetings_held", "meetings_attended", "journals_due", "journals_completed", "spend_months", "receipts_ok",
	"outings1", "outings2", "outings3", "outings4"}

// personCols are the people sums that count participants or surveys:
// the cells suppression protects. The other sums (hospitalizations,
// months, meetings, journals, outings) are only shown as rates or totals
// of a group whose head count is shown.
var personCols = []string{"participants", "first_interviews", "mid_interviews", "closing_interviews", "surveys", "hosp_participants", "part_participants"}

// totalKeys are the cell names of peopleCols.
var totalKeys = func() []string {
	tk := make([]string, len(peopleCols))
	for i, c := range peopleCols {
		tk[i] = "total/" + c
	}
	return tk
}()

// siteInfo is what the report knows of a site beyond its counts.
type siteInfo struct {
	ID, Name, OrgID, OrgName, OrgType, State string
}

// isCell reports whether a cell counts participants or surveys: the cells
// suppression protects.
func isCell(k string) bool {
	switch {
	case strings.HasPrefix(k, "pom/"), strings.HasPrefix(k, "pair/"), strings.HasPrefix(k, "survey/"), strings.HasPrefix(k, "svc/"), k == hospitalizedCell,
		strings.HasPrefix(k, "month/") && strings.HasSuffix(k, "/participants"):
		return true
	case strings.HasPrefix(k, "total/"):
		return slices.Contains(personCols, k[len("total/"):])
	}
	return false
}

// OutcomeReport is the program's report for a filter, with small cells
// suppressed.
type OutcomeReport struct {
	Release string        `json:"release"`
	Filter  OutcomeFilter `json:"filter"`
	MinCell int           `json:"min_cell"`
	// AsOf is when the figures were read from the rollups.
	AsOf              time.Time          `json:"as_of"`
	Participants      Figure             `json:"participants"`
	FirstInterviews   Figure             `json:"first_interviews"`
	MidInterviews     Figure             `json:"midpoint_interviews"`
	ClosingInterviews Figure             `json:"closing_interviews"`
	Surveys           Figure             `json:"surveys"`
	Indicators        []IndicatorRow     `json:"indicators"`
	Statements        []StatementRow     `json:"statements"`
	Hospitalizations  HospitalizationRow `json:"hospitalizations"`
	Participation     ParticipationRow   `json:"participation"`
	Sites             []SiteRow          `json:"sites"`
}

// IndicatorRow is one POM indicator: the number of answers and the share
// with the outcome present at each timepoint, and the change from the
// first to the closing interview in percentage points.
type IndicatorRow struct {
	Code          string `json:"code"`
	Number        int    `json:"number,omitempty"`
	Text          string `json:"text"`
	FirstN        Figure `json:"first_n"`
	FirstShare    Figure `json:"first_share"`
	MidpointN     Figure `json:"midpoint_n"`
	MidpointShare Figure `json:"midpoint_share"`
	ClosingN      Figure `json:"closing_n"`
	ClosingShare  Figure `json:"closing_share"`
	// ChangePoints is the closing share minus the first share: of
	// everyone interviewed at each (unpaired).
	ChangePoints Figure `json:"change_points"`
	// ToMidpoint and ToClosing are the paired changes: the same
	// participants at their first and their mid-point or closing
	// interview.
	ToMidpoint PairedFigures `json:"paired_to_midpoint"`
	ToClosing  PairedFigures `json:"paired_to_closing"`
}

// StatementRow is one survey statement: the count of each answer (in the
// order of contract.SurveyAnswers), the number of answers and the share
// of the highest rating.
type StatementRow struct {
	Code    string   `json:"code"`
	Number  int      `json:"number,omitempty"`
	Text    string   `json:"text"`
	Answers []Figure `json:"answers"`
	// Shares are each answer's share of the statement's answers, in
	// percent, in the same order.
	Shares       []Figure `json:"shares"`
	N            Figure   `json:"n"`
	HighestShare Figure   `json:"highest_share"`
}

// HospitalizationRow compares hospitalizations before and during the
// program per participant-year: before, the count in the two years before
// enrollment over two years per participant; during, the count over the
// months enrolled divided by 12.
type HospitalizationRow struct {
	Participants     Figure `json:"participants"`
	ParticipantYears Figure `json:"participant_years"`
	BeforeRate       Figure `json:"before_per_participant_year"`
	DuringRate       Figure `json:"during_per_participant_year"`
	// Before and During are the totals: before enrollment, each
	// participant's count top-coded at 3 ("3 or more") as sites send it.
	Before Figure `json:"before_total"`
	During Figure `json:"during_total"`
	// Hospitalized counts the participants hospitalized at least once
	// during the program.
	Hospitalized Figure `json:"hospitalized_during"`
	// Services are the participants with each change in another service,
	// by service and kind (only the changes some site recorded).
	Services []ServiceRow `json:"service_changes"`
}

// ServiceRow is the participants with one kind of change in one service.
type ServiceRow struct {
	Service      string `json:"service"`
	Kind         string `json:"kind"`
	Participants Figure `json:"participants"`
}

// ParticipationRow sums what participants did month by month.
type ParticipationRow struct {
	Participants      Figure `json:"participants"`
	ParticipantMonths Figure `json:"participant_months"`
	MeetingsHeld      Figure `json:"meetings_held"`
	MeetingsAttended  Figure `json:"meetings_attended"`
	JournalsDue       Figure `json:"journals_due"`
	JournalsCompleted Figure `json:"journals_completed"`
	// StipendSpent is the stipend spent, in dollars.
	StipendSpent Figure `json:"stipend_spent_dollars"`
	// Months is participation by program month (1 to 12).
	Months          []MonthRow `json:"by_program_month"`
	AttendanceShare Figure     `json:"attendance_share"`
	JournalShare    Figure     `json:"journal_completion_share"`
	ReceiptShare    Figure     `json:"receipt_compliance_share"`
	OutingsByStage  []Figure   `json:"outings_by_stage"`
}

// MonthRow is participation in one program month: the participants with
// a record of it, the shares of meetings attended and journals completed,
// and the stipend spent (dollars).
type MonthRow struct {
	Month           int    `json:"program_month"`
	Participants    Figure `json:"participants"`
	AttendanceShare Figure `json:"attendance_share"`
	JournalShare    Figure `json:"journal_completion_share"`
	StipendSpent    Figure `json:"stipend_spent_dollars"`
}

// SiteRow is one site of the per-site breakdown.
type SiteRow struct {
	SiteID            string `json:"site_id"`
	Site              string `json:"site"`
	Organization      string `json:"organization"`
	State             string `json:"state"`
	Participants      Figure `json:"participants"`
	FirstInterviews   Figure `json:"first_interviews"`
	ClosingInterviews Figure `json:"closing_interviews"`
	Surveys           Figure `json:"surveys"`
	HospParticipants  Figure `json:"hospitalization_participants"`
}

// siteInfos loads every site with its organization.
func (s *Store) siteInfos(ctx context.Context, db *gorm.DB) (map[string]siteInfo, error) {
	var rows []siteInfo
	err := db.WithContext(ctx).Raw(`SELECT s.id, s.name, s.org_id, o.name AS org_name, o.type AS org_type, o.state FROM sites s JOIN organizations o ON o.id = s.org_id`).Scan(&rows).Error
	out := make(map[string]siteInfo, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, err
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// Outcomes computes the report for a filter from the rollups and applies
// small-cell suppression with the given minimum cell (DefaultMinCell when
// below 1). The filter's values are the caller's to check.
func (s *Store) Outcomes(ctx context.Context, f OutcomeFilter, minCell int) (OutcomeReport, error) {
	b, err := s.basis(ctx, minCell)
	if err != nil {
		return OutcomeReport{Filter: f, MinCell: b.minCell, Release: b.version}, err
	}
	return b.outcomes(f), nil
}

// outcomes is the report for a filter from a basis already read.
func (b basis) outcomes(f OutcomeFilter) OutcomeReport {
	rep := OutcomeReport{Filter: f, MinCell: b.minCell, Release: b.version}
	minCell, content, pub := b.minCell, b.content, b.pub
	rep.AsOf = pub.asOf
	v := pub.view(f)
	hidden := func(k string) bool { return v.hid(k) }
	count := func(k string) Figure {
		if hidden(k) {
			return hiddenFigure(minCell)
		}
		return shown(float64(v.val(k)))
	}
	// ratio is num/den (times scale, rounded) when the cells it rests on
	// are shown and den is not zero.
	ratio := func(num, den int64, scale float64, places int, rests ...string) Figure {
		for _, k := range rests {
			if hidden(k) {
				return hiddenFigure(minCell)
			}
		}
		if den == 0 {
			return none()
		}
		return shown(round(float64(num)/float64(den)*scale, places))
	}
	rep.Participants, rep.FirstInterviews, rep.MidInterviews, rep.ClosingInterviews, rep.Surveys = count("total/participants"), count("total/first_interviews"),
		count("total/mid_interviews"), count("total/closing_interviews"), count("total/surveys")
	for _, it := range content.Asked() {
		row := IndicatorRow{Code: it.Code, Number: it.Number, Text: it.Text}
		share := func(tp string) (Figure, Figure) {
			k := "pom/" + tp + "/" + it.Code + "/"
			return count(k + "n"), ratio(v.val(k+"present"), v.val(k+"n"), 100, 1, k+"n", k+"present", k+"absent")
		}
		row.FirstN, row.FirstShare = share(contract.TimepointEligibility)
		row.MidpointN, row.MidpointShare = share(contract.TimepointMidpoint)
		row.ClosingN, row.ClosingShare = share(contract.TimepointClosing)
		switch {
		case row.FirstShare.Suppressed || row.ClosingShare.Suppressed:
			row.ChangePoints = hiddenFigure(minCell)
		case row.FirstShare.Value != nil && row.ClosingShare.Value != nil:
			row.ChangePoints = shown(round(*row.ClosingShare.Value-*row.FirstShare.Value, 1))
		}
		row.ToMidpoint, _ = pairedFigures(v, "mf", it.Code, minCell)
		row.ToClosing, _ = pairedFigures(v, "cf", it.Code, minCell)
		rep.Indicators = append(rep.Indicators, row)
	}
	for _, st := range content.Survey.Statements {
		row := StatementRow{Code: st.Code, Number: st.Number, Text: st.Text}
		k := "survey/" + st.Code + "/"
		for _, a := range contract.SurveyAnswers {
			row.Answers = append(row.Answers, count(k+a))
			row.Shares = append(row.Shares, ratio(v.val(k+a), v.val(k+"n"), 100, 1, k+"n", k+a))
		}
		row.N = count(k + "n")
		row.HighestShare = ratio(v.val(k+contract.SurveyAnswers[0]), v.val(k+"n"), 100, 1, k+"n", k+contract.SurveyAnswers[0])
		rep.Statements = append(rep.Statements, row)
	}
	rep.Hospitalizations, rep.Participation = hospitalRow(v, count, ratio), participationRow(v, count, ratio)
	for _, sv := range v.sites() {
		si := sv.site()
		sc := func(k string) Figure {
			if sv.hid(k) {
				return hiddenFigure(minCell)
			}
			return shown(float64(sv.val(k)))
		}
		rep.Sites = append(rep.Sites, SiteRow{SiteID: si.ID, Site: si.Name, Organization: si.OrgName, State: si.State,
			Participants: sc("total/participants"), FirstInterviews: sc("total/first_interviews"), ClosingInterviews: sc("total/closing_interviews"),
			Surveys: sc("total/surveys"), HospParticipants: sc("total/hosp_participants")})
	}
	sortSites(rep.Sites)
	return rep
}

func sortSites(rows []SiteRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Organization != rows[j].Organization {
			return rows[i].Organization < rows[j].Organization
		}
		return rows[i].Site < rows[j].Site
	})
}

// figureCount and figureRatio read a report's counts and ratios (Outcomes).
type (
	figureCount func(k string) Figure
	figureRatio func(num, den int64, scale float64, places int, rests ...string) Figure
)

// hospitalRow is the report's hospitalizations.
func hospitalRow(v view, count figureCount, ratio figureRatio) HospitalizationRow {
	hp := "total/hosp_participants"
	h := HospitalizationRow{
		Participants:     count(hp),
		ParticipantYears: ratio(v.val("total/hosp_months"), 12, 1, 1, hp),
		BeforeRate:       ratio(v.val("total/hosp_before"), 2*v.val(hp), 1, 2, hp),
		DuringRate:       ratio(v.val("total/hosp_during")*12, v.val("total/hosp_months"), 1, 2, hp),
		Before:           ratio(v.val("total/hosp_before"), 1, 1, 0, hp),
		During:           ratio(v.val("total/hosp_during"), 1, 1, 0, hp),
		Hospitalized:     count(hospitalizedCell),
	}
	for _, svc := range contract.Services {
		for _, kind := range contract.ServiceChangeKinds {
			if k := serviceCell(svc, kind); v.p.has(k) {
				h.Services = append(h.Services, ServiceRow{Service: svc, Kind: kind, Participants: count(k)})
			}
		}
	}
	return h
}

// participationRow is the report's participation, in all and by program
// month.
func participationRow(v view, count figureCount, ratio figureRatio) ParticipationRow {
	pp := "total/part_participants"
	p := ParticipationRow{
		Participants:      count(pp),
		ParticipantMonths: ratio(v.val("total/part_months"), 1, 1, 0, pp),
		MeetingsHeld:      ratio(v.val("total/meetings_held"), 1, 1, 0, pp),
		MeetingsAttended:  ratio(v.val("total/meetings_attended"), 1, 1, 0, pp),
		JournalsDue:       ratio(v.val("total/journals_due"), 1, 1, 0, pp),
		JournalsCompleted: ratio(v.val("total/journals_completed"), 1, 1, 0, pp),
		StipendSpent:      ratio(v.val(stipendCell), 100, 1, 2, pp),
		AttendanceShare:   ratio(v.val("total/meetings_attended"), v.val("total/meetings_held"), 100, 1, pp),
		JournalShare:      ratio(v.val("total/journals_completed"), v.val("total/journals_due"), 100, 1, pp),
		ReceiptShare:      ratio(v.val("total/receipts_ok"), v.val("total/spend_months"), 100, 1, pp),
	}
	for m := 1; m <= 12; m++ {
		mp := monthCell(m, "participants")
		if !v.p.has(mp) {
			continue
		}
		mc := func(part string) int64 { return v.val(monthCell(m, part)) }
		p.Months = append(p.Months, MonthRow{Month: m, Participants: count(mp),
			AttendanceShare: ratio(mc("attended"), mc("held"), 100, 1, mp), JournalShare: ratio(mc("done"), mc("due"), 100, 1, mp),
			StipendSpent: ratio(mc("stipend"), 100, 1, 2, mp)})
	}
	for i := 1; i <= contract.OutingStages; i++ {
		p.OutingsByStage = append(p.OutingsByStage, ratio(v.val("total/outings"+strconv.Itoa(i)), 1, 1, 0, pp))
	}
	return p
}
