package server

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/hub/internal/web"
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
	// serviceLabel is a service code in words.
	"serviceLabel": func(code string) string {
		return strings.ToUpper(code[:1]) + strings.ReplaceAll(code[1:], "_", " ")
	},
	// short writes a figure of the printed report: a suppressed one is
	// "suppressed" (the report says why once).
	"short": func(s string, f outcomes.Figure) string {
		if f.Suppressed {
			return "suppressed"
		}
		return s
	},
	"figpct": func(f outcomes.Figure) string {
		if f.Value == nil || f.Suppressed {
			return f.String()
		}
		return fmt.Sprintf("%.1f%%", *f.Value)
	},
	// pairSpans are an indicator's two paired changes, labelled, for the
	// paired table.
	"pairSpans": func(r outcomes.IndicatorRow) []struct {
		Span, Label string
		F           outcomes.PairedFigures
	} {
		return []struct {
			Span, Label string
			F           outcomes.PairedFigures
		}{{"mf", "Mid-point", r.ToMidpoint}, {"cf", "Closing", r.ToClosing}}
	},
	"figci": func(lo, hi outcomes.Figure) string {
		if lo.Value == nil || hi.Value == nil || lo.Suppressed {
			return lo.String()
		}
		return fmt.Sprintf("%+.1f to %+.1f", *lo.Value, *hi.Value)
	},
	"figp": func(f outcomes.Figure) string {
		switch {
		case f.Value == nil || f.Suppressed:
			return f.String()
		case *f.Value < 0.001:
			return "< 0.001"
		}
		return fmt.Sprintf("%.3f", *f.Value)
	},
	// figusd is a figure of dollars.
	"figusd": func(f outcomes.Figure) string {
		if f.Value == nil || f.Suppressed {
			return f.String()
		}
		return fmt.Sprintf("$%.2f", *f.Value)
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
	"modelLabel": func(m string) string { return outcomes.ModelLabels[m] },
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
	// kept is a form's field's value: what was typed when the form
	// failed (web.FormFailed), else the default.
	"kept": web.Kept,
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
