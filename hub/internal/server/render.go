package server

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/pkg/contract"
)

var funcs = template.FuncMap{
	"pct": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", *v)
	},
	"points": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%+.1f", *v)
	},
	"when": func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"orgType":  func(t string) string { return store.OrgTypeLabels[t] },
	"stage":    func(s string) string { return affiliates.StageLabels[s] },
	"mode":     func(m string) string { return ta.TAModeLabels[m] },
	"category": func(c string) string { return contract.TACategoryLabels[c] },
	"overdue":  func(c ta.TACheckIn, today string) bool { return c.Overdue(today) },
	"isoDate": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	},
	"fig": func(f outcomes.Figure) string { return f.String() },
	"figpct": func(f outcomes.Figure) string {
		if f.Value == nil || f.Suppressed {
			return f.String()
		}
		return fmt.Sprintf("%.1f%%", *f.Value)
	},
	"figpts": func(f outcomes.Figure) string {
		if f.Value == nil || f.Suppressed {
			return f.String()
		}
		return fmt.Sprintf("%+.1f", *f.Value)
	},
	"frac": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%.0f%%", *v*100)
	},
	"num": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f", *v)
	},
	"modelLabel": func(m string) string { return modelLabels[m] },
	// cnt shows a count that may be suppressed (nil).
	"cnt": func(n *int) string {
		if n == nil {
			return "suppressed"
		}
		return fmt.Sprint(*n)
	},
	"inc": func(i int) int { return i + 1 },
	"ptr": func(v float64) *float64 { return &v },
	// withAction gives a shared form the page data and where it submits.
	"withAction": func(data gin.H, action string) gin.H {
		out := gin.H{"Action": action}
		for k, v := range data {
			out[k] = v
		}
		return out
	},
	// holds reports whether the signed-in user holds a role (any
	// organization), for showing links; the routes enforce it.
	"holds": func(u store.User, role string) bool {
		_, ok := u.ActAs(role)
		return ok
	},
	"roleLabel": func(r string) string { return roleLabels[r] },
	"at":        func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
}

var roleLabels = map[string]string{
	store.RoleAdmin: "Admin", store.RoleTrainer: "Trainer", store.RoleTA: "TA specialist",
	store.RoleAnalyst: "Analyst", store.RoleDirector: "Program Director",
}

// pomChart draws first versus closing share per indicator as an SVG
// dumbbell chart: a hollow dot at the first interview, a filled dot at the
// closing one, a line between.
func pomChart(rep outcomes.POMReport) template.HTML {
	rows := make([]dumbbellRow, len(rep.Indicators))
	for i, ind := range rep.Indicators {
		rows[i] = dumbbellRow{Label: ind.Text, First: ind.FirstShare, FirstN: deref(ind.FirstN), Closing: ind.ClosingShare, ClosingN: deref(ind.ClosingN)}
		if ind.Suppressed && (ind.FirstShare == nil || ind.ClosingShare == nil) {
			rows[i].Note = outcomes.SuppressedNote(rep.MinCell)
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
