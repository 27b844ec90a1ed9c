package server

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/itsmylife/iml/agent/internal/rules"
)

// labelOf looks values up in a table of labels, the value itself when
// it has none.
func labelOf(labels map[string]string) func(string) string {
	return func(v string) string {
		if l := labels[v]; l != "" {
			return l
		}
		return v
	}
}

func dollars(cents int64) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }

var dollarsRE = regexp.MustCompile(`^\$?\s*(\d{1,7})(?:\.(\d{1,2}))?$`)

// parseCents reads an amount in dollars ("12", "12.5", "$12.50") as cents.
func parseCents(s string) (int64, bool) {
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

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

func options(values []string, label func(string) string, selected string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{Value: v, Label: label(v), Selected: v == selected}
	}
	return out
}

func stageLabel(stage int) string {
	if stage == 0 {
		return "no outings yet"
	}
	return fmt.Sprintf("stage %d, %s", stage, rules.StageName(stage))
}

// listErrors turns field messages into sentences, in a stable order: the
// field's name leads ("month must be ...") unless the message stands alone.
func listErrors(m map[string]string) []string {
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
