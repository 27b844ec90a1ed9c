package outcomes

import (
	"fmt"
	"html/template"
)

// surveyChart draws each statement's answers as one bar of 100%, the
// highest rating first, its label on the line above.
func surveyChart(rep OutcomeReport) template.HTML {
	c := newChart("survchart")
	plot := float64(chartW - 2*chartPad)
	y := 4.0
	for _, st := range rep.Statements {
		label := st.Text
		if st.Number != 0 {
			label = fmt.Sprintf("%d. %s", st.Number, st.Text)
		}
		if st.HighestShare.Value != nil {
			c.text(chartPad, y+14, "label", "", shorten(label, 40))
			c.text(chartW-chartPad, y+14, "value", "end", fmt.Sprintf("%.0f%%", *st.HighestShare.Value))
		} else {
			c.text(chartPad, y+14, "label", "", shorten(label, 46))
		}
		total, hidden := 0.0, st.N.Suppressed
		for _, a := range st.Answers {
			hidden = hidden || a.Suppressed
			total += figVal(a)
		}
		switch {
		case hidden:
			c.text(chartPad, y+32, "axis note", "", SuppressedNote(rep.MinCell))
		case total == 0:
			c.text(chartPad, y+32, "axis note", "", "no answers")
		default:
			x := float64(chartPad)
			for j, a := range st.Answers {
				w := *a.Value / total * plot
				c.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="14" class="a%d"><title>%s: %d of %d</title></rect>`, x, y+20, w, j+1, answerLabels[j], int(*a.Value), int(total))
				x += w
			}
		}
		y += 40
	}
	items := make([][2]string, len(answerLabels))
	for j, l := range answerLabels {
		items[j] = [2]string{fmt.Sprintf("a%d", j+1), l}
	}
	y = c.legend(y+4, items)
	c.text(chartPad, y+10, "axis", "", "right: the share definitely agreeing")
	return c.end("Answers to each survey statement, as shares of its answers, with the share definitely agreeing", int(y)+18)
}

// hospitalizationChart draws hospitalizations per participant-year before
// and during the program as two bars.
func hospitalizationChart(rep OutcomeReport) template.HTML {
	c := newChart("hospchart")
	hr := rep.Hospitalizations
	top := max(figVal(hr.BeforeRate), figVal(hr.DuringRate), 0.1)
	y := 4.0
	for _, bar := range []struct {
		label, cls string
		f          Figure
	}{{"Two years before enrollment", "before", hr.BeforeRate}, {"During the program", "during", hr.DuringRate}} {
		y = c.barRow(y, bar.label, bar.cls, figVal(bar.f), top, fmt.Sprintf("%.2f", figVal(bar.f)), figNote(bar.f, "no data"))
	}
	c.text(chartPad, y+8, "axis", "", "hospitalizations per participant-year")
	return c.end("Hospitalizations per participant-year, before and during the program", int(y)+16)
}

// participationChart draws the shares of meetings attended, journals
// completed and months with receipts complete (of 100%), and the outings
// at each stage (of the most at any stage).
func participationChart(rep OutcomeReport) template.HTML {
	c := newChart("partchart")
	p := rep.Participation
	y := 4.0
	for _, s := range []struct {
		label string
		f     Figure
	}{{"Meetings attended", p.AttendanceShare}, {"Journals completed", p.JournalShare}, {"Months with receipts complete", p.ReceiptShare}} {
		y = c.barRow(y, s.label, "share", figVal(s.f), 100, fmt.Sprintf("%.1f%%", figVal(s.f)), figNote(s.f, "nothing due yet"))
	}
	top := 1.0
	for _, o := range p.OutingsByStage {
		top = max(top, figVal(o))
	}
	for i, o := range p.OutingsByStage {
		y = c.barRow(y, fmt.Sprintf("Outings at stage %d", i+1), "outings", figVal(o), top, o.String(), figNote(o, "none"))
	}
	return c.end("Participation: shares of meetings attended, journals completed and months with receipts complete, and outings at each stage", int(y)+4)
}

// answersSummary is the share of all survey answers that gave the highest
// rating, in percent, and ok false when any answer count is suppressed
// or there are none: it rests only on figures the report shows.
func answersSummary(rep OutcomeReport) (float64, bool) {
	top, all := 0.0, 0.0
	for _, st := range rep.Statements {
		for j, a := range st.Answers {
			if a.Suppressed || st.N.Suppressed {
				return 0, false
			}
			all += figVal(a)
			if j == 0 {
				top += figVal(a)
			}
		}
	}
	if all == 0 {
		return 0, false
	}
	return round(top/all*100, 1), true
}

// monthsChart draws participation by program month: for each month, the
// share of meetings attended and of journals completed as two bars.
func monthsChart(rep OutcomeReport) template.HTML {
	c := newChart("monthchart")
	y := c.legend(4, [][2]string{{"share", "Meetings attended"}, {"outings", "Journals completed"}})
	for _, m := range rep.Participation.Months {
		label := fmt.Sprintf("Month %d", m.Month)
		if note := figNote(m.Participants, ""); note != "" {
			y = c.barRow(y, label, "share", 0, 100, "", note)
			continue
		}
		y = c.barRow(y, label+": meetings attended", "share", figVal(m.AttendanceShare), 100, pctText(m.AttendanceShare), figNote(m.AttendanceShare, "no meetings held"))
		y = c.barRow(y-6, label+": journals completed", "outings", figVal(m.JournalShare), 100, pctText(m.JournalShare), figNote(m.JournalShare, "no journals due"))
	}
	if len(rep.Participation.Months) == 0 {
		c.text(chartPad, y+14, "axis", "", "No participation recorded yet.")
		y += 24
	}
	return c.end("Participation by program month: shares of meetings attended and of journals completed", int(y)+4)
}

// pctText is a share as a chart writes it.
func pctText(f Figure) string { return fmt.Sprintf("%.1f%%", figVal(f)) }
