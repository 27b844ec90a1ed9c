package outings

import (
	"fmt"
	"html"
	"html/template"
	"strings"

	"github.com/itsmylife/iml/agent/internal/rules"
)

// Geometry of the outings chart, in SVG user units.
const (
	chartW      = 640
	chartH      = 230
	chartLeft   = 240
	chartRight  = 16
	chartTop    = 14
	chartBottom = 44
)

// outingsChart draws the highest outing stage of each program month as a
// step chart: one level per stage, a step for each month with outings, a
// gap for a month without, and a dashed line at the current month. It is
// plain SVG (well-formed XML) with no script and no inline style, so the
// page's content security policy lets it show.
func outingsChart(prog []rules.MonthStage, month int) template.HTML {
	n := len(prog)
	if n == 0 {
		return ""
	}
	plotW := float64(chartW - chartLeft - chartRight)
	rowH := float64(chartH-chartTop-chartBottom) / 4
	colW := plotW / float64(n)
	x := func(m int) float64 { return chartLeft + float64(m-1)*colW }
	y := func(stage int) float64 { return chartTop + float64(4-stage)*rowH + rowH/2 }
	var b strings.Builder
	var summary []string
	for _, m := range prog {
		if m.Highest > 0 {
			summary = append(summary, fmt.Sprintf("month %d: stage %d", m.Month, m.Highest))
		}
	}
	desc := "No outings recorded yet."
	if len(summary) > 0 {
		desc = "Highest stage by program month: " + strings.Join(summary, "; ") + "."
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="outings-chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="outings-chart-title outings-chart-desc">`,
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<title id="outings-chart-title">Social outing stages by program month</title><desc id="outings-chart-desc">%s</desc>`, html.EscapeString(desc))
	for _, st := range rules.Stages {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e3e7eb"/>`, chartLeft, chartW-chartRight, y(st), y(st))
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle" font-size="11">%s</text>`,
			chartLeft-8, y(st), html.EscapeString(fmt.Sprintf("%d %s", st, rules.StageName(st))))
	}
	for _, m := range prog {
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle" font-size="11">%d</text>`, x(m.Month)+colW/2, chartH-chartBottom+16, m.Month)
	}
	fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%d" text-anchor="middle" font-size="12">Program month</text>`, chartLeft+plotW/2, chartH-6)
	if month >= 1 && month <= n {
		fmt.Fprintf(&b, `<line class="now" x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#6b7785" stroke-dasharray="4 3"><title>This month (month %d)</title></line>`,
			x(month)+colW/2, x(month)+colW/2, chartTop, chartH-chartBottom, month)
	}
	var path strings.Builder
	prev := 0
	for _, m := range prog {
		switch {
		case m.Highest == 0:
		case prev == 0:
			fmt.Fprintf(&path, "M%.1f %.1fH%.1f", x(m.Month), y(m.Highest), x(m.Month)+colW)
		default:
			fmt.Fprintf(&path, "V%.1fH%.1f", y(m.Highest), x(m.Month)+colW)
		}
		prev = m.Highest
	}
	if path.Len() > 0 {
		fmt.Fprintf(&b, `<path class="step" d="%s" fill="none" stroke="#1f6f5c" stroke-width="3"/>`, path.String())
	}
	for _, m := range prog {
		if m.Highest == 0 {
			continue
		}
		outings := "1 outing"
		if m.Outings != 1 {
			outings = fmt.Sprintf("%d outings", m.Outings)
		}
		fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="4" fill="#1f6f5c"><title>%s</title></circle>`, x(m.Month)+colW/2, y(m.Highest),
			html.EscapeString(fmt.Sprintf("Month %d: stage %d (%s), %s", m.Month, m.Highest, rules.StageName(m.Highest), outings)))
	}
	b.WriteString(`</svg>`)
	// #nosec G203 -- built above from numbers and escaped text only.
	return template.HTML(b.String())
}
