package store

import (
	"fmt"
	"sort"
)

// DefaultMinCell is the smallest number of participants (or surveys) a
// shown figure may rest on, as CMS publishes: cells of 1 to 10 are hidden.
const DefaultMinCell = 11

// cellGroup is a set of cells that add up to a total. When one of them is
// hidden, subtracting the others from the total would reveal it, so the
// group needs more hidden cells (complementary suppression). A fixed total
// is shown somewhere else (another report) and can never be hidden here.
type cellGroup struct {
	total string
	fixed bool
	// totalHidden marks a fixed total that its own report hides: then at
	// least one cell must be hidden, or the cells would add up to it.
	totalHidden bool
	cells       []string
}

// suppression decides which cells are hidden. values holds every cell's
// true count; cells missing from it count 0. hidden starts with the cells
// already hidden (such as those no report ever shows); locked cells are
// shown elsewhere with the same value, so hiding them protects nothing
// and they are never picked.
//
// The rule, applied until nothing changes:
//  1. primary: a cell counting 1 to min-1 is hidden;
//  2. complementary: in every group with a hidden cell, more cells are
//     hidden, the smallest non-zero ones first (ties by name), until at
//     least two are hidden and the hidden cells add up to at least min;
//     when the group has no cell left to hide, its total is hidden
//     (a fixed total stays, with every cell of the group hidden);
//  3. a group whose fixed total is hidden where it is shown keeps at
//     least one hidden cell (the smallest non-zero one).
func suppression(values map[string]int64, groups []cellGroup, min int64, hidden, locked map[string]bool) map[string]bool {
	if hidden == nil {
		hidden = map[string]bool{}
	}
	for k, v := range values {
		if v > 0 && v < min {
			hidden[k] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, g := range groups {
			if g.totalHidden {
				if hideOne(values, g.cells, hidden, locked) {
					changed = true
				}
				continue
			}
			if !g.fixed && hidden[g.total] {
				continue
			}
			var n int
			var sum int64
			for _, c := range g.cells {
				if hidden[c] {
					n++
					sum += values[c]
				}
			}
			if n == 0 {
				continue
			}
			for n < 2 || sum < min {
				pick := ""
				for _, c := range g.cells {
					if hidden[c] || locked[c] {
						continue
					}
					if pick == "" || better(values, c, pick) {
						pick = c
					}
				}
				if pick == "" {
					if !g.fixed {
						hidden[g.total] = true
						changed = true
					}
					// A fixed total with every cell hidden: nothing more
					// can be done here, and nothing shown can be subtracted.
					break
				}
				hidden[pick] = true
				n++
				sum += values[pick]
				changed = true
			}
		}
	}
	return hidden
}

// hideOne hides the smallest non-zero cell when none of the cells is
// hidden and any is not zero, and reports whether it hid one.
func hideOne(values map[string]int64, cells []string, hidden, locked map[string]bool) bool {
	pick := ""
	for _, c := range cells {
		if hidden[c] {
			return false
		}
		if values[c] != 0 && !locked[c] && (pick == "" || better(values, c, pick)) {
			pick = c
		}
	}
	if pick == "" {
		return false
	}
	hidden[pick] = true
	return true
}

// better orders candidates for complementary suppression: non-zero before
// zero (hiding a zero protects nothing), then the smallest, then by name.
func better(values map[string]int64, a, b string) bool {
	va, vb := values[a], values[b]
	if (va == 0) != (vb == 0) {
		return va != 0
	}
	if va != vb {
		return va < vb
	}
	return a < b
}

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

// SuppressedNote is what a suppressed figure says.
func SuppressedNote(min int) string { return fmt.Sprintf("suppressed (fewer than %d)", min) }

func shown(v float64) Figure { return Figure{Value: &v} }

func hiddenFigure(min int) Figure { return Figure{Suppressed: true, Note: SuppressedNote(min)} }

// none is a figure that cannot be computed (nothing to divide by).
func none() Figure { return Figure{} }

// String formats a figure for a page or CSV: the value, "suppressed
// (fewer than N)" or "–".
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
