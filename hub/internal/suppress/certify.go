package suppress

// axis is one dimension of a hypercube: the values whose cells move up
// (plus) and those whose cells move down (minus) by the same amount.
type axis struct{ plus, minus []int }

// cube is a hypercube over place, model, year and cell.
type cube [4]axis

// certify gives every small cell a hypercube of hidden cells.
//
// A hypercube moves the counts of a few bases (site, model, year, answer)
// by +1 and −1 so that every report which counts both a +1 and a −1 of
// one dimension does not change; the cells that do change are the cube's
// exposed cells. When they are all hidden, the shown figures of every
// report are the same with or without the change, while the small cell
// moves: no combination of shown figures can pin it down. A dimension
// along which the small cell counts every value (a report of every model,
// say) takes one value instead of a pair: the cube then exposes that value
// and the total.
//
// Of the cubes tried (nearby sites first, every other model, year and
// answer), the one hiding the least is taken, preferring one that some
// direction of change keeps at zero or above. Every cell a cube exposes
// is certified with it, so most small cells need no cube of their own.
// A cube that fixes every dimension always exists (it exposes the cell and
// every report that counts it), so every small cell gets one.
func (s *solver) certify() {
	l := s.l
	for n := range l.Nodes {
		for _, c := range s.only {
			f := n*s.nc + c
			v := l.Counts[f]
			if s.certified[f] || !l.Hidden[f] || !s.protect[c] || v <= 0 || v >= l.Min {
				continue
			}
			best, ok := s.bestCube(f)
			if !ok {
				s.uncertified++ // never expected: the cube fixing every dimension exists
				continue
			}
			s.each(best, func(e int) {
				if !l.Hidden[e] {
					s.complements++
					s.hide(e)
				}
				s.certified[e] = true
			})
		}
	}
}

// each calls fn with every exposed cell of a cube that cost found valid
// (every node of it exists).
func (s *solver) each(c cube, fn func(cell int)) {
	size := func(a axis) int { return len(a.plus) + len(a.minus) }
	for i := 0; i < size(c[0]); i++ {
		pl, _ := axisAt(c[0], i)
		for j := 0; j < size(c[1]); j++ {
			mo, _ := axisAt(c[1], j)
			for k := 0; k < size(c[2]); k++ {
				yr, _ := axisAt(c[2], k)
				n := int(s.grid[s.at(pl, mo, yr)])
				for l := 0; l < size(c[3]); l++ {
					cell, _ := axisAt(c[3], l)
					fn(n*s.nc + cell)
				}
			}
		}
	}
}

// headlineWeight makes hiding a cell of a report of every model and year
// (the one a filter on a place alone shows) cost that many times more.
const headlineWeight = 4

// infeasible is the cost added to a cube no direction of change can take
// without making some count negative: the price of hiding a cell of a
// thousand. A higher one makes certificates of sparse sites expose the
// national figures (every place counting the site) rather than a zero.
const infeasible = int64(1000)

// cost is what a cube would hide (each newly hidden cell's count plus
// one), or ok false when one of its nodes has no records or the cost
// reaches bound (bound < 0: none). It walks the cube as each does, but
// without a call per cell: this is where suppression spends its time.
func (s *solver) cost(c cube, bound int64) (cost int64, ok bool) {
	upOK, downOK, down := true, true, false
	vals, hidden, nc := s.l.Counts, s.l.Hidden, s.nc
	a0, a1, a2, a3 := c[0], c[1], c[2], c[3]
	n0, n1, n2, n3 := len(a0.plus)+len(a0.minus), len(a1.plus)+len(a1.minus), len(a2.plus)+len(a2.minus), len(a3.plus)+len(a3.minus)
	for i := 0; i < n0; i++ {
		pl, s0 := axisAt(a0, i)
		for j := 0; j < n1; j++ {
			mo, s1 := axisAt(a1, j)
			for k := 0; k < n2; k++ {
				yr, s2 := axisAt(a2, k)
				n := s.grid[s.at(pl, mo, yr)]
				if n < 0 {
					return 0, false
				}
				base, weight := int(n)*nc, int64(1)
				if mo == 0 && yr == 0 {
					weight = headlineWeight
				}
				for l := 0; l < n3; l++ {
					cell, s3 := axisAt(a3, l)
					e := base + cell
					v := vals[e]
					if !hidden[e] {
						cost += (v + 1) * weight
						if bound >= 0 && cost >= bound {
							return cost, false
						}
					}
					if s0*s1*s2*s3 < 0 {
						down = true
						downOK = downOK && v != 0
					} else {
						upOK = upOK && v != 0
					}
				}
			}
		}
	}
	if down && !upOK && !downOK {
		cost += infeasible
		if bound >= 0 && cost >= bound {
			return cost, false
		}
	}
	return cost, true
}

func axisAt(a axis, i int) (int, int) {
	if i < len(a.plus) {
		return a.plus[i], 1
	}
	return a.minus[i-len(a.plus)], -1
}

// bestCube is the cheapest cube exposing cell f. The cells of one node
// are certified one after the other and mostly take the same places,
// models and years, so the last node's winning axes are tried first.
func (s *solver) bestCube(f int) (cube, bool) {
	n, c := f/s.nc, f%s.nc
	cells := s.axes.cells[c]
	if s.last.node == n {
		for _, d := range cells {
			cb := cube{s.last.cube[0], s.last.cube[1], s.last.cube[2], d}
			if cost, ok := s.cost(cb, 1); ok && cost == 0 {
				return cb, true
			}
		}
	}
	places := s.placeChoices(s.nodePlace[n], s.nodeModel[n], s.nodeYear[n])
	models := s.axes.models[s.nodeModel[n]]
	years := s.axes.years[s.nodeYear[n]]
	var best cube
	bestCost, found := int64(-1), false
search:
	for _, a := range places {
		for _, b := range models {
			for _, y := range years {
				for _, d := range cells {
					cb := cube{a, b, y, d}
					bound := int64(-1)
					if found {
						bound = bestCost
					}
					cost, ok := s.cost(cb, bound)
					if !ok {
						continue
					}
					best, bestCost, found = cb, cost, true
					if cost == 0 {
						break search
					}
				}
			}
		}
	}
	if found {
		s.last.node, s.last.cube = n, best
	}
	return best, found
}

// flatAxes are the choices along a dimension without a hierarchy (model,
// year): value 0 is "every value".
func flatAxes(v, count int) []axis {
	var out []axis
	if v == 0 {
		for m := 1; m < count; m++ {
			out = append(out, axis{plus: []int{m, 0}})
		}
		return out
	}
	for m := 1; m < count; m++ {
		if m != v {
			out = append(out, axis{plus: []int{v}, minus: []int{m}})
		}
	}
	return append(out, axis{plus: []int{v, 0}})
}

// cellAxes are the choices among a node's cells: an answer against
// another answer of its indicator or statement, or with their total.
func (s *solver) cellAxes(c int) []axis {
	if s.l.family[c] >= 0 {
		return s.jointAxes(c)
	}
	g := s.group[c]
	if g < 0 {
		return []axis{{plus: []int{c}}}
	}
	gr := s.groups[g]
	var out []axis
	if c == gr.total {
		for _, x := range gr.parts {
			out = append(out, axis{plus: []int{c, x}})
		}
		return out
	}
	for _, x := range gr.parts {
		if x != c {
			out = append(out, axis{plus: []int{c}, minus: []int{x}})
		}
	}
	return append(out, axis{plus: []int{c, gr.total}})
}
