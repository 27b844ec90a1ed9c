package suppress

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Joint ties cells of different groups that count the same people within
// a report, beyond what groups say. An indicator's answers at the first
// and closing interviews and its paired change first → closing count the
// same participants: the paired "gained" is among the closing "present",
// so a shown gained, both and a shown closing n can give away a hidden
// closing present. A Joint describes such a family by atoms, the finest
// counts no report shows (for an indicator, the participants by their
// answer at each timepoint: present, absent, none), and each cell as the
// atoms it adds up.
//
// A family is one subproblem of the rule, and the certificates of its
// small cells move atoms rather than cells: a participant added to an
// atom, or moved from one atom to another, changes every cell that adds
// up the one and not the other. Such a change leaves every shown figure of
// every report as it was only when each cell it changes is hidden, so a
// certificate made of it holds against someone who knows how the cells of
// a family add up.
type Joint struct {
	// Atoms is how many atoms the family has.
	Atoms int
	// Cells are the family's cells, each with the atoms it adds up.
	Cells map[string][]int
}

// joint is a Joint by cell index: the atoms of each of its cells.
type joint struct {
	atoms [][]int // by cell index; nil for a cell not in the family
}

// resolveJoints turns the input's joints into cell indexes and notes
// each cell's family.
func (l *Lattice) resolveJoints(js []Joint) error {
	l.family = make([]int, len(l.Cells))
	for c := range l.family {
		l.family[c] = -1
	}
	for ji, j := range js {
		r := joint{atoms: make([][]int, len(l.Cells))}
		names := make([]string, 0, len(j.Cells))
		for name := range j.Cells {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			c, ok := l.cellAt[name]
			if !ok {
				return fmt.Errorf("suppress: joint names %q, which is not a cell", name)
			}
			if l.family[c] >= 0 {
				return fmt.Errorf("suppress: cell %q is in two joints", name)
			}
			atoms := slices.Clone(j.Cells[name])
			slices.Sort(atoms)
			for _, a := range atoms {
				if a < 0 || a >= j.Atoms {
					return fmt.Errorf("suppress: joint cell %q adds atom %d of %d", name, a, j.Atoms)
				}
			}
			r.atoms[c] = slices.Compact(atoms)
			l.family[c] = ji
		}
		l.joints = append(l.joints, r)
	}
	return nil
}

// jointMoves bounds the moves of atoms a certificate tries for a cell,
// the fewest cells first (adding a participant to each of its atoms is
// always tried too).
const jointMoves = 4

// jointAdds bounds the additions tried, the fewest cells first: one is
// enough for a certificate to exist (fixing every other dimension).
const jointAdds = 2

// jointAxes are the choices among a report's cells for a cell of a
// family: a participant added to one of its atoms (every cell adding up
// that atom moves up), or moved to one of its atoms from another (the
// cells adding up the one and not the other move up, those adding up the
// other and not the one down).
func (s *solver) jointAxes(c int) []axis {
	j := s.l.joints[s.l.family[c]]
	natoms := 0
	for _, as := range j.atoms {
		if len(as) > 0 {
			natoms = max(natoms, as[len(as)-1]+1)
		}
	}
	has := func(cell, atom int) bool { _, ok := slices.BinarySearch(j.atoms[cell], atom); return ok }
	seen := map[string]bool{}
	var adds, moves []axis
	key := func(a axis) string {
		var b strings.Builder
		for _, x := range a.plus {
			b.WriteString(strconv.Itoa(x) + ",")
		}
		b.WriteString("|")
		for _, x := range a.minus {
			b.WriteString(strconv.Itoa(x) + ",")
		}
		return b.String()
	}
	for _, a := range j.atoms[c] {
		for b := -1; b < natoms; b++ { // b = -1: added, from no atom
			if b == a || (b >= 0 && has(c, b)) {
				continue
			}
			var ax axis
			for cell, as := range j.atoms {
				if as == nil {
					continue
				}
				in, out := has(cell, a), b >= 0 && has(cell, b)
				switch {
				case in && !out:
					ax.plus = append(ax.plus, cell)
				case out && !in:
					ax.minus = append(ax.minus, cell)
				}
			}
			k := key(ax)
			if seen[k] {
				continue
			}
			seen[k] = true
			if b < 0 {
				adds = append(adds, ax)
			} else {
				moves = append(moves, ax)
			}
		}
	}
	size := func(a axis) int { return len(a.plus) + len(a.minus) }
	slices.SortStableFunc(moves, func(x, y axis) int { return size(x) - size(y) })
	slices.SortStableFunc(adds, func(x, y axis) int { return size(x) - size(y) })
	return append(moves[:min(len(moves), jointMoves)], adds[:min(len(adds), jointAdds)]...)
}
