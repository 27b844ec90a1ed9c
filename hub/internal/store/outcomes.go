package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/program"
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

func (f OutcomeFilter) place() bool {
	return f.SiteID != "" || f.OrgID != "" || f.OrgType != "" || f.State != ""
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

// siteCols are the per-site breakdown's columns.
var siteCols = []string{"participants", "first_interviews", "closing_interviews", "surveys", "hosp_participants"}

// totalKeys and siteColIdx spare the per-site loop its string building.
var totalKeys, siteColIdx = func() ([]string, []int) {
	tk := make([]string, len(peopleCols))
	for i, c := range peopleCols {
		tk[i] = "total/" + c
	}
	si := make([]int, len(siteCols))
	for i, c := range siteCols {
		si[i] = idx(peopleCols, c)
	}
	return tk, si
}()

// cube is the raw counts of one report, by cell name:
//
//	pom/<timepoint>/<indicator>/{n,present,absent}
//	survey/<statement>/<answer>, survey/<statement>/n
//	site/<site id>/<column>, total/<column>
type cube map[string]int64

// siteInfo is what the report knows of a site beyond its counts.
type siteInfo struct {
	ID, Name, OrgID, OrgName, OrgType, State string
}

// cubes computes the raw counts for a filter, one cube per combination of
// values of the dimensions by (joined with "~"; "" for one cube of
// everything matching the filter).
func (s *Store) cubes(ctx context.Context, db *gorm.DB, f OutcomeFilter, by ...string) (map[string]cube, error) {
	usePlace := f.place()
	for _, d := range by {
		usePlace = usePlace || d == dimSite || d == dimOrg || d == dimType || d == dimState
	}
	var conds []string
	var args []any
	for _, d := range dims {
		v := f.get(d)
		if v == "" {
			continue
		}
		if d == dimYear {
			conds = append(conds, "t.year = ?")
			args = append(args, f.Year)
			continue
		}
		conds = append(conds, dimExpr[d]+" = ?")
		args = append(args, v)
	}
	where := "1 = 1"
	if len(conds) > 0 {
		where = strings.Join(conds, " AND ")
	}
	g, gb := "''", "" // PostgreSQL refuses a constant in GROUP BY
	if len(by) > 0 {
		parts := make([]string, len(by))
		for i, d := range by {
			parts[i] = dimExpr[d]
		}
		g = strings.Join(parts, " || '~' || ")
		gb = g + ", "
	}
	join := " t JOIN sites s ON s.id = t.site_id JOIN organizations o ON o.id = s.org_id"
	out := map[string]cube{}
	at := func(k string) cube {
		c := out[k]
		if c == nil {
			c = cube{}
			out[k] = c
		}
		return c
	}
	db = db.WithContext(ctx)
	pomFrom, survFrom := "rollup_pom"+join, "rollup_survey"+join
	if !usePlace {
		pomFrom, survFrom = "rollup_pom_all t", "rollup_survey_all t"
	}
	var pom []struct {
		G, Timepoint, IndicatorCode string
		N, Present                  int64
	}
	if err := db.Raw("SELECT "+g+" AS g, t.timepoint, t.indicator_code, SUM(t.n) AS n, SUM(t.present) AS present FROM "+pomFrom+
		" WHERE "+where+" GROUP BY "+gb+"t.timepoint, t.indicator_code", args...).Scan(&pom).Error; err != nil {
		return nil, err
	}
	for _, r := range pom {
		c, k := at(r.G), "pom/"+r.Timepoint+"/"+r.IndicatorCode+"/"
		c[k+"n"] += r.N
		c[k+"present"] += r.Present
		c[k+"absent"] += r.N - r.Present
	}
	var surv []struct {
		G, StatementCode, Answer string
		N                        int64
	}
	if err := db.Raw("SELECT "+g+" AS g, t.statement_code, t.answer, SUM(t.n) AS n FROM "+survFrom+
		" WHERE "+where+" GROUP BY "+gb+"t.statement_code, t.answer", args...).Scan(&surv).Error; err != nil {
		return nil, err
	}
	for _, r := range surv {
		c := at(r.G)
		c["survey/"+r.StatementCode+"/"+r.Answer] += r.N
		c["survey/"+r.StatementCode+"/n"] += r.N
	}
	sums := make([]string, len(peopleCols))
	for i, col := range peopleCols {
		sums[i] = "SUM(t." + col + ")"
	}
	peopleFrom := "rollup_people" + join
	if !usePlace {
		peopleFrom = "rollup_people t" // no place to match: no join
	}
	rows, err := db.Raw("SELECT "+g+" AS g, t.site_id, "+strings.Join(sums, ", ")+" FROM "+peopleFrom+
		" WHERE "+where+" GROUP BY "+gb+"t.site_id", args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vals := make([]int64, len(peopleCols))
	dest := make([]any, len(peopleCols)+2)
	var gv, site string
	dest[0], dest[1] = &gv, &site
	for i := range vals {
		dest[i+2] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		c := at(gv)
		for i, k := range totalKeys {
			c[k] += vals[i]
		}
		prefix := "site/" + site + "/"
		for i, col := range siteCols {
			c[prefix+col] += vals[siteColIdx[i]]
		}
	}
	return out, rows.Err()
}

func idx(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// isCell reports whether a cube entry is a count suppression protects.
func isCell(k string) bool {
	switch {
	case strings.HasPrefix(k, "pom/"), strings.HasPrefix(k, "survey/"), strings.HasPrefix(k, "site/"):
		return true
	case strings.HasPrefix(k, "total/"):
		return idx(personCols, k[len("total/"):]) >= 0
	}
	return false
}

// tableGroups are the additive groups within one report's tables, with
// the cell names prefixed: present and absent add up to n; a statement's
// answers add up to its n; the sites' column adds up to the total, and the
// sites of one organization, state or organization type to a total other
// filters show (fixed here).
func tableGroups(prefix string, c cube, sites map[string]siteInfo) []cellGroup {
	var gs []cellGroup
	bySub := map[string][]string{}
	for _, k := range sortedKeys(c) {
		parts := strings.Split(k, "/")
		switch {
		case parts[0] == "pom" && parts[3] == "n":
			base := prefix + "pom/" + parts[1] + "/" + parts[2] + "/"
			gs = append(gs, cellGroup{total: base + "n", cells: []string{base + "present", base + "absent"}})
		case parts[0] == "survey" && parts[2] == "n":
			base := prefix + "survey/" + parts[1] + "/"
			g := cellGroup{total: base + "n"}
			for _, a := range contract.SurveyAnswers {
				g.cells = append(g.cells, base+a)
			}
			gs = append(gs, g)
		case parts[0] == "site":
			si := sites[parts[1]]
			col := parts[2]
			cell := prefix + k
			bySub["all/"+col] = append(bySub["all/"+col], cell)
			bySub["org:"+si.OrgID+"/"+col] = append(bySub["org:"+si.OrgID+"/"+col], cell)
			bySub["state:"+si.State+"/"+col] = append(bySub["state:"+si.State+"/"+col], cell)
			bySub["type:"+si.OrgType+"/"+col] = append(bySub["type:"+si.OrgType+"/"+col], cell)
		}
	}
	for _, k := range sortedKeys(bySub) {
		col := k[strings.LastIndex(k, "/")+1:]
		if strings.HasPrefix(k, "all/") {
			gs = append(gs, cellGroup{total: prefix + "total/" + col, cells: bySub[k]})
		} else {
			gs = append(gs, cellGroup{total: "external/" + k, fixed: true, cells: bySub[k]})
		}
	}
	return gs
}

// lattice is the suppression of one request: the filter's dimensions and
// the counts of every combination of their values.
type lattice struct {
	dims  []string        // the filter's dimensions, in dims order
	grid  map[string]cube // by the values of all dims joined with "~"
	sites map[string]siteInfo
	min   int64
	memo  map[string]map[string]map[string]bool // level -> node -> hidden cells
}

// filterDims normalizes a filter into the dimensions suppression looks
// at: a site brings its organization; an organization makes its type and
// state redundant.
func filterDims(f OutcomeFilter) []string {
	var ds []string
	for _, d := range dims {
		switch {
		case f.get(d) != "" && (d == dimType || d == dimState) && f.OrgID != "":
		case f.get(d) != "":
			ds = append(ds, d)
		}
	}
	return ds
}

// hiddenCells decides the suppression of a filter's report, level by
// level from the national report down (hierarchical suppression):
//
//   - the national report: its own tables' groups;
//   - a report filtered by a set S of dimensions is solved together with
//     every other combination of values of S (its siblings): their
//     tables' groups, and for each dimension d of S the line of siblings
//     that differ only in d, which adds up to the report filtered by
//     S without d. That report is solved first (it is shown as it is
//     decided there, so here it is fixed): when it shows a cell, hidden
//     cells on the line get company until at least two are hidden adding
//     up to the minimum; when it hides a cell, at least one cell of the
//     line is hidden too, so the hidden total cannot be summed up.
//
// A cell that holds its whole line's total is the same number as the
// total and takes its fate: hidden with it, or shown and never picked to
// hide (hiding a published number protects nothing).
// The unknown program model has no filter: its reports count as hidden.
// A site's report sits under its organization's.
func (s *Store) hiddenCells(ctx context.Context, db *gorm.DB, version string, f OutcomeFilter, sites map[string]siteInfo, min int64) (map[string]bool, error) {
	if min <= 1 {
		return map[string]bool{}, nil // nothing is small
	}
	if f.SiteID != "" && f.OrgID == "" {
		f.OrgID = sites[f.SiteID].OrgID
	}
	l := &lattice{dims: filterDims(f), sites: sites, min: min, memo: map[string]map[string]map[string]bool{}}
	key := make([]string, len(l.dims))
	for i, d := range l.dims {
		key[i] = f.get(d)
	}
	level := strconv.FormatInt(min, 10) + ":" + strings.Join(l.dims, ",")
	if h, ok := s.suppressed.get(version, level); ok {
		return h[strings.Join(key, "~")], nil
	}
	var err error
	if l.grid, err = s.cubes(ctx, db, OutcomeFilter{}, l.dims...); err != nil {
		return nil, err
	}
	h := l.solve(l.dims)
	levels := map[string]map[string]map[string]bool{}
	for k, v := range l.memo {
		levels[strconv.FormatInt(min, 10)+":"+k] = v
	}
	s.suppressed.put(version, levels)
	return h[strings.Join(key, "~")], nil
}

// nodes sums the grid up to the level of dimensions sub (a subset of
// l.dims): one cube per combination of their values.
func (l *lattice) nodes(sub []string) map[string]cube {
	pos := make([]int, len(sub))
	for i, d := range sub {
		pos[i] = idx(l.dims, d)
	}
	out := map[string]cube{}
	for gk, c := range l.grid {
		vals := strings.Split(gk, "~")
		if len(l.dims) == 0 {
			vals = nil
		}
		k := make([]string, len(sub))
		for i, p := range pos {
			k[i] = vals[p]
		}
		nk := strings.Join(k, "~")
		n := out[nk]
		if n == nil {
			n = cube{}
			out[nk] = n
		}
		for ck, v := range c {
			n[ck] += v
		}
	}
	if len(out) == 0 {
		out[""] = cube{}
	}
	return out
}

// solve returns the hidden cells of every report at the level sub.
func (l *lattice) solve(sub []string) map[string]map[string]bool {
	lk := strings.Join(sub, ",")
	if h, ok := l.memo[lk]; ok {
		return h
	}
	nodes := l.nodes(sub)
	values := map[string]int64{}
	pre, locked := map[string]bool{}, map[string]bool{}
	var groups []cellGroup
	modelAt := idx(sub, dimModel)
	for _, nk := range sortedKeys(nodes) {
		c := nodes[nk]
		p := nk + "|"
		unknownModel := modelAt >= 0 && strings.Split(nk, "~")[modelAt] == ""
		for k, v := range c {
			if isCell(k) {
				values[p+k] = v
				if unknownModel {
					pre[p+k] = true
				}
			}
		}
		groups = append(groups, tableGroups(p, c, l.sites)...)
	}
	for i, d := range sub {
		if d == dimOrg && slices.Contains(sub, dimSite) {
			continue // a site lies in one organization: nothing to add up
		}
		lower := append(append([]string{}, sub[:i]...), sub[i+1:]...)
		if d == dimSite && !slices.Contains(lower, dimOrg) {
			continue // never happens: a site brings its organization
		}
		lowerHidden := l.solve(lower)
		lowerNodes := l.nodes(lower)
		lines := map[string][]string{} // lower node -> nodes on its line
		for _, nk := range sortedKeys(nodes) {
			vals := strings.Split(nk, "~")
			lk := strings.Join(append(append([]string{}, vals[:i]...), vals[i+1:]...), "~")
			lines[lk] = append(lines[lk], nk)
		}
		for _, lk := range sortedKeys(lines) {
			for _, ck := range sortedKeys(lowerNodes[lk]) {
				if !isCell(ck) {
					continue
				}
				g := cellGroup{total: "lower|" + lk + "|" + ck, fixed: true, totalHidden: lowerHidden[lk][ck]}
				nonZero := []string{}
				for _, nk := range lines[lk] {
					g.cells = append(g.cells, nk+"|"+ck)
					if values[nk+"|"+ck] != 0 {
						nonZero = append(nonZero, nk+"|"+ck)
					}
				}
				// A cell holding its line's whole total is the same number
				// as the total: it takes the total's fate (a site's cells
				// along a place line always do).
				if len(nonZero) == 1 {
					if g.totalHidden {
						pre[nonZero[0]] = true
					} else {
						locked[nonZero[0]] = true
					}
				}
				groups = append(groups, g)
			}
		}
	}
	h := suppression(values, groups, l.min, pre, locked)
	out := map[string]map[string]bool{}
	for k := range h {
		if nk, ck, ok := strings.Cut(k, "|"); ok && values[k] >= 0 {
			if out[nk] == nil {
				out[nk] = map[string]bool{}
			}
			out[nk][ck] = true
		}
	}
	l.memo[lk] = out
	return out
}

// snapshot runs fn on one consistent view of the database: a read-only
// repeatable-read transaction on PostgreSQL, so a projection committing
// meanwhile cannot make the figures and their suppression disagree.
// SQLite (one embedded hub) reads without a transaction, which there
// would take the write lock.
func (s *Store) snapshot(ctx context.Context, fn func(db *gorm.DB) error) error {
	if s.dialect != dbx.Postgres {
		return fn(s.DB)
	}
	return s.DB.WithContext(ctx).Transaction(fn, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

// suppressedCube reads a filter's counts and decides their suppression,
// on one snapshot.
func (s *Store) suppressedCube(ctx context.Context, f OutcomeFilter, minCell int) (cube, map[string]bool, map[string]siteInfo, error) {
	var sites map[string]siteInfo
	var c cube
	var hidden map[string]bool
	err := s.snapshot(ctx, func(db *gorm.DB) error {
		var version string
		if err := db.Raw("SELECT value FROM hub_meta WHERE key = ?", metaRollupVersion).Scan(&version).Error; err != nil {
			return err
		}
		var err error
		var ok bool
		if sites, ok = s.suppressed.getSites(version); !ok {
			if sites, err = s.siteInfos(ctx, db); err != nil {
				return err
			}
			s.suppressed.putSites(version, sites)
		}
		all, err := s.cubes(ctx, db, f)
		if err != nil {
			return err
		}
		if c = all[""]; c == nil {
			c = cube{}
		}
		hidden, err = s.hiddenCells(ctx, db, version, f, sites, int64(minCell))
		return err
	})
	return c, hidden, sites, err
}

// OutcomeReport is the program's report for a filter, with small cells
// suppressed.
type OutcomeReport struct {
	Release           string             `json:"release"`
	Filter            OutcomeFilter      `json:"filter"`
	MinCell           int                `json:"min_cell"`
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
	ChangePoints  Figure `json:"change_points"`
}

// StatementRow is one survey statement: the count of each answer (in the
// order of contract.SurveyAnswers), the number of answers and the share
// of the highest rating.
type StatementRow struct {
	Code         string   `json:"code"`
	Number       int      `json:"number,omitempty"`
	Text         string   `json:"text"`
	Answers      []Figure `json:"answers"`
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
}

// ParticipationRow sums what participants did month by month.
type ParticipationRow struct {
	Participants      Figure   `json:"participants"`
	ParticipantMonths Figure   `json:"participant_months"`
	AttendanceShare   Figure   `json:"attendance_share"`
	JournalShare      Figure   `json:"journal_completion_share"`
	ReceiptShare      Figure   `json:"receipt_compliance_share"`
	OutingsByStage    []Figure `json:"outings_by_stage"`
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
	if minCell < 1 {
		minCell = DefaultMinCell
	}
	rep := OutcomeReport{Filter: f, MinCell: minCell}
	rel, err := s.LatestRelease(ctx)
	if err != nil {
		return rep, err
	}
	var content program.Release
	if err := json.Unmarshal([]byte(rel.Content), &content); err != nil {
		return rep, err
	}
	rep.Release = rel.Version
	c, hidden, sites, err := s.suppressedCube(ctx, f, minCell)
	if err != nil {
		return rep, err
	}
	count := func(k string) Figure {
		if hidden[k] {
			return hiddenFigure(minCell)
		}
		return shown(float64(c[k]))
	}
	// ratio is num/den (times scale, rounded) when the cells it rests on
	// are shown and den is not zero.
	ratio := func(num, den int64, scale float64, places int, rests ...string) Figure {
		for _, k := range rests {
			if hidden[k] {
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
	for _, it := range content.POM.Items {
		row := IndicatorRow{Code: it.Code, Number: it.Number, Text: it.Text}
		share := func(tp string) (Figure, Figure) {
			k := "pom/" + tp + "/" + it.Code + "/"
			return count(k + "n"), ratio(c[k+"present"], c[k+"n"], 100, 1, k+"n", k+"present", k+"absent")
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
		rep.Indicators = append(rep.Indicators, row)
	}
	for _, st := range content.Survey.Statements {
		row := StatementRow{Code: st.Code, Number: st.Number, Text: st.Text}
		k := "survey/" + st.Code + "/"
		for _, a := range contract.SurveyAnswers {
			row.Answers = append(row.Answers, count(k+a))
		}
		row.N = count(k + "n")
		row.HighestShare = ratio(c[k+contract.SurveyAnswers[0]], c[k+"n"], 100, 1, k+"n", k+contract.SurveyAnswers[0])
		rep.Statements = append(rep.Statements, row)
	}
	hp := "total/hosp_participants"
	rep.Hospitalizations = HospitalizationRow{
		Participants:     count(hp),
		ParticipantYears: ratio(c["total/hosp_months"], 12, 1, 1, hp),
		BeforeRate:       ratio(c["total/hosp_before"], 2*c[hp], 1, 2, hp),
		DuringRate:       ratio(c["total/hosp_during"]*12, c["total/hosp_months"], 1, 2, hp),
	}
	pp := "total/part_participants"
	rep.Participation = ParticipationRow{
		Participants:      count(pp),
		ParticipantMonths: ratio(c["total/part_months"], 1, 1, 0, pp),
		AttendanceShare:   ratio(c["total/meetings_attended"], c["total/meetings_held"], 100, 1, pp),
		JournalShare:      ratio(c["total/journals_completed"], c["total/journals_due"], 100, 1, pp),
		ReceiptShare:      ratio(c["total/receipts_ok"], c["total/spend_months"], 100, 1, pp),
	}
	for i := 1; i <= contract.OutingStages; i++ {
		rep.Participation.OutingsByStage = append(rep.Participation.OutingsByStage, ratio(c["total/outings"+strconv.Itoa(i)], 1, 1, 0, pp))
	}
	seen := map[string]bool{}
	for k := range c {
		if strings.HasPrefix(k, "site/") {
			seen[strings.Split(k, "/")[1]] = true
		}
	}
	for _, id := range sortedKeys(seen) {
		si := sites[id]
		k := "site/" + id + "/"
		rep.Sites = append(rep.Sites, SiteRow{SiteID: id, Site: si.Name, Organization: si.OrgName, State: si.State,
			Participants: count(k + "participants"), FirstInterviews: count(k + "first_interviews"), ClosingInterviews: count(k + "closing_interviews"),
			Surveys: count(k + "surveys"), HospParticipants: count(k + "hosp_participants")})
	}
	sortSites(rep.Sites)
	return rep, nil
}

func sortSites(rows []SiteRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Organization != rows[j].Organization {
			return rows[i].Organization < rows[j].Organization
		}
		return rows[i].Site < rows[j].Site
	})
}
