package affiliates

import (
	"fmt"
	"html"
	"html/template"
	"strings"

	"github.com/itsmylife/iml/hub/internal/store"
)

// pipelineChart draws the organizations at each lifecycle stage, in the
// lifecycle's order, inactive apart below a gap: narrow SVG (360 units)
// so that at 390 px its text stays 13 px, as the outcomes charts.
func pipelineChart(orgs []store.Organization) template.HTML {
	const w, pad, lx, rowH = 360, 8, 150, 26
	count := map[string]int{}
	top := 1
	for _, o := range orgs {
		count[o.Stage]++
		top = max(top, count[o.Stage])
	}
	plot := float64(w - lx - pad - 36)
	var b strings.Builder
	y := 4
	for i, st := range Stages {
		if st == StageInactive {
			y += 12
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="grid"/>`, pad, y-6, w-pad, y-6)
		}
		n := count[st]
		bw := float64(n) / float64(top) * plot
		cls := "stage"
		if st == StageInactive {
			cls = "stage inactive"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="label">%s</text>`, pad, y+17, html.EscapeString(stageShort(i, st)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="16" class="%s"><title>%s: %d</title></rect>`, lx, y+4, bw, cls, html.EscapeString(StageLabels[st]), n)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="value">%d</text>`, float64(lx)+bw+5, y+17, n)
		y += rowH
	}
	head := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="pipechart-title" class="chart nchart" id="pipechart"><title id="pipechart-title">Organizations at each lifecycle stage, from inquiry to sustaining; inactive apart</title>`, w, y+4)
	return template.HTML(head + b.String() + `</svg>`) //nolint:gosec // every text is escaped above
}

// stageShort is a stage's label as the chart writes it: numbered along
// the lifecycle, inactive without a number.
func stageShort(i int, st string) string {
	l := StageLabels[st]
	if st == StageLaunched {
		l = "Launched"
	}
	if st == StageInactive {
		return l
	}
	return fmt.Sprintf("%d. %s", i+1, l)
}
