package web

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/webui"
)

// LabelOf looks values up in a table of labels, the value itself when
// it has none.
func LabelOf(labels map[string]string) func(string) string {
	return func(v string) string {
		if l := labels[v]; l != "" {
			return l
		}
		return v
	}
}

// Dollars writes cents as an amount, such as $1,012.50 (webui.Dollars).
func Dollars(cents int64) string { return webui.Dollars(cents) }

var dollarsRE = regexp.MustCompile(`^\$?\s*(\d{1,7})(?:\.(\d{1,2}))?$`)

// ParseCents reads an amount in dollars ("12", "12.5", "$12.50") as cents.
func ParseCents(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	m := dollarsRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	d, _ := strconv.ParseInt(m[1], 10, 64)
	frac := m[2]
	if len(frac) == 1 {
		frac += "0"
	}
	c, _ := strconv.ParseInt("0"+frac, 10, 64)
	return d*100 + c, true
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// Options are the choices of a select: values with their labels, one
// selected.
func Options(values []string, label func(string) string, selected string) []Option {
	out := make([]Option, len(values))
	for i, v := range values {
		out[i] = Option{Value: v, Label: label(v), Selected: v == selected}
	}
	return out
}

// StageLabel names an outing stage for people.
func StageLabel(stage int) string {
	if stage == 0 {
		return "no outings yet"
	}
	return fmt.Sprintf("stage %d, %s", stage, rules.StageName(stage))
}

// ListErrors turns field messages into sentences, in a stable order: the
// field's name leads ("month must be ...") unless the message stands alone.
func ListErrors(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		switch k {
		case "lines", "expense", "file", "goals":
			out = append(out, v)
		default:
			out = append(out, strings.ReplaceAll(k, "_", " ")+" "+v)
		}
	}
	sort.Strings(out)
	return out
}
