package outcomes

import (
	"fmt"
	"html/template"
	"math"
)

// fidelityMeasure is one measure of a site's fidelity as the chart draws
// it: its value and target in the same unit, how to write a value, and a
// note instead when it cannot be drawn.
type fidelityMeasure struct {
	label         string
	value, target float64
	text, note    string
}

// siteMeasures are a site's measures, in the order of the fidelity table.
func siteMeasures(f SiteFidelity, th FidelityThresholds) []fidelityMeasure {
	frac := func(label string, v *float64, target float64) fidelityMeasure {
		if v == nil {
			return fidelityMeasure{label: label, note: "–"}
		}
		return fidelityMeasure{label: label, value: *v * 100, target: target * 100, text: fmt.Sprintf("%.0f%%", *v*100)}
	}
	fig := func(label string, v Figure, target float64, unit string) fidelityMeasure {
		if n := figNote(v, "–"); n != "" {
			if v.Suppressed {
				n = "suppressed"
			}
			return fidelityMeasure{label: label, note: n}
		}
		return fidelityMeasure{label: label, value: *v.Value, target: target, text: fmt.Sprintf(unit, *v.Value)}
	}
	pp := fidelityMeasure{label: "PP meetings", note: "–"}
	if f.PPMeetings != nil {
		pp = fidelityMeasure{label: "PP meetings", value: *f.PPMeetings, target: th.PeerPartnersMeetings, text: fmt.Sprintf("%.1f/mo", *f.PPMeetings)}
	}
	return []fidelityMeasure{
		frac("Group size", f.GroupSizeShare, th.GroupSizeShare), pp,
		fig("SE meetings", f.SEMeetings, th.SocialExplorationsMeetings, "%.1f/mo"),
		fig("Journals", f.JournalShare, th.JournalShare*100, "%.0f%%"),
		fig("Receipts", f.ReceiptShare, th.ReceiptShare*100, "%.0f%%"),
		frac("On theme", f.ThemeShare, th.ThemeShare),
	}
}

// fidelityChart draws each site's measures against their targets: a bar
// per measure scaled so that its target is the same tick for every
// measure (bars run to one and a half times the target), short of the
// target in the flag's colour. A measure with nothing to apply to, or
// suppressed, says so.
func fidelityChart(rep FidelityReport) template.HTML {
	c := newChart("fidchart")
	const lx, rowH = chartPad + 96, 20
	plot := float64(chartW-chartPad-lx) - 58
	tick := float64(lx) + plot/1.5
	y := 4.0
	if len(rep.Sites) == 0 {
		c.text(chartPad, y+18, "axis note", "", "No site has sent cohort or participation records for this filter yet.")
		return c.end("Fidelity per site against the targets", 32)
	}
	c.text(tick, y+12, "axis", "middle", "target")
	y += 16
	for _, s := range rep.Sites {
		head := shorten(s.Site, 30)
		if s.FlaggedForTA {
			head += " · for TA"
		}
		c.text(chartPad, y+15, "head", "", head)
		y += 22
		ms := siteMeasures(s, rep.Thresholds)
		c.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="target"/>`, tick, y, tick, y+float64(len(ms)*rowH))
		for _, m := range ms {
			c.text(chartPad, y+14, "label", "", m.label)
			if m.note != "" {
				c.text(lx+4, y+14, "axis note", "", m.note)
				y += rowH
				continue
			}
			ratio := 1.5
			if m.target > 0 {
				ratio = math.Min(m.value/m.target, 1.5)
			}
			cls := "met"
			if m.value < m.target {
				cls = "short"
			}
			w := ratio / 1.5 * plot
			c.f(`<rect x="%d" y="%.1f" width="%.1f" height="13" class="%s"><title>%s: %s (target %s)</title></rect>`, lx, y+3, w, cls, m.label, m.text, targetText(m))
			c.text(float64(lx)+w+5, y+14, "value", "", m.text)
			y += rowH
		}
		y += 8
	}
	return c.end("Fidelity per site: each measure against its target", int(y)+4)
}

func targetText(m fidelityMeasure) string {
	if m.text != "" && m.text[len(m.text)-1] == '%' {
		return fmt.Sprintf("%.0f%%", m.target)
	}
	return fmt.Sprintf("%g/mo", m.target)
}
