package outcomes

import (
	"context"
	"math"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// POMFilter narrows the POM report.
type POMFilter struct {
	OrgID  string `form:"org" json:"org,omitempty"`
	SiteID string `form:"site" json:"site,omitempty"`
}

// POMIndicator is one row of the POM report. A count or share that small
// cells would reveal is null, and the indicator's Suppressed says so.
type POMIndicator struct {
	Code           string   `json:"code"`
	Number         int      `json:"number,omitempty"`
	Text           string   `json:"text"`
	FirstN         *int     `json:"first_n"`
	FirstPresent   *int     `json:"first_present"`
	FirstShare     *float64 `json:"first_share"`
	MidpointN      *int     `json:"midpoint_n"`
	MidPresent     *int     `json:"midpoint_present"`
	MidpointShare  *float64 `json:"midpoint_share"`
	ClosingN       *int     `json:"closing_n"`
	ClosingPresent *int     `json:"closing_present"`
	ClosingShare   *float64 `json:"closing_share"`
	// ChangePoints is closing share minus first share, in percentage
	// points: of everyone interviewed at each (unpaired).
	ChangePoints *float64 `json:"change_points"`
	// ToMidpoint and ToClosing are the paired changes: the same
	// participants at their first and their mid-point or closing
	// interview; null when suppressed.
	ToMidpoint *PairedFigures `json:"paired_to_midpoint"`
	ToClosing  *PairedFigures `json:"paired_to_closing"`
	Suppressed bool           `json:"suppressed,omitempty"`
}

// POMReport is the national POM table. Participants counts participant
// records; Interviews the interviews at the three timepoints. Either is
// null when suppressed.
type POMReport struct {
	Release      string         `json:"release"`
	Filter       POMFilter      `json:"filter"`
	MinCell      int            `json:"min_cell"`
	Participants *int           `json:"participants"`
	Interviews   *int           `json:"interviews"`
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
// interviews, the change in points and the number of answers behind each,
// from the same rollups and with the same small-cell suppression as the
// outcomes report (so the two never differ on a cell).
func (s *Store) POMReport(ctx context.Context, f POMFilter, minCell int) (POMReport, error) {
	b, err := s.basis(ctx, minCell)
	rep := POMReport{Filter: f, MinCell: b.minCell, Release: b.version}
	if err != nil {
		return rep, err
	}
	content, pub := b.content, b.pub
	v := pub.view(OutcomeFilter{OrgID: f.OrgID, SiteID: f.SiteID})
	count := func(keys ...string) *int {
		n := 0
		for _, k := range keys {
			if v.hid(k) {
				return nil
			}
			n += int(v.val(k))
		}
		return &n
	}
	rep.Participants = count("total/participants")
	rep.Interviews = count("total/first_interviews", "total/mid_interviews", "total/closing_interviews")
	for _, it := range content.Asked() {
		ind := POMIndicator{Code: it.Code, Number: it.Number, Text: it.Text}
		at := func(tp string) (*int, *int, *float64) {
			k := "pom/" + tp + "/" + it.Code + "/"
			n := count(k + "n")
			present := count(k+"present", k+"absent")
			if present == nil || n == nil {
				ind.Suppressed = true
				return n, nil, nil
			}
			*present = int(v.val(k + "present"))
			return n, present, share(*present, *n)
		}
		ind.FirstN, ind.FirstPresent, ind.FirstShare = at(contract.TimepointEligibility)
		ind.MidpointN, ind.MidPresent, ind.MidpointShare = at(contract.TimepointMidpoint)
		ind.ClosingN, ind.ClosingPresent, ind.ClosingShare = at(contract.TimepointClosing)
		for _, sp := range pairSpans {
			c, ok := pairedFigures(v, sp.name, it.Code, b.minCell)
			if !ok {
				ind.Suppressed = true
				continue
			}
			if sp.later == contract.TimepointMidpoint {
				ind.ToMidpoint = &c
			} else {
				ind.ToClosing = &c
			}
		}
		if ind.FirstShare != nil && ind.ClosingShare != nil {
			v := math.Round((*ind.ClosingShare-*ind.FirstShare)*10) / 10
			ind.ChangePoints = &v
		}
		rep.Indicators = append(rep.Indicators, ind)
	}
	return rep, nil
}

// basis is what every report starts from: the minimum cell, the release
// in force (its version and content) and the publication for that cell.
type basis struct {
	minCell int
	version string
	content program.Release
	pub     *publication
}

// basis reads a report's basis for a minimum cell (DefaultMinCell when
// below 1); on an error it holds what was read before it.
func (s *Store) basis(ctx context.Context, minCell int) (basis, error) {
	if minCell < 1 {
		minCell = DefaultMinCell
	}
	b := basis{minCell: minCell}
	var err error
	if b.version, b.content, err = s.LatestContent(ctx); err != nil {
		return basis{minCell: minCell}, err
	}
	b.pub, err = s.published(ctx, int64(minCell))
	return b, err
}
