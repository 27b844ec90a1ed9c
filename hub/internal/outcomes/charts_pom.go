package outcomes

import (
	"fmt"
	"html/template"
	"math"
)

// pomRow is one indicator of a POM chart: the shares with the outcome
// present at the first and the closing interview (unpaired; nil is not
// drawn) and, when the chart has its panel, the paired change first to
// closing. A note, when set, is written under the row instead of what it
// is about.
type pomRow struct {
	Label            string
	First, Closing   *float64
	FirstN, ClosingN int
	ShareNote        string
	Change           *pairedMark
	ChangeNote       string
}

// pairedMark is a paired change as drawn: the change in percentage points
// and its 95% interval, of n participants.
type pairedMark struct {
	Points, Lower, Upper float64
	N                    int
}

// indicatorChart is the POM chart of the outcomes report: per indicator,
// the dumbbell of the unpaired shares (first hollow, closing filled) and,
// beside it, the paired change first to closing with its 95% interval on
// an axis centred on zero.
func indicatorChart(rep OutcomeReport) template.HTML {
	rows := make([]pomRow, len(rep.Indicators))
	for i, ind := range rep.Indicators {
		r := pomRow{Label: indicatorLabel(ind.Number, ind.Text), First: ind.FirstShare.Value, FirstN: figInt(ind.FirstN), Closing: ind.ClosingShare.Value, ClosingN: figInt(ind.ClosingN)}
		switch {
		case ind.FirstShare.Suppressed || ind.ClosingShare.Suppressed:
			r.ShareNote = "shares " + SuppressedNote(rep.MinCell)
		case r.First == nil && r.Closing == nil:
			r.ShareNote = "shares: no answers yet"
		}
		p := ind.ToClosing
		switch {
		case p.N.Suppressed || p.Points.Suppressed:
			r.ChangeNote = "change " + SuppressedNote(rep.MinCell)
		case p.Points.Value == nil || p.Lower.Value == nil || p.Upper.Value == nil:
			r.ChangeNote = "change: no one answered both interviews yet"
		default:
			r.Change = &pairedMark{Points: *p.Points.Value, Lower: *p.Lower.Value, Upper: *p.Upper.Value, N: figInt(p.N)}
		}
		if r.ShareNote != "" && r.ChangeNote != "" && (ind.FirstShare.Suppressed || ind.ClosingShare.Suppressed) && p.Points.Suppressed {
			r.ShareNote, r.ChangeNote = SuppressedNote(rep.MinCell), ""
		}
		rows[i] = r
	}
	return pomDotChart("indchart", rows, true)
}

// pomChart is the POM page's chart: the dumbbell of first versus closing
// share per indicator.
func pomChart(rep POMReport) template.HTML {
	rows := make([]pomRow, len(rep.Indicators))
	for i, ind := range rep.Indicators {
		rows[i] = pomRow{Label: indicatorLabel(ind.Number, ind.Text), First: ind.FirstShare, FirstN: deref(ind.FirstN), Closing: ind.ClosingShare, ClosingN: deref(ind.ClosingN)}
		if ind.Suppressed && (ind.FirstShare == nil || ind.ClosingShare == nil) {
			rows[i].ShareNote = SuppressedNote(rep.MinCell)
		}
	}
	return pomDotChart("pomchart", rows, false)
}

func indicatorLabel(n int, text string) string {
	if n == 0 {
		return shorten(text, 46)
	}
	return shorten(fmt.Sprintf("%d. %s", n, text), 46)
}

// pomDotChart draws the rows; with paired, the plot is split: the shares
// on the left, the paired change on the right.
func pomDotChart(id string, rows []pomRow, paired bool) template.HTML {
	c := newChart(id)
	sx0, sx1 := float64(chartPad), float64(chartW-chartPad)
	cx0, cx1 := 0.0, 0.0
	if paired {
		sx1, cx0, cx1 = 170, 192, float64(chartW-chartPad)
	}
	share := func(v float64) float64 { return sx0 + v/100*(sx1-sx0) }
	top := 10.0
	for _, r := range rows {
		if r.Change != nil {
			top = math.Max(top, math.Max(math.Abs(r.Change.Lower), math.Abs(r.Change.Upper)))
		}
	}
	top = niceTop(top)
	change := func(v float64) float64 { return (cx0+cx1)/2 + v/top*(cx1-cx0)/2 }
	// Panel heads and their scales.
	c.text(sx0, 14, "head", "", "Share present")
	c.text(sx0, 32, "axis", "", "0%")
	c.text(sx1, 32, "axis", "end", "100%")
	if paired {
		c.text(cx0, 14, "head", "", "Paired change")
		c.text(cx0, 32, "axis", "", fmt.Sprintf("−%g", top))
		c.text(change(0), 32, "axis", "middle", "0")
		c.text(cx1, 32, "axis", "end", fmt.Sprintf("+%g", top))
	}
	y := 40.0
	for _, r := range rows {
		c.text(chartPad, y+15, "label", "", r.Label)
		ly := y + 28
		if r.ShareNote == "" {
			c.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, sx0, ly, sx1, ly)
		}
		if paired && r.Change != nil {
			c.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="zero"/>`,
				cx0, ly, cx1, ly, change(0), ly-9, change(0), ly+9)
		}
		if r.ShareNote == "" {
			drawDumbbell(c, r, ly, share)
		}
		if r.Change != nil {
			m := r.Change
			cls := "flat"
			switch {
			case m.Lower > 0:
				cls = "up"
			case m.Upper < 0:
				cls = "down"
			}
			c.f(`<g class="change %s"><title>Paired change, first to closing: %+.1f points (95%% interval %+.1f to %+.1f), %d participants</title>`, cls, m.Points, m.Lower, m.Upper, m.N)
			c.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="ci"/><circle cx="%.1f" cy="%.1f" r="5" class="pt"/></g>`, change(m.Lower), ly, change(m.Upper), ly, change(m.Points), ly)
		}
		// The notes follow on their own lines; the first takes the row's
		// line when nothing is drawn there.
		ny := y + 40
		if r.ShareNote != "" && r.Change == nil {
			ny = ly + 5
		}
		next := y + 36
		for _, n := range []string{r.ShareNote, r.ChangeNote} {
			if n != "" {
				c.text(chartPad, ny, "axis note", "", n)
				next = ny + 14
				ny += 18
			}
		}
		y = next
	}
	y += 8
	c.f(`<circle cx="%d" cy="%.1f" r="5" class="first"/>`, chartPad+6, y+6)
	c.text(chartPad+16, y+11, "axis", "", "first")
	c.f(`<circle cx="%d" cy="%.1f" r="5" class="closing"/>`, chartPad+66, y+6)
	c.text(chartPad+76, y+11, "axis", "", "closing")
	if paired {
		c.f(`<g class="change flat"><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="ci"/><circle cx="%.1f" cy="%.1f" r="5" class="pt"/></g>`, cx0+10, y+6, cx0+34, y+6, cx0+22, y+6)
		c.text(cx0+40, y+11, "axis", "", "change, 95%")
	}
	title := "Share with each outcome present: first interview (hollow) and closing interview (filled)"
	if paired {
		title += "; and the paired change from the first to the closing interview, in percentage points, with its 95% interval"
	}
	return c.end(title, int(y)+22)
}

// drawDumbbell draws a row's first and closing shares at ly.
func drawDumbbell(c *chart, r pomRow, ly float64, x func(float64) float64) {
	if r.First != nil && r.Closing != nil {
		cls := "up"
		if *r.Closing < *r.First {
			cls = "down"
		}
		c.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="bar %s"/>`, x(*r.First), ly, x(*r.Closing), ly, cls)
	}
	if r.First != nil {
		c.f(`<circle cx="%.1f" cy="%.1f" r="5" class="first"><title>First: %.1f%% of %d</title></circle>`, x(*r.First), ly, *r.First, r.FirstN)
	}
	if r.Closing != nil {
		c.f(`<circle cx="%.1f" cy="%.1f" r="5" class="closing"><title>Closing: %.1f%% of %d</title></circle>`, x(*r.Closing), ly, *r.Closing, r.ClosingN)
	}
}
