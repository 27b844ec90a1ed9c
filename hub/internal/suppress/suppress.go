// Package suppress decides small-cell suppression for the hub's outcomes
// reports, over every report at once. It is pure: counts go in, the
// hidden cells come out. It reads no database and knows nothing of how
// the counts were gathered, so the rule can be tested, attacked and timed
// on any picture a test makes, in memory.
//
// What goes in (Input): the minimum cell; the sites, each with the six
// places that count it (the nation, its organization's type, its state,
// its type within its state, its organization, the site itself); the
// cells of a report, each saying whether it counts people (protected);
// the groups of cells that add up within a report (an indicator's answers
// to its n, say); and the counts by base: a site, a program model and an
// enrollment year.
//
// What comes out (Lattice): every report a filter can ask for, as a Node
// (a place, a model or every model, a year or every year), with its
// counts, which of them are hidden, and the note a hidden cell shows. The
// note is the same for every hidden cell, small or hidden to protect a
// small one, so the two cannot be told apart.
//
// # The rule
//
// Every figure is a cell of a node, and the cells are tied by additive
// relations: a node's cell is the sum of the same cell over the nodes
// that split it by one dimension (a place by each finer level of place:
// the national report by organization type, by state, by type and state,
// by organization or by site, a type by state and so on; every model by
// model, the unknown one included; every year by year), and within a
// node a group's total is the sum of its parts (an indicator's n its
// present and absent answers, a statement's n its four answers). Someone
// holding every report can subtract along any relation, and combine any
// number of them.
//
//  1. Primary: a protected cell counting 1 to Min-1 is hidden, and so
//     is every cell of the unknown program model (no filter shows it).
//  2. Relations: in a relation whose total is shown and whose hidden
//     parts add up to more than zero, at least two parts are hidden and
//     they add up to at least Min; a hidden total has at least one hidden
//     part. More are hidden, the smallest non-zero parts first (ties by
//     order), and when no part is left, the total. As a relation hides a
//     cell, the relations of that cell are looked at again, in whatever
//     report they sit: no report is fixed before another.
//  3. Certificates: single relations are not enough, as several can be
//     combined. Each small cell gets a hypercube of hidden cells: a change
//     of the counts that moves it while every shown figure of every report
//     stays the same (certify.go). Then no combination of shown figures
//     pins it down.
//  4. Rule 2 once more, for the cells the certificates hid.
//
// The decision depends only on the data, never on the order it was given
// in, so every replica decides the same. What the rule guarantees, and
// what it does not cover, is in docs/privacy.md ("Small-cell suppression
// in the hub's reports").
package suppress

import (
	"fmt"
	"slices"
	"strings"
)

// The model and year of a report that counts every model or every year,
// and the model of records of no known model (no filter shows them).
const (
	AllModels    = "*"
	UnknownModel = ""
	AllYears     = 0
)

// Site is a site and the places that count it, coarsest first: the
// nation, its organization's type, its state, its type within its state,
// its organization and the site itself. Place names are the caller's; a
// name stands for one place at one level, and the nation has the same
// name for every site.
type Site struct {
	ID     string
	Places [6]string
}

// Base is what counts come by: a site, a program model (UnknownModel for
// records of no known model) and an enrollment year.
type Base struct {
	Site  string
	Model string
	Year  int
}

// Cell is one count of a report. A protected cell counts participants or
// surveys and is what suppression protects; the others (sums of events,
// months, meetings) are added up but never hidden here: the caller shows
// them only next to a protected count that is shown.
type Cell struct {
	Name      string
	Protected bool
}

// Group is a relation within a report: the cell Total is the sum of the
// cells Parts (an indicator's n is its present and absent answers).
type Group struct {
	Total string
	Parts []string
}

// Input is what a publication is made of.
type Input struct {
	// Min is the minimum cell: a protected cell counting 1 to Min-1 is
	// hidden. At 1 or below nothing is.
	Min   int64
	Sites []Site
	// Cells are the cells of every report, each name once.
	Cells []Cell
	// Groups name cells of Cells.
	Groups []Group
	// Joints tie cells of different groups that count the same people
	// (joint.go).
	Joints []Joint
	// Counts are by base, each indexed as Cells; a shorter slice counts
	// zero for the cells after its end. Counts of a site not in Sites
	// belong to no place and are left out.
	Counts map[Base][]int64
}

// Node names one report: a place (of a Site's Places), a model (or
// AllModels, or UnknownModel) and an enrollment year (or AllYears).
type Node struct {
	Place string
	Model string
	Year  int
}

// Lattice is every report of a publication, with its counts and which of
// them are hidden. The order of its sites, cells and nodes depends only
// on the input's names, never on the order they were given in.
type Lattice struct {
	// Min is the input's minimum cell.
	Min int64
	// Sites are the input's, by ID.
	Sites []Site
	// Cells are the input's, by name.
	Cells []Cell
	// Nodes are the reports that count anything, by place, model and year.
	Nodes []Node
	// Counts and Hidden are by node and cell: node*len(Cells) + cell.
	Counts []int64
	Hidden []bool
	// Primary counts the cells hidden by rule 1 (small, or of the unknown
	// model) and Complements those hidden to protect them.
	Primary, Complements int
	// Uncertified counts small cells left without a certificate: never
	// expected (a certificate always exists).
	Uncertified int

	groups []cellGroup
	joints []joint
	family []int // per cell: its joint, -1 for none
	nodeAt map[Node]int
	cellAt map[string]int
}

// Build adds the counts up into every report and decides which cells are
// hidden, over all reports at once, by the rule above. It fails
// only on an input that contradicts itself: a cell named twice, or a
// group naming a cell that is not one.
func Build(in Input) (*Lattice, error) {
	l, err := assemble(in)
	if err != nil {
		return nil, err
	}
	if err := l.resolveJoints(in.Joints); err != nil {
		return nil, err
	}
	l.suppress()
	return l, nil
}

// Node is the index of a report, ok false when it counts nothing (no
// base of its place, model and year).
func (l *Lattice) Node(k Node) (int, bool) {
	n, ok := l.nodeAt[k]
	return n, ok
}

// Cell is the index of a cell by name.
func (l *Lattice) Cell(name string) (int, bool) {
	c, ok := l.cellAt[name]
	return c, ok
}

// Note is what every hidden cell of the lattice says.
func (l *Lattice) Note() string { return Note(l.Min) }

// Note is what a hidden cell says for a minimum cell: the same whether it
// is small or hidden to protect another.
func Note(min int64) string {
	return fmt.Sprintf("suppressed (protects counts under %d)", min)
}

// cellGroup is a Group by cell index.
type cellGroup struct {
	total int
	parts []int
}

// resolve turns the input's groups into cell indexes, by total.
func (l *Lattice) resolve(groups []Group) error {
	idx := func(name string) (int, error) {
		c, ok := l.cellAt[name]
		if !ok {
			return 0, fmt.Errorf("suppress: group names %q, which is not a cell", name)
		}
		return c, nil
	}
	for _, g := range groups {
		var cg cellGroup
		var err error
		if cg.total, err = idx(g.Total); err != nil {
			return err
		}
		for _, x := range g.Parts {
			c, err := idx(x)
			if err != nil {
				return err
			}
			cg.parts = append(cg.parts, c)
		}
		l.groups = append(l.groups, cg)
	}
	slices.SortFunc(l.groups, func(a, b cellGroup) int { return a.total - b.total })
	return nil
}

// sortCells puts the input's cells in name order, and says where each
// went.
func (l *Lattice) sortCells(cells []Cell) (perm []int, err error) {
	l.Cells = slices.Clone(cells)
	slices.SortFunc(l.Cells, func(a, b Cell) int { return strings.Compare(a.Name, b.Name) })
	l.cellAt = make(map[string]int, len(l.Cells))
	for i, c := range l.Cells {
		if _, dup := l.cellAt[c.Name]; dup {
			return nil, fmt.Errorf("suppress: cell %q named twice", c.Name)
		}
		l.cellAt[c.Name] = i
	}
	perm = make([]int, len(cells))
	for i, c := range cells {
		perm[i] = l.cellAt[c.Name]
	}
	return perm, nil
}
