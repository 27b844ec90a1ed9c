package suppress

import (
	"runtime"
	"sync"
)

// suppress decides which cells are hidden, over the whole lattice, by
// the rule in the package's documentation; force (nil for none) marks
// cells hidden and certified as small ones are, whatever they count.
func (l *Lattice) suppress(force []bool) {
	s := newSolver(l)
	s.force = force
	// Relations and cubes never mix the cells of two indicators (at one
	// timepoint), two statements or two head counts: each is a subproblem
	// of its own, solved in parallel with the others.
	var subs [][]int
	seen := make([]bool, s.nc)
	for _, g := range s.groups {
		cells := append([]int{g.total}, g.parts...)
		for _, c := range cells {
			seen[c] = true
		}
		subs = append(subs, cells)
	}
	for c := 0; c < s.nc; c++ {
		if s.protect[c] && !seen[c] {
			subs = append(subs, []int{c})
		}
	}
	certified := make([]bool, len(l.Counts)) // each subproblem its own cells
	workers := make([]*solver, len(subs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, cells := range subs {
		w := *s
		w.only, w.certified = cells, certified
		workers[i] = &w
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			workers[i].run()
		}()
	}
	wg.Wait()
	for _, w := range workers {
		l.Primary += w.primary
		l.Complements += w.complements
		l.Uncertified += w.uncertified
	}
}

// run solves one subproblem: rules 1 to 4 for the cells in s.only.
func (s *solver) run() {
	s.local = make([]int, s.nc)
	for i, c := range s.only {
		s.local[c] = i
	}
	s.queued = make([]uint64, (s.splitCount*len(s.only)+len(s.l.Nodes))/64+1)
	s.last.node = -1
	l := s.l
	for n, k := range l.Nodes {
		for _, c := range s.only {
			if v := l.Counts[n*s.nc+c]; s.protect[c] && (k.Model == UnknownModel || (v > 0 && v < l.Min) || s.forced(n*s.nc+c)) {
				s.primary++
				s.hide(n*s.nc + c)
			}
		}
	}
	s.relax()
	s.certify()
	s.relax()
	s.queued, s.queue = nil, nil
}

// forced reports whether a cell (flat index) is forced hidden.
func (s *solver) forced(f int) bool { return s.force != nil && s.force[f] }

// hide hides a cell (flat index) and queues every relation it is in.
func (s *solver) hide(f int) {
	if s.l.Hidden[f] {
		return
	}
	s.l.Hidden[f] = true
	n, c := f/s.nc, f%s.nc
	for sp := range s.splits[n] {
		s.push(relation{int32(n), int32(sp), int32(c)})
	}
	for _, pr := range s.parents[n] {
		s.push(relation{pr.node, pr.split, int32(c)})
	}
	if g := s.group[c]; g >= 0 {
		s.push(relation{int32(n), -1, int32(g)})
	}
}

// maxQueue bounds the relations waiting: past it, relax looks at every
// relation instead (the lattice of a national picture has tens of
// millions).
const maxQueue = 1 << 20

// push queues a relation unless it already waits.
func (s *solver) push(r relation) {
	if s.overflow {
		return // every relation will be looked at
	}
	id := s.relID(r)
	if s.queued[id/64]&(1<<(id%64)) != 0 {
		return
	}
	if len(s.queue) >= maxQueue {
		s.overflow = true
		return
	}
	s.queued[id/64] |= 1 << (id % 64)
	s.queue = append(s.queue, r)
}

// relax applies rule 2 until no queued relation needs more.
func (s *solver) relax() {
	for {
		for s.head < len(s.queue) {
			r := s.queue[s.head]
			s.head++
			id := s.relID(r)
			s.queued[id/64] &^= 1 << (id % 64)
			s.check(r)
		}
		s.queue, s.head = s.queue[:0], 0
		if !s.overflow {
			return
		}
		// Too many relations to queue: look at every one, in order.
		s.overflow = false
		clear(s.queued)
		g := s.group[s.only[0]]
		for n := range s.l.Nodes {
			for sp := range s.splits[n] {
				for _, c := range s.only {
					s.check(relation{int32(n), int32(sp), int32(c)})
				}
			}
			if g >= 0 {
				s.check(relation{int32(n), -1, int32(g)})
			}
		}
	}
}

// check applies rule 2 to one relation.
func (s *solver) check(r relation) {
	l, nc := s.l, s.nc
	total := int(r.node)*nc + int(r.cell)
	parts := s.parts[:0]
	if r.split < 0 {
		g := s.groups[r.cell]
		total = int(r.node)*nc + g.total
		for _, x := range g.parts {
			parts = append(parts, int(r.node)*nc+x)
		}
	} else {
		for _, x := range s.splits[r.node][r.split] {
			parts = append(parts, int(x)*nc+int(r.cell))
		}
	}
	s.parts = parts
	for {
		n, sum := 0, int64(0)
		for _, f := range parts {
			if l.Hidden[f] {
				n++
				sum += l.Counts[f]
			}
		}
		if l.Hidden[total] {
			if n > 0 {
				return
			}
		} else if sum == 0 || (n >= 2 && sum >= l.Min) {
			return
		}
		pick := -1
		for _, f := range parts {
			if !l.Hidden[f] && (pick < 0 || betterCell(l.Counts, f, pick)) {
				pick = f
			}
		}
		if pick < 0 {
			if !l.Hidden[total] {
				s.complements++
				s.hide(total)
			}
			return
		}
		s.complements++
		s.hide(pick)
	}
}

// betterCell orders candidates for complementary suppression: non-zero
// before zero (hiding a zero protects little), then the smallest, then
// the first.
func betterCell(vals []int64, a, b int) bool {
	va, vb := vals[a], vals[b]
	if (va == 0) != (vb == 0) {
		return va != 0
	}
	if va != vb {
		return va < vb
	}
	return a < b
}
