package suppress

import "slices"

// solver holds the lattice's structure while suppression is decided.
type solver struct {
	l       *Lattice
	nc      int
	protect []bool // per cell: counted by suppression
	group   []int  // per cell: its group within a node, -1 for none
	// subGroups are the groups of a subproblem's cells, and groupLocal
	// their place among them.
	subGroups  []int
	groupLocal map[int]int
	groups     []cellGroup
	splits     [][][]int32 // node -> splits -> nodes adding up to it
	parents    [][]split   // node -> the splits it is a part of
	queue      []relation  // from head on
	head       int
	overflow   bool // relations were not queued: look at all
	parts      []int
	queued     []uint64 // bitset by relation id (relID)
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
	placeLevel []int    // place -> its level (index in Site.Places), -1 for none
	models     []string // models[0] is AllModels
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

type split struct{ node, split int32 }

// relation is (node, split, cell) for a split of a node, or (node, -1,
// group) for a group within it.
type relation struct{ node, split, cell int32 }

// newSolver lays out the lattice's structure: each cell's group, the
// places and their levels, the grid of nodes, their splits, and what
// certificates look for.
func newSolver(l *Lattice) *solver {
	nc := len(l.Cells)
	s := &solver{l: l, nc: nc, protect: make([]bool, nc), group: make([]int, nc), groups: l.groups, placeAt: map[string]int{}}
	for i, c := range l.Cells {
		s.protect[i] = c.Protected
		s.group[i] = -1
	}
	for gi, g := range s.groups {
		s.group[g.total] = gi
		for _, x := range g.parts {
			s.group[x] = gi
		}
	}
	s.coordinates(s.placeTree())
	s.numberSplits()
	s.neighbours()
	return s
}

// place is the number of a place, a new one if need be.
func (s *solver) place(name string, level int) int {
	if i, ok := s.placeAt[name]; ok {
		return i
	}
	s.placeAt[name] = len(s.places)
	s.places = append(s.places, name)
	s.placeLevel = append(s.placeLevel, level)
	s.under = append(s.under, nil)
	return len(s.places) - 1
}

// placeTree numbers the places of the sites and returns, for each place,
// the finer places it splits into, by level: the national report by
// type, state, type and state, organization and site; a type by state,
// organization and site; and so on.
func (s *solver) placeTree() map[int][][]int {
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
	for si, site := range s.l.Sites {
		var pl [6]int
		for i, n := range site.Places {
			pl[i] = s.place(n, i)
			s.under[pl[i]] = append(s.under[pl[i]], si)
		}
		s.sitePlaces = append(s.sitePlaces, pl)
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
	return placeKids
}

// coordinates numbers the models and years, places every node in the
// grid, and makes its splits: by each finer level of place, by model
// (from every model) and by year (from every year).
func (s *solver) coordinates(placeKids map[int][][]int) {
	l := s.l
	models, years := map[string]bool{}, map[int]bool{}
	for _, k := range l.Nodes {
		s.place(k.Place, -1)
		if k.Model != AllModels {
			models[k.Model] = true
		}
		if k.Year != AllYears {
			years[k.Year] = true
		}
	}
	s.models = []string{AllModels}
	for m := range models {
		s.models = append(s.models, m)
	}
	slices.Sort(s.models[1:])
	s.years = []int{AllYears}
	for y := range years {
		s.years = append(s.years, y)
	}
	slices.Sort(s.years[1:])
	s.grid = make([]int32, len(s.places)*len(s.models)*len(s.years))
	for i := range s.grid {
		s.grid[i] = -1
	}
	s.nodePlace, s.nodeModel, s.nodeYear = make([]int, len(l.Nodes)), make([]int, len(l.Nodes)), make([]int, len(l.Nodes))
	for n, k := range l.Nodes {
		pl, mo, yr := s.placeAt[k.Place], slices.Index(s.models, k.Model), slices.Index(s.years, k.Year)
		s.nodePlace[n], s.nodeModel[n], s.nodeYear[n] = pl, mo, yr
		s.grid[s.at(pl, mo, yr)] = int32(n)
	}
	s.splits = make([][][]int32, len(l.Nodes))
	s.parents = make([][]split, len(l.Nodes))
	for n := range l.Nodes {
		pl, mo, yr := s.nodePlace[n], s.nodeModel[n], s.nodeYear[n]
		for _, kids := range placeKids[pl] {
			s.splits[n] = append(s.splits[n], s.present(kids, func(c int) int { return s.at(c, mo, yr) }))
		}
		if mo == 0 {
			s.splits[n] = append(s.splits[n], s.present(seq(1, len(s.models)), func(m int) int { return s.at(pl, m, yr) }))
		}
		if yr == 0 {
			s.splits[n] = append(s.splits[n], s.present(seq(1, len(s.years)), func(y int) int { return s.at(pl, mo, y) }))
		}
		for sp, ch := range s.splits[n] {
			for _, x := range ch {
				s.parents[x] = append(s.parents[x], split{int32(n), int32(sp)})
			}
		}
	}
}

// present are the nodes of the grid cells at(v) for v in vs that exist.
func (s *solver) present(vs []int, at func(v int) int) []int32 {
	var out []int32
	for _, v := range vs {
		if x := s.grid[at(v)]; x >= 0 {
			out = append(out, x)
		}
	}
	return out
}

// seq is from, from+1, ..., to-1.
func seq(from, to int) []int {
	var out []int
	for v := from; v < to; v++ {
		out = append(out, v)
	}
	return out
}

// numberSplits numbers the splits of all nodes, for relID.
func (s *solver) numberSplits() {
	s.splitBase = make([]int, len(s.l.Nodes))
	for n := range s.l.Nodes {
		s.splitBase[n] = s.splitCount
		s.splitCount += len(s.splits[n])
	}
}

// neighbours prepares what certificates look for, shared by every
// subproblem: nearby sites, sites by state and type for rectangles, and
// the choices along model, year and cell.
func (s *solver) neighbours() {
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
	for c := 0; c < s.nc; c++ {
		s.axes.cells = append(s.axes.cells, s.cellAxes(c))
	}
}

// relID numbers a relation of the subproblem for its queued set: the
// splits of every node for each of its cells, then each node's group.
func (s *solver) relID(r relation) int {
	if r.split < 0 {
		return s.splitCount*len(s.only) + int(r.node)*len(s.subGroups) + s.groupLocal[int(r.cell)]
	}
	return (s.splitBase[r.node]+int(r.split))*len(s.only) + s.local[r.cell]
}

func (s *solver) at(place, model, year int) int {
	return (place*len(s.models)+model)*len(s.years) + year
}
