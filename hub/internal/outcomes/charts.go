package outcomes

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// The outcomes report's charts, drawn here as SVG: no script, no
// external file. A suppressed figure is never drawn; its row says so.

func figInt(f Figure) int {
	if f.Value == nil {
		return 0
	}
	return int(*f.Value)
}

// indicatorChart is the dumbbell chart of the POM indicators, first
// versus closing interview.
func indicatorChart(rep OutcomeReport) template.HTML {
	rows := make([]dumbbellRow, len(rep.Indicators))
	for i, ind := range rep.Indicators {
		rows[i] = dumbbellRow{Label: ind.Text, First: ind.FirstShare.Value, FirstN: figInt(ind.FirstN), Closing: ind.ClosingShare.Value, ClosingN: figInt(ind.ClosingN)}
		if ind.FirstShare.Suppressed || ind.ClosingShare.Suppressed {
			rows[i].Note = SuppressedNote(rep.MinCell)
		}
	}
	return dumbbell("indchart", rows)
}

// surveyChart draws each statement's answers as one bar of 100%, the
// highest rating first.
func surveyChart(rep OutcomeReport) template.HTML {
	const rowH, left, width, right = 26, 400, 720, 20
	plotW := float64(width - left - right)
	h := len(rep.Statements)*rowH + 50
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="survchart-title" class="chart">`, width, h)
	b.WriteString(`<title id="survchart-title">Answers to each survey statement, as shares of its answers</title>`)
	for i, st := range rep.Statements {
		y := 20 + i*rowH
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="label" text-anchor="end">%s</text>`, left-8, y+rowH/2+4, html.EscapeString(shorten(st.Text, 58)))
		total, hidden := 0.0, false
		for _, a := range st.Answers {
			hidden = hidden || a.Suppressed
			if a.Value != nil {
				total += *a.Value
			}
		}
		switch {
		case hidden || st.N.Suppressed:
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">%s</text>`, left+4, y+rowH/2+4, SuppressedNote(rep.MinCell))
			continue
		case total == 0:
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">no answers</text>`, left+4, y+rowH/2+4)
			continue
		}
		x := float64(left)
		for j, a := range st.Answers {
			w := *a.Value / total * plotW
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" class="a%d"><title>%s: %d of %d</title></rect>`, x, y+4, w, rowH-8, j+1, answerLabels[j], int(*a.Value), int(total))
			x += w
		}
	}
	for j, l := range answerLabels {
		lx := 20 + j*170
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" class="a%d"/><text x="%d" y="%d" class="axis">%s</text>`, lx, h-18, j+1, lx+14, h-9, l)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

// hospitalizationChart draws hospitalizations per participant-year before
// and during the program as two bars.
func hospitalizationChart(rep OutcomeReport) template.HTML {
	const width, height, left = 720, 130, 200
	hr := rep.Hospitalizations
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="hospchart-title" class="chart">`, width, height)
	b.WriteString(`<title id="hospchart-title">Hospitalizations per participant-year, before and during the program</title>`)
	bars := []struct {
		label, cls string
		f          Figure
	}{{"Two years before", "before", hr.BeforeRate}, {"During the program", "during", hr.DuringRate}}
	maxV := 0.0
	for _, bar := range bars {
		if bar.f.Value != nil && *bar.f.Value > maxV {
			maxV = *bar.f.Value
		}
	}
	if maxV == 0 {
		maxV = 1
	}
	plotW := float64(width - left - 80)
	for i, bar := range bars {
		y := 20 + i*45
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="label" text-anchor="end">%s</text>`, left-8, y+20, bar.label)
		switch {
		case bar.f.Suppressed:
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">%s</text>`, left+4, y+20, SuppressedNote(rep.MinCell))
		case bar.f.Value == nil:
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">no data</text>`, left+4, y+20)
		default:
			w := *bar.f.Value / maxV * plotW
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="28" class="%s"/><text x="%.1f" y="%d" class="axis">%.2f</text>`, left, y+2, w, bar.cls, float64(left)+w+6, y+20, *bar.f.Value)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

// pomChart draws first versus closing share per indicator as an SVG
// dumbbell chart: a hollow dot at the first interview, a filled dot at the
// closing one, a line between.
func pomChart(rep POMReport) template.HTML {
	rows := make([]dumbbellRow, len(rep.Indicators))
	for i, ind := range rep.Indicators {
		rows[i] = dumbbellRow{Label: ind.Text, First: ind.FirstShare, FirstN: deref(ind.FirstN), Closing: ind.ClosingShare, ClosingN: deref(ind.ClosingN)}
		if ind.Suppressed && (ind.FirstShare == nil || ind.ClosingShare == nil) {
			rows[i].Note = SuppressedNote(rep.MinCell)
		}
	}
	return dumbbell("pomchart", rows)
}

// dumbbellRow is one line of a dumbbell chart; a nil share is not drawn,
// and Note, when set, is written instead of the dots.
type dumbbellRow struct {
	Label            string
	First, Closing   *float64
	FirstN, ClosingN int
	Note             string
}

func dumbbell(id string, rows []dumbbellRow) template.HTML {
	const rowH, left, width, right = 26, 400, 720, 20
	plotW := width - left - right
	h := len(rows)*rowH + 50
	x := func(v float64) float64 { return float64(left) + v/100*float64(plotW) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title" class="chart">`, width, h, id)
	fmt.Fprintf(&b, `<title id="%s-title">Share with each outcome present: first interview (hollow) and closing interview (filled)</title>`, id)
	for _, g := range []float64{0, 25, 50, 75, 100} {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="20" x2="%.1f" y2="%d" class="grid"/><text x="%.1f" y="14" class="axis" text-anchor="middle">%.0f%%</text>`, x(g), x(g), h-25, x(g), g)
	}
	for i, r := range rows {
		y := 20 + i*rowH + rowH/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="label" text-anchor="end">%s</text>`, left-8, y+4, html.EscapeString(shorten(r.Label, 58)))
		if r.Note != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">%s</text>`, left+4, y+4, html.EscapeString(r.Note))
			continue
		}
		if r.First != nil && r.Closing != nil {
			cls := "up"
			if *r.Closing < *r.First {
				cls = "down"
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="bar %s"/>`, x(*r.First), y, x(*r.Closing), y, cls)
		}
		if r.First != nil {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="5" class="first"><title>First: %.1f%% of %d</title></circle>`, x(*r.First), y, *r.First, r.FirstN)
		}
		if r.Closing != nil {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="5" class="closing"><title>Closing: %.1f%% of %d</title></circle>`, x(*r.Closing), y, *r.Closing, r.ClosingN)
		}
	}
	fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="5" class="first"/><text x="%d" y="%d" class="axis">first interview</text>`, left, h-8, left+10, h-4)
	fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="5" class="closing"/><text x="%d" y="%d" class="axis">closing interview</text>`, left+140, h-8, left+150, h-4)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

func deref(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-2]) + "…"
	}
	return s
}
