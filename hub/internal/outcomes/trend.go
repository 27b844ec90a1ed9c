package outcomes

import (
	"context"
	"slices"

	"github.com/itsmylife/iml/hub/internal/suppress"
)

// TrendYear is a filter's key figures for the participants who enrolled
// in one year: their number, the share of all survey answers given that
// year with the highest rating, and one indicator's paired change from
// the first to the closing interview. Each is the report's for the filter
// with that year, suppressed as it is.
type TrendYear struct {
	Year         int           `json:"year"`
	Participants Figure        `json:"participants"`
	HighestShare Figure        `json:"highest_share"`
	Change       PairedFigures `json:"paired_to_closing"`
}

// Trend is a filter's key figures by enrollment year, oldest first, with
// the indicator whose paired change it follows.
type Trend struct {
	Indicator IndicatorRow `json:"indicator"`
	Years     []TrendYear  `json:"years"`
}

// maxTrendYears is how many enrollment years a trend shows: the latest.
const maxTrendYears = 8

// Trend reads the filter's key figures for each enrollment year the
// publication counts (the filter's own year is ignored), following the
// indicator named by code, or the first one asked when code names none.
// It answers the code it followed.
func (s *Store) Trend(ctx context.Context, f OutcomeFilter, code string, minCell int) (Trend, error) {
	var t Trend
	b, err := s.basis(ctx, minCell)
	if err != nil {
		return t, err
	}
	var years []int
	for _, n := range b.pub.lat.Nodes {
		if n.Year != suppress.AllYears && !slices.Contains(years, n.Year) {
			years = append(years, n.Year)
		}
	}
	slices.Sort(years)
	if len(years) > maxTrendYears {
		years = years[len(years)-maxTrendYears:]
	}
	for _, y := range years {
		f.Year = y
		rep := b.outcomes(f) // one basis (release and publication) for every year
		i := slices.IndexFunc(rep.Indicators, func(r IndicatorRow) bool { return r.Code == code })
		if i < 0 && len(rep.Indicators) > 0 {
			i = 0
		}
		ty := TrendYear{Year: y, Participants: rep.Participants, HighestShare: none()}
		if v, ok := answersSummary(rep); ok {
			ty.HighestShare = shown(v)
		} else if surveyHidden(rep) {
			ty.HighestShare = hiddenFigure(rep.MinCell)
		}
		if i >= 0 {
			t.Indicator = rep.Indicators[i]
			ty.Change = rep.Indicators[i].ToClosing
		}
		t.Years = append(t.Years, ty)
	}
	return t, nil
}

// surveyHidden reports whether any of a report's survey answers is
// suppressed.
func surveyHidden(rep OutcomeReport) bool {
	for _, st := range rep.Statements {
		if st.N.Suppressed || slices.ContainsFunc(st.Answers, func(a Figure) bool { return a.Suppressed }) {
			return true
		}
	}
	return false
}
