package server

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
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
	"stage":    func(s string) string { return store.StageLabels[s] },
	"mode":     func(m string) string { return store.TAModeLabels[m] },
	"category": func(c string) string { return contract.TACategoryLabels[c] },
	"overdue":  func(c store.TACheckIn, today string) bool { return c.Overdue(today) },
	"isoDate": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
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

// render executes a page template; the layout fills in the signed-in user
// and the CSRF token for forms.
func (s *Server) render(c *gin.Context, status int, name string, data gin.H) {
	if u, ok := c.Get(ctxUser); ok {
		data["User"] = u
	}
	if sess, ok := c.Get(ctxSession); ok {
		data["CSRF"] = sess.(store.Session).CSRF
	}
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("template", "name", name, "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("The page could not be drawn. The failure has been logged."))
		return
	}
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// pomChart draws first versus closing share per indicator as an SVG
// dumbbell chart: a hollow dot at the first interview, a filled dot at the
// closing one, a line between.
func pomChart(rep store.POMReport) template.HTML {
	const rowH, left, width, right = 26, 400, 720, 20
	plotW := width - left - right
	h := len(rep.Indicators)*rowH + 50
	x := func(v float64) float64 { return float64(left) + v/100*float64(plotW) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="pomchart-title" class="chart">`, width, h)
	b.WriteString(`<title id="pomchart-title">Share with each outcome present: first interview (hollow) and closing interview (filled)</title>`)
	for _, g := range []float64{0, 25, 50, 75, 100} {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="20" x2="%.1f" y2="%d" class="grid"/><text x="%.1f" y="14" class="axis" text-anchor="middle">%.0f%%</text>`, x(g), x(g), h-25, x(g), g)
	}
	for i, ind := range rep.Indicators {
		y := 20 + i*rowH + rowH/2
		label := ind.Text
		if r := []rune(label); len(r) > 58 {
			label = string(r[:56]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="label" text-anchor="end">%s</text>`, left-8, y+4, html.EscapeString(label))
		if ind.FirstShare != nil && ind.ClosingShare != nil {
			cls := "up"
			if *ind.ClosingShare < *ind.FirstShare {
				cls = "down"
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="bar %s"/>`, x(*ind.FirstShare), y, x(*ind.ClosingShare), y, cls)
		}
		if ind.FirstShare != nil {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="5" class="first"><title>First: %.1f%% of %d</title></circle>`, x(*ind.FirstShare), y, *ind.FirstShare, ind.FirstN)
		}
		if ind.ClosingShare != nil {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="5" class="closing"><title>Closing: %.1f%% of %d</title></circle>`, x(*ind.ClosingShare), y, *ind.ClosingShare, ind.ClosingN)
		}
	}
	fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="5" class="first"/><text x="%d" y="%d" class="axis">first interview</text>`, left, h-8, left+10, h-4)
	fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="5" class="closing"/><text x="%d" y="%d" class="axis">closing interview</text>`, left+140, h-8, left+150, h-4)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}
