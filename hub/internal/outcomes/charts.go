package outcomes

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// The reports' charts, drawn here as SVG: no script, no external file,
// styled by the classes of the shared stylesheet. A suppressed figure is
// never drawn; its place says so.
//
// Every chart is narrow (chartW units wide, each label on its own line or
// short), so that on a phone 390 px wide it is drawn at about its own size
// and no text is smaller than 12 px (the stylesheet sets 13 px and more);
// on a wide screen the stylesheet caps its width, and printed it shrinks
// with the page.

const chartW, chartPad = 360, 8

// chart is an SVG being written: its builder and its id.
type chart struct {
	b  strings.Builder
	id string
}

// newChart starts a chart; h is set when it ends, as its height is known
// then.
func newChart(id string) *chart { return &chart{id: id} }

// f writes formatted markup; the caller escapes any text in it.
func (c *chart) f(format string, a ...any) { fmt.Fprintf(&c.b, format, a...) }

// text writes a text element, escaping s.
func (c *chart) text(x, y float64, class, anchor, s string) {
	a := ""
	if anchor != "" {
		a = ` text-anchor="` + anchor + `"`
	}
	c.f(`<text x="%.1f" y="%.1f" class="%s"%s>%s</text>`, x, y, class, a, html.EscapeString(s))
}

// end wraps what was drawn in the svg element, h units high, with its
// title, and returns it.
func (c *chart) end(title string, h int) template.HTML {
	head := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title" class="chart nchart" id="%s"><title id="%s-title">%s</title>`,
		chartW, h, c.id, c.id, c.id, html.EscapeString(title))
	return template.HTML(head + c.b.String() + `</svg>`) //nolint:gosec // every text is escaped by text or at its call
}

// legend draws swatches with their labels, two to a line, from y; it
// returns the y below them.
func (c *chart) legend(y float64, items [][2]string) float64 {
	for i, it := range items {
		x, yy := float64(chartPad+(i%2)*176), y+float64(i/2)*20
		c.f(`<rect x="%.1f" y="%.1f" width="12" height="12" class="%s"/>`, x, yy, it[0])
		c.text(x+17, yy+11, "axis", "", it[1])
	}
	return y + float64((len(items)+1)/2)*20
}

// barRow draws a labelled bar at y: the label on its own line, the bar
// below it scaled to top over the plot's width, and its value text after
// it; or the note instead when note is not empty. It returns the y of the
// next row.
func (c *chart) barRow(y float64, label, class string, v, top float64, value, note string) float64 {
	c.text(chartPad, y+14, "label", "", label)
	if note != "" {
		c.text(chartPad, y+34, "axis", "", note)
		return y + 44
	}
	plot := float64(chartW - 2*chartPad - 56)
	w := 0.0
	if top > 0 {
		w = math.Min(v/top, 1) * plot
	}
	c.f(`<rect x="%d" y="%.1f" width="%.1f" height="16" class="%s"><title>%s: %s</title></rect>`, chartPad, y+21, w, class, html.EscapeString(label), html.EscapeString(value))
	c.text(float64(chartPad)+w+5, y+34, "value", "", value)
	return y + 44
}

// figNote is what a chart writes instead of a figure it cannot draw: the
// suppression note, or empty (nothing to say) for a shown figure, or
// none for a figure without a value.
func figNote(f Figure, none string) string {
	switch {
	case f.Suppressed:
		return f.Note
	case f.Value == nil:
		return none
	}
	return ""
}

func figInt(f Figure) int {
	if f.Value == nil {
		return 0
	}
	return int(*f.Value)
}

func figVal(f Figure) float64 {
	if f.Value == nil {
		return 0
	}
	return *f.Value
}

func deref(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// niceTop is the smallest of 10, 25, 50, 75 and 100 at least v (100
// above).
func niceTop(v float64) float64 {
	for _, t := range []float64{10, 25, 50, 75} {
		if v <= t {
			return t
		}
	}
	return 100
}
