package store

import "testing"

// TestSuppressionRecoveryFails builds a survey row and a site column with
// one small cell each, suppresses them and then tries, as someone reading
// the shown figures would, to work the hidden cell out from the total.
func TestSuppressionRecoveryFails(t *testing.T) {
	values := map[string]int64{
		"row/n": 95, "row/a": 60, "row/b": 30, "row/c": 5, "row/d": 0,
		"col/total": 130, "col/s1": 70, "col/s2": 40, "col/s3": 12, "col/s4": 8,
	}
	groups := []cellGroup{
		{total: "row/n", cells: []string{"row/a", "row/b", "row/c", "row/d"}},
		{total: "col/total", cells: []string{"col/s1", "col/s2", "col/s3", "col/s4"}},
	}
	hidden := suppression(values, groups, 11, nil, nil)
	for _, k := range []string{"row/c", "col/s4"} {
		if !hidden[k] {
			t.Fatalf("small cell %s (%d) shown", k, values[k])
		}
	}
	for _, g := range groups {
		if hidden[g.total] {
			t.Fatalf("total %s hidden though the cells can protect it", g.total)
		}
		// The attack: the total minus every shown cell.
		rest, unknown := values[g.total], 0
		for _, c := range g.cells {
			if hidden[c] {
				unknown++
			} else {
				rest -= values[c]
			}
		}
		if unknown < 2 || rest < 11 {
			t.Fatalf("%s: %d hidden cells adding up to %d can be worked out", g.total, unknown, rest)
		}
	}
	// The complement is the smallest non-zero cell: the zero is not hidden.
	if !hidden["row/b"] || hidden["row/a"] || hidden["row/d"] || !hidden["col/s3"] || hidden["col/s2"] {
		t.Fatalf("complements chosen: %v", hidden)
	}

	// A group that cannot protect its small cell hides its total; a fixed
	// total shown elsewhere cannot be hidden, so every cell is.
	lone := suppression(map[string]int64{"t": 4, "x": 4}, []cellGroup{{total: "t", cells: []string{"x"}}}, 11, nil, nil)
	if !lone["t"] || !lone["x"] {
		t.Fatalf("lone small cell: %v", lone)
	}
	// A fixed total hidden where it is shown keeps one cell hidden with it.
	h := suppression(map[string]int64{"p": 20, "q": 30}, []cellGroup{{total: "T", fixed: true, totalHidden: true, cells: []string{"p", "q"}}}, 11, nil, nil)
	if !h["p"] || h["q"] {
		t.Fatalf("hidden fixed total: %v", h)
	}
	// A locked cell (published elsewhere) is never picked as a complement.
	h = suppression(map[string]int64{"t": 100, "a": 5, "b": 20, "c": 75}, []cellGroup{{total: "t", cells: []string{"a", "b", "c"}}}, 11, nil, map[string]bool{"b": true})
	if !h["a"] || h["b"] || !h["c"] {
		t.Fatalf("locked complement: %v", h)
	}
}
