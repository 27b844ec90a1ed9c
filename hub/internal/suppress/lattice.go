package suppress

import (
	"runtime"
	"sync"
)

// suppress decides which cells are hidden, over the whole lattice, by
// the rule in the package's documentation.
func (l *Lattice) suppress() {
	if l.Min <= 1 {
		return // nothing is small
	}
	s := newSolver(l)
	// Relations and cubes never mix the cells of two indicators (at one
	// timepoint), two statements or two head counts, unless a joint ties
	// them: each is a subproblem of its own, solved in parallel with the
	// others, on all cores but one: a hub publishes while it takes pushes,
	// and a push waiting for a core while the solver holds them all would
	// wait up to the scheduler's time slice at every step of its answer.
	subs := s.subproblems()
	certified := make([]bool, len(l.Counts)) // each subproblem its own cells
	workers := make([]*solver, len(subs))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))
	var wg sync.WaitGroup
	for i, cells := range subs {
		w := *s
		w.only, w.certified = cells, certified
		w.ownGroups(cells)
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
	s.queued = make([]uint64, (s.splitCount*len(s.only)+len(s.l.Nodes)*len(s.subGroups))/64+1)
	s.last.node = -1
	l := s.l
	for n, k := range l.Nodes {
		for _, c := range s.only {
			if v := l.Counts[n*s.nc+c]; s.protect[c] && (k.Model == UnknownModel || (v > 0 && v < l.Min)) {
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
		for n := range s.l.Nodes {
			for sp := range s.splits[n] {
				for _, c := range s.only {
					s.check(relation{int32(n), int32(sp), int32(c)})
				}
			}
			for _, g := range s.subGroups {
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

// subproblems are the cells solved together: a group's cells, every cell
// of a joint with the groups of its cells, and each protected cell of
// neither alone; in the order of their first cell.
func (s *solver) subproblems() [][]int {
	parent := make([]int, s.nc)
	for c := range parent {
		parent[c] = c
	}
	root := func(c int) int {
		for parent[c] != c {
			parent[c] = parent[parent[c]]
			c = parent[c]
		}
		return c
	}
	union := func(a, b int) {
		if ra, rb := root(a), root(b); ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	tied := make([]bool, s.nc)
	for _, g := range s.groups {
		tied[g.total] = true
		for _, x := range g.parts {
			union(g.total, x)
			tied[x] = true
		}
	}
	first := make([]int, len(s.l.joints))
	for j := range first {
		first[j] = -1
	}
	for c, j := range s.l.family {
		if j < 0 {
			continue
		}
		tied[c] = true
		if first[j] < 0 {
			first[j] = c
		} else {
			union(first[j], c)
		}
	}
	at := map[int]int{}
	var subs [][]int
	for c := 0; c < s.nc; c++ {
		if !tied[c] && !s.protect[c] {
			continue
		}
		r := root(c)
		i, ok := at[r]
		if !ok {
			i = len(subs)
			at[r] = i
			subs = append(subs, nil)
		}
		subs[i] = append(subs[i], c)
	}
	return subs
}

// ownGroups notes the groups of a subproblem's cells, numbered within it
// for relID.
func (s *solver) ownGroups(cells []int) {
	s.subGroups, s.groupLocal = nil, map[int]int{}
	for _, c := range cells {
		if g := s.group[c]; g >= 0 {
			if _, ok := s.groupLocal[g]; !ok {
				s.groupLocal[g] = len(s.subGroups)
				s.subGroups = append(s.subGroups, g)
			}
		}
	}
}
