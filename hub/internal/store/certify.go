package store

import (
	"strings"
	"sync"
)

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
	p := s.p
	for n := range p.keys {
		for _, c := range s.only {
			f := n*s.nc + c
			v := p.vals[f]
			if s.certified[f] || !p.hidden[f] || !s.protect[c] || v <= 0 || v >= p.min {
				continue
			}
			best, ok := s.bestCube(f)
			if !ok {
				s.uncertified++ // never expected: the cube fixing every dimension exists
				continue
			}
			s.each(best, func(e int) {
				if !p.hidden[e] {
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
	vals, hidden, nc := s.p.vals, s.p.hidden, s.nc
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

// placeAxes are the choices of places for a cell of place pl, model mo
// and year yr: a site it counts against a nearby site it does not count (the places counting
// one of the two but not the other are exposed), or that site alone
// (every place counting it is exposed).
func (s *solver) placeAxes(pl, mo, yr int) []axis {
	var out []axis
	// The cube starts from sites the cell counts that have records of its
	// model and year (a site without them has no node to move).
	var firsts []int
	for _, si := range s.under[pl] {
		if s.grid[s.at(s.sitePlaces[si][5], mo, yr)] >= 0 {
			if firsts = append(firsts, si); len(firsts) == 2 {
				break
			}
		}
	}
	for _, s1 := range firsts {
		for _, s2 := range s.nearest(s1, pl) {
			var a axis
			p1, p2 := s.sitePlaces[s1], s.sitePlaces[s2]
			for _, x := range p1 {
				if !has(p2, x) {
					a.plus = append(a.plus, x)
				}
			}
			for _, x := range p2 {
				if !has(p1, x) {
					a.minus = append(a.minus, x)
				}
			}
			out = append(out, a)
		}
		if !strings.HasPrefix(s.places[pl], "t:") && !strings.HasPrefix(s.places[pl], "s:") && pl != 0 {
			out = append(out, s.rectangles(s1)...)
		}
		out = append(out, axis{plus: s.sitePlaces[s1][:]})
	}
	return out
}

// rectangles are up to three choices of four sites in the type × state
// grid: s1 and s3 up, s2 (s1's state, another type) and s4 (s1's type,
// another state) down, s3 of s2's type and s4's state. Every state and
// type then counts one up and one down and does not change: only the four
// sites, their organizations and their types within states are exposed.
// A site alone in its type and state has no cheaper way to keep its state
// and type figures shown.
func (s *solver) rectangles(s1 int) []axis {
	me := s.sitePlaces[s1]
	var out []axis
	for _, s2 := range s.byState[me[2]] {
		if s.sitePlaces[s2][1] == me[1] {
			continue
		}
		for _, s4 := range s.byType[me[1]] {
			if s.sitePlaces[s4][2] == me[2] {
				continue
			}
			s3, ok := s.tsSite[[2]int{s.sitePlaces[s2][1], s.sitePlaces[s4][2]}]
			if !ok {
				continue
			}
			var a axis
			for _, up := range []int{s1, s3} {
				a.plus = append(a.plus, s.sitePlaces[up][3:]...)
			}
			for _, down := range []int{s2, s4} {
				a.minus = append(a.minus, s.sitePlaces[down][3:]...)
			}
			if out = append(out, a); len(out) == 3 {
				return out
			}
		}
	}
	return out
}

func has(l [6]int, x int) bool {
	for _, y := range l {
		if y == x {
			return true
		}
	}
	return false
}

// axesCache holds the choices of every dimension, made once for all
// subproblems (places as they are asked for).
type axesCache struct {
	models, years, cells [][]axis
	mu                   sync.Mutex
	places               map[[3]int][]axis
}

func (s *solver) placeChoices(pl, mo, yr int) []axis {
	key := [3]int{pl, mo, yr}
	s.axes.mu.Lock()
	a, ok := s.axes.places[key]
	s.axes.mu.Unlock()
	if ok {
		return a
	}
	a = s.placeAxes(pl, mo, yr)
	s.axes.mu.Lock()
	s.axes.places[key] = a
	s.axes.mu.Unlock()
	return a
}

// nearSites caches nearest, for every subproblem.
type nearSites struct {
	mu sync.Mutex
	m  map[[2]int][]int
}

// nearest is up to three sites not counted in place pl, nearest to site
// s1 first: of its organization, of its type and state, of its type, of
// its state, then any (in site order).
func (s *solver) nearest(s1, pl int) []int {
	key := [2]int{s1, pl}
	s.near.mu.Lock()
	l, ok := s.near.m[key]
	s.near.mu.Unlock()
	if ok {
		return l
	}
	const want = 3
	var tiers [5][]int
	me := s.sitePlaces[s1]
	for s2, them := range s.sitePlaces {
		if s2 == s1 || has(them, pl) {
			continue
		}
		t := 4
		switch {
		case them[4] == me[4]:
			t = 0
		case them[3] == me[3]:
			t = 1
		case them[1] == me[1]:
			t = 2
		case them[2] == me[2]:
			t = 3
		}
		if len(tiers[t]) < want {
			tiers[t] = append(tiers[t], s2)
		}
	}
	var out []int
	for _, t := range tiers {
		for _, x := range t {
			if len(out) < want {
				out = append(out, x)
			}
		}
	}
	s.near.mu.Lock()
	s.near.m[key] = out
	s.near.mu.Unlock()
	return out
}
