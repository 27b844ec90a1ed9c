package store

import (
	"context"
	"encoding/json"
	"math"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// POMFilter narrows the POM report.
type POMFilter struct {
	OrgID  string `form:"org" json:"org,omitempty"`
	SiteID string `form:"site" json:"site,omitempty"`
}

// POMIndicator is one row of the POM report.
type POMIndicator struct {
	Code           string   `json:"code"`
	Number         int      `json:"number,omitempty"`
	Text           string   `json:"text"`
	FirstN         int      `json:"first_n"`
	FirstPresent   int      `json:"first_present"`
	FirstShare     *float64 `json:"first_share"`
	MidpointN      int      `json:"midpoint_n"`
	MidPresent     int      `json:"midpoint_present"`
	MidpointShare  *float64 `json:"midpoint_share"`
	ClosingN       int      `json:"closing_n"`
	ClosingPresent int      `json:"closing_present"`
	ClosingShare   *float64 `json:"closing_share"`
	// ChangePoints is closing share minus first share, in percentage points.
	ChangePoints *float64 `json:"change_points"`
}

// POMReport is the national POM table.
type POMReport struct {
	Release      string         `json:"release"`
	Filter       POMFilter      `json:"filter"`
	Participants int            `json:"participants"`
	Interviews   int            `json:"interviews"`
	Indicators   []POMIndicator `json:"indicators"`
}

func share(present, n int) *float64 {
	if n == 0 {
		return nil
	}
	v := math.Round(float64(present)/float64(n)*1000) / 10
	return &v
}

// POMReport computes, per indicator of the latest release, the share with
// the outcome present at the eligibility (first), mid-point and closing
// interviews, the change in points and the number of answers behind each.
func (s *Store) POMReport(ctx context.Context, f POMFilter) (POMReport, error) {
	rep := POMReport{Filter: f}
	rel, err := s.LatestRelease(ctx)
	if err != nil {
		return rep, err
	}
	var content program.Release
	if err := json.Unmarshal([]byte(rel.Content), &content); err != nil {
		return rep, err
	}
	rep.Release = rel.Version
	where, args := "1 = 1", []any{}
	if f.OrgID != "" {
		where += " AND i.org_id = ?"
		args = append(args, f.OrgID)
	}
	if f.SiteID != "" {
		where += " AND i.site_id = ?"
		args = append(args, f.SiteID)
	}
	var rows []struct {
		Timepoint     string
		IndicatorCode string
		N             int
		Present       int
	}
	err = s.DB.WithContext(ctx).Raw(`SELECT i.timepoint, a.indicator_code, COUNT(*) AS n, SUM(CASE WHEN a.present THEN 1 ELSE 0 END) AS present
FROM pom_answers a JOIN pom_interviews i ON i.record_id = a.record_id WHERE `+where+` GROUP BY i.timepoint, a.indicator_code`, args...).Scan(&rows).Error
	if err != nil {
		return rep, err
	}
	var counts struct{ Participants, Interviews int }
	if err := s.DB.WithContext(ctx).Raw(`SELECT COUNT(DISTINCT i.participant_key) AS participants, COUNT(*) AS interviews FROM pom_interviews i WHERE `+where, args...).Scan(&counts).Error; err != nil {
		return rep, err
	}
	rep.Participants, rep.Interviews = counts.Participants, counts.Interviews
	byCode := map[string]*POMIndicator{}
	for _, it := range content.POM.Items {
		rep.Indicators = append(rep.Indicators, POMIndicator{Code: it.Code, Number: it.Number, Text: it.Text})
	}
	for i := range rep.Indicators {
		byCode[rep.Indicators[i].Code] = &rep.Indicators[i]
	}
	for _, r := range rows {
		ind, ok := byCode[r.IndicatorCode]
		if !ok {
			continue // an indicator retired from the current release
		}
		switch r.Timepoint {
		case contract.TimepointEligibility:
			ind.FirstN, ind.FirstPresent = r.N, r.Present
		case contract.TimepointMidpoint:
			ind.MidpointN, ind.MidPresent = r.N, r.Present
		case contract.TimepointClosing:
			ind.ClosingN, ind.ClosingPresent = r.N, r.Present
		}
	}
	for i := range rep.Indicators {
		ind := &rep.Indicators[i]
		ind.FirstShare, ind.MidpointShare, ind.ClosingShare = share(ind.FirstPresent, ind.FirstN), share(ind.MidPresent, ind.MidpointN), share(ind.ClosingPresent, ind.ClosingN)
		if ind.FirstShare != nil && ind.ClosingShare != nil {
			v := math.Round((*ind.ClosingShare-*ind.FirstShare)*10) / 10
			ind.ChangePoints = &v
		}
	}
	return rep, nil
}
