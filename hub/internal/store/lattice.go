package store

import (
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/itsmylife/iml/pkg/contract"
)

// suppress decides which cells are hidden, over the whole lattice.
//
// Every figure is a cell of a node, and the cells are tied by additive
// relations: a node's cell is the sum of the same cell over the nodes
// that split it by one dimension (a place by each finer level of place:
// the national report by organization type, by state, by type and state,
// by organization or by site, a type by state and so on; every model by
// model, the unknown one included; every year by year), and within a node an
// indicator's answers are the present plus the absent ones, a statement's
// the sum of its four answers. Someone holding every report can subtract
// along any relation, and combine any number of them.
//
//  1. Primary: a protected cell counting 1 to min-1 is hidden, and so
//     is every cell of the unknown program model (no filter shows it).
//  2. Relations: in a relation whose total is shown and whose hidden
//     parts add up to more than zero, at least two parts are hidden and
//     they add up to at least min; a hidden total has at least one hidden
//     part. More are hidden, the smallest non-zero parts first (ties by
//     order), and when no part is left, the total. As a relation hides a
//     cell, the relations of that cell are looked at again, in whatever
//     report they sit: no report is fixed before another.
//  3. Certificates: single relations are not enough, as several can be
//     combined. Each small cell gets a hypercube of hidden cells (see
//     certify): a change of the counts that moves it while every shown
//     figure of every report stays the same. Then no combination of shown
//     figures pins it down.
//  4. Rule 2 once more, for the cells the certificates hid.
//
// The decision depends only on the data, so every replica decides the
// same.
func (p *publication) suppress() {
	if p.min <= 1 {
		return // nothing is small
	}
	s := newSolver(p)
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
	certified := make([]bool, len(p.vals)) // each subproblem its own cells
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
		p.primary += w.primary
		p.complements += w.complements
		p.uncertified += w.uncertified
	}
}

// run solves one subproblem: rules 1 to 4 for the cells in s.only.
func (s *solver) run() {
	s.local = make([]int, s.nc)
	for i, c := range s.only {
		s.local[c] = i
	}
	s.queued = make([]uint64, (s.splitCount*len(s.only)+len(s.p.keys))/64+1)
	s.last.node = -1
	p := s.p
	for n, k := range p.keys {
		for _, c := range s.only {
			if v := p.vals[n*s.nc+c]; s.protect[c] && (k.model == "" || (v > 0 && v < p.min)) {
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

// solver holds the lattice's structure while suppression is decided.
type solver struct {
	p        *publication
	nc       int
	protect  []bool // per cell: counted by suppression
	group    []int  // per cell: its group within a node, -1 for none
	groups   []cellGroup
	splits   [][][]int32 // node -> splits -> nodes adding up to it
	parents  [][]split   // node -> the splits it is a part of
	queue    []relation  // from head on
	head     int
	overflow bool // relations were not queued: look at all
	parts    []int
	queued   []uint64 // bitset by relation id (relID)
	// splitBase numbers the splits of all nodes: node -> its first.
	splitBase  []int
	splitCount int
	// A subproblem's own: its cells (and their place among them), and
	// what it counted.
	only                 []int
	local                []int
	certified            []bool // shared: each subproblem writes its own cells
	primary, complements int
	uncertified          int // small cells no cube was found for (never expected)

	// Coordinates of the nodes, as numbers.
	places     []string
	placeAt    map[string]int
	models     []string // models[0] is modelAll
	years      []int    // years[0] is 0 (every year)
	grid       []int32  // (place*len(models)+model)*len(years)+year -> node, -1 for none
	sitePlaces [][6]int // site -> its places, national first
	under      [][]int  // place -> its sites
	nodePlace  []int
	nodeModel  []int
	nodeYear   []int
	near       *nearSites // shared by the subproblems
	// Sites by state and by type (the first few), and the first of each
	// type within a state, for rectangles.
	byState, byType map[int][]int
	tsSite          map[[2]int]int
	axes            *axesCache
	last            struct { // the last cube certify took, and for which node
		node int
		cube cube
	}
}

// cellGroup is a total within a node and the cells that add up to it.
type cellGroup struct {
	total int
	parts []int
}

type split struct{ node, split int32 }

// relation is (node, split, cell) for a split of a node, or (node, -1,
// group) for a group within it.
type relation struct{ node, split, cell int32 }

func newSolver(p *publication) *solver {
	nc := len(p.cells)
	s := &solver{p: p, nc: nc, protect: make([]bool, nc), group: make([]int, nc), placeAt: map[string]int{}}
	for i, c := range p.cells {
		s.protect[i] = isCell(c)
		s.group[i] = -1
	}
	for i, c := range p.cells {
		var g cellGroup
		switch f := strings.Split(c, "/"); {
		case f[0] == "pom" && f[3] == "n":
			base := "pom/" + f[1] + "/" + f[2] + "/"
			g = cellGroup{total: i, parts: []int{p.cellAt[base+"present"], p.cellAt[base+"absent"]}}
		case f[0] == "survey" && f[2] == "n":
			g = cellGroup{total: i}
			for _, a := range contract.SurveyAnswers {
				g.parts = append(g.parts, p.cellAt["survey/"+f[1]+"/"+a])
			}
		default:
			continue
		}
		s.groups = append(s.groups, g)
		s.group[g.total] = len(s.groups) - 1
		for _, x := range g.parts {
			s.group[x] = len(s.groups) - 1
		}
	}

	// Coordinates.
	place := func(name string) int {
		if i, ok := s.placeAt[name]; ok {
			return i
		}
		s.placeAt[name] = len(s.places)
		s.places = append(s.places, name)
		s.under = append(s.under, nil)
		return len(s.places) - 1
	}
	placeKids := map[int][][]int{}
	kids := func(parent, sp, child int) {
		l := placeKids[parent]
		for len(l) <= sp {
			l = append(l, nil)
		}
		if !slices.Contains(l[sp], child) {
			l[sp] = append(l[sp], child)
		}
		placeKids[parent] = l
	}
	for si, names := range p.sitePlaces { // in p.siteIDs order
		var pl [6]int
		for i, n := range names {
			pl[i] = place(n)
			s.under[pl[i]] = append(s.under[pl[i]], si)
		}
		s.sitePlaces = append(s.sitePlaces, pl)
		// A place splits by every finer level: the national report by
		// type, state, type and state, organization and site; a type by
		// state, organization and site; and so on.
		for i, finer := range []int{1, 2, 3, 4, 5} {
			kids(pl[0], i, pl[finer])
		}
		for i, finer := range []int{3, 4, 5} {
			kids(pl[1], i, pl[finer])
			kids(pl[2], i, pl[finer])
		}
		kids(pl[3], 0, pl[4])
		kids(pl[3], 1, pl[5])
		kids(pl[4], 0, pl[5])
	}
	models, years := map[string]bool{}, map[int]bool{}
	for _, k := range p.keys {
		place(k.place)
		if k.model != modelAll {
			models[k.model] = true
		}
		if k.year != 0 {
			years[k.year] = true
		}
	}
	s.models = append([]string{modelAll}, sortedKeys(models)...)
	s.years = []int{0}
	for y := range years {
		s.years = append(s.years, y)
	}
	slices.Sort(s.years[1:])
	s.grid = make([]int32, len(s.places)*len(s.models)*len(s.years))
	for i := range s.grid {
		s.grid[i] = -1
	}
	s.nodePlace, s.nodeModel, s.nodeYear = make([]int, len(p.keys)), make([]int, len(p.keys)), make([]int, len(p.keys))
	for n, k := range p.keys {
		pl, mo, yr := s.placeAt[k.place], slices.Index(s.models, k.model), slices.Index(s.years, k.year)
		s.nodePlace[n], s.nodeModel[n], s.nodeYear[n] = pl, mo, yr
		s.grid[s.at(pl, mo, yr)] = int32(n)
	}

	// Splits.
	s.splits = make([][][]int32, len(p.keys))
	s.parents = make([][]split, len(p.keys))
	for n := range p.keys {
		pl, mo, yr := s.nodePlace[n], s.nodeModel[n], s.nodeYear[n]
		add := func(ch []int32) {
			s.splits[n] = append(s.splits[n], ch)
		}
		for _, l := range placeKids[pl] {
			var ch []int32
			for _, c := range l {
				if x := s.grid[s.at(c, mo, yr)]; x >= 0 {
					ch = append(ch, x)
				}
			}
			add(ch)
		}
		if mo == 0 {
			var ch []int32
			for m := 1; m < len(s.models); m++ {
				if x := s.grid[s.at(pl, m, yr)]; x >= 0 {
					ch = append(ch, x)
				}
			}
			add(ch)
		}
		if yr == 0 {
			var ch []int32
			for y := 1; y < len(s.years); y++ {
				if x := s.grid[s.at(pl, mo, y)]; x >= 0 {
					ch = append(ch, x)
				}
			}
			add(ch)
		}
		for sp, ch := range s.splits[n] {
			for _, x := range ch {
				s.parents[x] = append(s.parents[x], split{int32(n), int32(sp)})
			}
		}
	}
	s.splitBase = make([]int, len(p.keys))
	for n := range p.keys {
		s.splitBase[n] = s.splitCount
		s.splitCount += len(s.splits[n])
	}
	s.near = &nearSites{m: map[[2]int][]int{}}
	s.byState, s.byType, s.tsSite = map[int][]int{}, map[int][]int{}, map[[2]int]int{}
	for si, pl := range s.sitePlaces {
		if len(s.byState[pl[2]]) < 6 {
			s.byState[pl[2]] = append(s.byState[pl[2]], si)
		}
		if len(s.byType[pl[1]]) < 6 {
			s.byType[pl[1]] = append(s.byType[pl[1]], si)
		}
		if _, ok := s.tsSite[[2]int{pl[1], pl[2]}]; !ok {
			s.tsSite[[2]int{pl[1], pl[2]}] = si
		}
	}
	s.axes = &axesCache{places: map[[3]int][]axis{}}
	for v := range s.models {
		s.axes.models = append(s.axes.models, flatAxes(v, len(s.models)))
	}
	for v := range s.years {
		s.axes.years = append(s.axes.years, flatAxes(v, len(s.years)))
	}
	for c := 0; c < nc; c++ {
		s.axes.cells = append(s.axes.cells, s.cellAxes(c))
	}
	return s
}

// relID numbers a relation of the subproblem for its queued set: the
// splits of every node for each of its cells, then each node's group.
func (s *solver) relID(r relation) int {
	if r.split < 0 {
		return s.splitCount*len(s.only) + int(r.node)
	}
	return (s.splitBase[r.node]+int(r.split))*len(s.only) + s.local[r.cell]
}

func (s *solver) at(place, model, year int) int {
	return (place*len(s.models)+model)*len(s.years) + year
}

// hide hides a cell (flat index) and queues every relation it is in.
func (s *solver) hide(f int) {
	if s.p.hidden[f] {
		return
	}
	s.p.hidden[f] = true
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
		for n := range s.p.keys {
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
	p, nc := s.p, s.nc
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
			if p.hidden[f] {
				n++
				sum += p.vals[f]
			}
		}
		if p.hidden[total] {
			if n > 0 {
				return
			}
		} else if sum == 0 || (n >= 2 && sum >= p.min) {
			return
		}
		pick := -1
		for _, f := range parts {
			if !p.hidden[f] && (pick < 0 || betterCell(p.vals, f, pick)) {
				pick = f
			}
		}
		if pick < 0 {
			if !p.hidden[total] {
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
