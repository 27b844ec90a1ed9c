package outcomes

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
)

// trendChart draws a filter's key figures by enrollment year, in three
// panels with a row per year: the participants, the share of survey
// answers with the highest rating, and one indicator's paired change
// first to closing with its 95% interval. A suppressed figure is a gap
// that says so.
func trendChart(t Trend) template.HTML {
	c := newChart("trendchart")
	if len(t.Years) == 0 {
		c.text(chartPad, 24, "axis note", "", "No enrollment year has records yet.")
		return c.end("Key figures by enrollment year", 36)
	}
	const lx = chartPad + 44 // where the plots start, after the year
	plot := float64(chartW-chartPad-lx) - 50
	note := func(y float64, f Figure) bool {
		if s := figNote(f, "none"); s != "" {
			if f.Suppressed {
				s = "suppressed"
			}
			c.text(lx, y+14, "axis note", "", s)
			return true
		}
		return false
	}
	topN := 1.0
	for _, ty := range t.Years {
		topN = max(topN, figVal(ty.Participants))
	}
	y := 4.0
	c.text(chartPad, y+14, "head", "", "Participants enrolled")
	y += 22
	for _, ty := range t.Years {
		c.text(chartPad, y+14, "label", "", strconv.Itoa(ty.Year))
		if !note(y, ty.Participants) {
			w := figVal(ty.Participants) / topN * plot
			c.f(`<rect x="%d" y="%.1f" width="%.1f" height="14" class="during"/>`, lx, y+3, w)
			c.text(float64(lx)+w+5, y+14, "value", "", ty.Participants.String())
		}
		y += 22
	}
	y += 8
	c.text(chartPad, y+14, "head", "", "Survey answers: definitely agree")
	y += 22
	for _, ty := range t.Years {
		c.text(chartPad, y+14, "label", "", strconv.Itoa(ty.Year))
		c.f(`<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, lx, y+10, float64(lx)+plot, y+10)
		if !note(y, ty.HighestShare) {
			x := float64(lx) + figVal(ty.HighestShare)/100*plot
			c.f(`<circle cx="%.1f" cy="%.1f" r="5" class="closing"/>`, x, y+10)
			c.text(float64(lx)+plot+6, y+14, "value", "", fmt.Sprintf("%.0f%%", figVal(ty.HighestShare)))
		}
		y += 22
	}
	y = trendChanges(c, t, y+8, lx, plot, note)
	return c.end("Key figures by enrollment year: participants, the share of survey answers definitely agreeing, and the paired change of "+t.Indicator.Text, int(y)+4)
}

// trendChanges draws the trend's panel of paired changes from y and
// returns the y below it.
func trendChanges(c *chart, t Trend, y float64, lx int, plot float64, note func(float64, Figure) bool) float64 {
	c.text(chartPad, y+14, "head", "", "Change: "+shorten(t.Indicator.Text, 30))
	y += 22
	top := 10.0
	for _, ty := range t.Years {
		if ty.Change.Lower.Value != nil && ty.Change.Upper.Value != nil {
			top = math.Max(top, math.Max(math.Abs(*ty.Change.Lower.Value), math.Abs(*ty.Change.Upper.Value)))
		}
	}
	top = niceTop(top)
	x := func(v float64) float64 { return float64(lx) + (v/top+1)/2*plot }
	for _, ty := range t.Years {
		p := ty.Change
		c.text(chartPad, y+14, "label", "", strconv.Itoa(ty.Year))
		c.f(`<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="zero"/>`, lx, y+10, float64(lx)+plot, y+10, x(0), y+2, x(0), y+18)
		switch {
		case p.Points.Suppressed || p.N.Suppressed:
			note(y, hiddenFigure(0))
		case p.Points.Value == nil || p.Lower.Value == nil || p.Upper.Value == nil:
			note(y, none())
		default:
			cls := "flat"
			if *p.Lower.Value > 0 {
				cls = "up"
			} else if *p.Upper.Value < 0 {
				cls = "down"
			}
			c.f(`<g class="change %s"><title>%d: %+.1f points (95%% interval %+.1f to %+.1f), %s participants</title><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="ci"/><circle cx="%.1f" cy="%.1f" r="5" class="pt"/></g>`,
				cls, ty.Year, *p.Points.Value, *p.Lower.Value, *p.Upper.Value, p.N.String(), x(*p.Lower.Value), y+10, x(*p.Upper.Value), y+10, x(*p.Points.Value), y+10)
			c.text(float64(lx)+plot+6, y+14, "value", "", fmt.Sprintf("%+.0f", *p.Points.Value))
		}
		y += 22
	}
	c.text(float64(lx), y+12, "axis", "", fmt.Sprintf("−%g", top))
	c.text(x(0), y+12, "axis", "middle", "0")
	c.text(float64(lx)+plot, y+12, "axis", "end", fmt.Sprintf("+%g points", top))
	return y + 18
}
