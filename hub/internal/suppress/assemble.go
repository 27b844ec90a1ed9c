package suppress

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// assemble adds the counts by base up into every node: a base counts in
// each of its 24 nodes (its six places, its model and every model, its
// year and every year). Nothing is hidden yet.
func assemble(in Input) (*Lattice, error) {
	l := &Lattice{Min: in.Min, Sites: slices.Clone(in.Sites)}
	slices.SortFunc(l.Sites, func(a, b Site) int { return strings.Compare(a.ID, b.ID) })
	perm, err := l.sortCells(in.Cells)
	if err != nil {
		return nil, err
	}
	if err := l.resolve(in.Groups); err != nil {
		return nil, err
	}
	places := make(map[string][6]string, len(l.Sites))
	for _, si := range l.Sites {
		places[si.ID] = si.Places
	}
	// First the nodes, in order, then their counts in one array.
	type baseOf struct {
		b      Base
		places [6]string
	}
	var bases []baseOf
	keys := map[Node]bool{}
	for b, v := range in.Counts {
		if len(v) > len(in.Cells) {
			return nil, fmt.Errorf("suppress: %d counts for %v, of %d cells", len(v), b, len(in.Cells))
		}
		pl, ok := places[b.Site]
		if !ok {
			continue // counts of no known site belong to no place
		}
		bases = append(bases, baseOf{b, pl})
		for _, p := range pl {
			for _, mo := range []string{b.Model, AllModels} {
				for _, y := range []int{b.Year, AllYears} {
					keys[Node{p, mo, y}] = true
				}
			}
		}
	}
	l.Nodes = make([]Node, 0, len(keys))
	for k := range keys {
		l.Nodes = append(l.Nodes, k)
	}
	slices.SortFunc(l.Nodes, func(a, b Node) int {
		return cmp.Or(strings.Compare(a.Place, b.Place), strings.Compare(a.Model, b.Model), cmp.Compare(a.Year, b.Year))
	})
	l.nodeAt = make(map[Node]int, len(l.Nodes))
	for i, k := range l.Nodes {
		l.nodeAt[k] = i
	}
	nc := len(l.Cells)
	l.Counts = make([]int64, len(l.Nodes)*nc)
	type entry struct {
		cell int
		v    int64
	}
	var vec []entry
	for _, x := range bases {
		vec = vec[:0]
		for i, v := range in.Counts[x.b] {
			if v != 0 {
				vec = append(vec, entry{perm[i], v})
			}
		}
		for _, p := range x.places {
			for _, mo := range []string{x.b.Model, AllModels} {
				for _, y := range []int{x.b.Year, AllYears} {
					acc := l.Counts[l.nodeAt[Node{p, mo, y}]*nc:]
					for _, e := range vec {
						acc[e.cell] += e.v
					}
				}
			}
		}
	}
	l.Hidden = make([]bool, len(l.Counts))
	return l, nil
}
