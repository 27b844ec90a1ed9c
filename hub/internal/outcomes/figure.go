package outcomes

import (
	"fmt"
	"sort"

	"github.com/itsmylife/iml/hub/internal/suppress"
)

// DefaultMinCell is the smallest number of participants (or surveys) a
// shown figure may rest on, as CMS publishes: cells of 1 to 10 are hidden.
const DefaultMinCell = 11

// sortedKeys returns a map's keys in order, so every pass is deterministic.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Figure is one number of a report. A suppressed figure has no value and
// says why.
type Figure struct {
	Value      *float64 `json:"value"`
	Suppressed bool     `json:"suppressed,omitempty"`
	Note       string   `json:"note,omitempty"`
}

// SuppressedNote is what a suppressed figure says: suppress.Note, the
// same for a small figure and for one hidden to protect another.
func SuppressedNote(min int) string { return suppress.Note(int64(min)) }

func shown(v float64) Figure { return Figure{Value: &v} }

func hiddenFigure(min int) Figure { return Figure{Suppressed: true, Note: SuppressedNote(min)} }

// none is a figure that cannot be computed (nothing to divide by).
func none() Figure { return Figure{} }

// String formats a figure for a page or CSV: the value, "suppressed
// (protects counts under N)" or "–".
func (f Figure) String() string {
	switch {
	case f.Suppressed:
		return f.Note
	case f.Value == nil:
		return "–"
	case *f.Value == float64(int64(*f.Value)):
		return fmt.Sprintf("%d", int64(*f.Value))
	}
	return fmt.Sprintf("%g", *f.Value)
}
