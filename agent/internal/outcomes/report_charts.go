package outcomes

import (
	"fmt"
	"html"
	"html/template"
	"strings"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/evaluate"
)

// The site report's charts, drawn here as SVG (no script, no file). They
// are narrow, each label on its own line above its bar, so that on a
// phone 390 px wide they are drawn at about their own size and no label
// is smaller than 12 px; on a wide screen the stylesheet caps their width.

const chartW, chartPad = 360, 8

func svgOpen(b *strings.Builder, id, title string, h int) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title" class="chart report-chart" id="%s">`, chartW, h, id, id)
	fmt.Fprintf(b, `<title id="%s-title">%s</title>`, id, html.EscapeString(title))
}

// shorten cuts a label to n runes.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// pomChart draws each indicator's share at the first interview (open
// circle) and at closing (filled), everyone who answered then.
func pomChart(rep store.SiteReport) template.HTML {
	const rowH, top = 42, 8
	plot := float64(chartW - 2*chartPad)
	h := top + len(rep.POM)*rowH + 40
	var b strings.Builder
	svgOpen(&b, "pomchart", "Share with each outcome present: first interview (open circle) and closing interview (filled circle)", h)
	x := func(pct float64) float64 { return chartPad + pct/100*plot }
	for i, r := range rep.POM {
		y := top + i*rowH
		it, _ := rep.Release.Indicator(r.Code)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="label">%d. %s</text>`, chartPad, y+14, it.Number, html.EscapeString(shorten(it.Text, 44)))
		ly := y + 28
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%.1f" y2="%d" class="grid"/>`, chartPad, ly, x(100), ly)
		f, fok := r.First.Pct()
		c, cok := r.Closing.Pct()
		if fok && cok {
			cls := "up"
			if c < f {
				cls = "down"
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="bar %s"/>`, x(f), ly, x(c), ly, cls)
		}
		if fok {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="6" class="first"><title>First: %.0f%% of %d</title></circle>`, x(f), ly, f, r.First.N)
		}
		if cok {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="6" class="closing"><title>Closing: %.0f%% of %d</title></circle>`, x(c), ly, c, r.Closing.N)
		}
		if !fok && !cok {
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">no answers yet</text>`, chartPad, ly+5)
		}
	}
	ay := top + len(rep.POM)*rowH + 14
	for _, p := range []int{0, 50, 100} {
		anchor := map[int]string{0: "start", 50: "middle", 100: "end"}[p]
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="axis" text-anchor="%s">%d%%</text>`, x(float64(p)), ay, anchor, p)
	}
	fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="6" class="first"/><text x="%d" y="%d" class="axis">first</text>`, chartPad+6, ay+18, chartPad+16, ay+23)
	fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="6" class="closing"/><text x="%d" y="%d" class="axis">closing</text>`, chartPad+76, ay+18, chartPad+86, ay+23)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

var answerLabels = []string{"definitely agree", "somewhat agree", "somewhat disagree", "definitely disagree"}

// surveyChart draws each statement's answers as one bar of 100%, the
// highest rating first.
func surveyChart(rep store.SiteReport) template.HTML {
	const rowH, top = 40, 8
	plot := float64(chartW - 2*chartPad)
	h := top + len(rep.Survey.Rows)*rowH + 60
	var b strings.Builder
	svgOpen(&b, "survchart", "Answers to each survey statement, as shares of its answers", h)
	for i, r := range rep.Survey.Rows {
		y := top + i*rowH
		it := statementOf(rep, r.Code)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="label">%d. %s</text>`, chartPad, y+14, it.Number, html.EscapeString(shorten(it.Text, 44)))
		if r.N == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">no answers</text>`, chartPad, y+32)
			continue
		}
		x := float64(chartPad)
		for k, n := range r.Counts {
			w := float64(n) / float64(r.N) * plot
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="14" class="a%d"><title>%s: %d of %d</title></rect>`, x, y+20, w, k+1, answerLabels[k], n, r.N)
			x += w
		}
	}
	ly := top + len(rep.Survey.Rows)*rowH + 10
	for k, l := range answerLabels {
		lx, yy := chartPad+(k%2)*175, ly+(k/2)*22
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" class="a%d"/><text x="%d" y="%d" class="axis">%s</text>`, lx, yy, k+1, lx+16, yy+11, l)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

// hospChart draws hospitalizations per participant-year before enrollment
// and during the program as two bars.
func hospChart(h evaluate.Hospitalizations) template.HTML {
	const height = 130
	var b strings.Builder
	svgOpen(&b, "hospchart", "Hospitalizations per participant-year, before enrollment and during the program", height)
	if !h.RateBeforeOK {
		fmt.Fprintf(&b, `<text x="%d" y="30" class="axis">no hospitalization data yet</text></svg>`, chartPad)
		return template.HTML(b.String()) //nolint:gosec // constant text
	}
	top := max(h.RateBefore, h.RateDuring, 0.1)
	plot := float64(chartW - 2*chartPad - 50)
	for i, bar := range []struct {
		label string
		rate  float64
		ok    bool
		cls   string
	}{{"Before enrollment (2 years)", h.RateBefore, h.RateBeforeOK, "before"}, {"During the program", h.RateDuring, h.RateDuringOK, "during"}} {
		y := 8 + i*56
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="label">%s</text>`, chartPad, y+14, bar.label)
		if !bar.ok {
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">no time in the program yet</text>`, chartPad, y+36)
			continue
		}
		w := bar.rate / top * plot
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="20" class="hosp-%s"/><text x="%.1f" y="%d" class="axis">%.2f</text>`, chartPad, y+22, w, bar.cls, float64(chartPad)+w+4, y+37, bar.rate)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is constant or escaped
}
