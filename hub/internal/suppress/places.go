package suppress

import "sync"

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
		if s.placeLevel[pl] >= 3 { // a type within a state, an organization or a site
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
