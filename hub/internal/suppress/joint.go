package suppress

import (
	"fmt"
	"math"
	"slices"
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
// After the rule of the package's documentation, every report is looked
// at with its joints: a hidden cell that the report's shown cells of the
// family pin down (its atoms a sum of shown cells' atoms; a shown zero
// pins each of its atoms to zero) makes the family's Yield cells of that
// report forced: hidden, and given a certificate as a small cell is, so
// no combination of other reports pins them down either. The rule runs
// again with them, until no report gives a hidden cell away; after a few
// rounds the Yield cells are hidden in every report.
type Joint struct {
	// Atoms is how many atoms the family has.
	Atoms int
	// Cells are the family's cells, each with the atoms it adds up.
	Cells map[string][]int
	// Yield are the cells hidden when a report would give a hidden cell
	// of the family away: the ones the family adds to the reports (the
	// paired changes), so the figures without them stay as they were.
	Yield []string
}

// joint is a Joint by cell index.
type joint struct {
	atoms int
	cells []int
	sums  [][]int // per cell of cells: its atoms
	yield []int
}

// jointRounds bounds the rounds; past them the Yield cells are hidden in
// every report.
const jointRounds = 4

// resolveJoints turns the input's joints into cell indexes.
func (l *Lattice) resolveJoints(js []Joint) error {
	for _, j := range js {
		var r joint
		r.atoms = j.Atoms
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
			for _, a := range j.Cells[name] {
				if a < 0 || a >= j.Atoms {
					return fmt.Errorf("suppress: joint cell %q adds atom %d of %d", name, a, j.Atoms)
				}
			}
			r.cells = append(r.cells, c)
			r.sums = append(r.sums, j.Cells[name])
		}
		for _, name := range j.Yield {
			c, ok := l.cellAt[name]
			if !ok {
				return fmt.Errorf("suppress: joint yields %q, which is not a cell", name)
			}
			r.yield = append(r.yield, c)
		}
		l.joints = append(l.joints, r)
	}
	return nil
}

// decide runs the rule, then the joints' rounds.
func (l *Lattice) decide() {
	if l.Min <= 1 {
		return // nothing is small
	}
	var force []bool
	for round := 0; ; round++ {
		l.suppress(force)
		leaks := l.leaks(force)
		if len(leaks) == 0 {
			return
		}
		if force == nil {
			force = make([]bool, len(l.Counts))
		}
		if round+1 >= jointRounds {
			// Give up on precision: no report shows a Yield cell.
			for n := range l.Nodes {
				for _, j := range l.joints {
					for _, c := range j.yield {
						force[n*len(l.Cells)+c] = true
					}
				}
			}
		}
		for _, f := range leaks {
			force[f] = true
		}
		clear(l.Hidden)
		l.Primary, l.Complements, l.Uncertified = 0, 0, 0
		l.Forced = 0
		for _, f := range force {
			if f {
				l.Forced++
			}
		}
	}
}

// leaks are the Yield cells to force: those of every report and joint
// where the report's shown cells pin down a hidden cell of the family,
// leaving out cells already forced (a leak nothing more can close is
// left to the rule).
func (l *Lattice) leaks(force []bool) []int {
	nc := len(l.Cells)
	var out []int
	var e echelon
	for n := range l.Nodes {
		base := n * nc
		for _, j := range l.joints {
			if !l.givesAway(&e, base, j) {
				continue
			}
			for _, c := range j.yield {
				if f := base + c; force == nil || !force[f] {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// givesAway reports whether, in one report, the shown cells of a joint
// pin down one of its hidden cells.
func (l *Lattice) givesAway(e *echelon, base int, j joint) bool {
	anyHidden := false
	for _, c := range j.cells {
		if l.Hidden[base+c] {
			anyHidden = true
			break
		}
	}
	if !anyHidden {
		return false
	}
	e.reset(j.atoms)
	vec := make([]float64, j.atoms)
	for i, c := range j.cells {
		if l.Hidden[base+c] {
			continue
		}
		if l.Counts[base+c] == 0 {
			// Counts are never negative: each atom of a zero is zero.
			for _, a := range j.sums[i] {
				clear(vec)
				vec[a] = 1
				e.add(vec)
			}
			continue
		}
		clear(vec)
		for _, a := range j.sums[i] {
			vec[a] = 1
		}
		e.add(vec)
	}
	for i, c := range j.cells {
		if !l.Hidden[base+c] {
			continue
		}
		clear(vec)
		for _, a := range j.sums[i] {
			vec[a] = 1
		}
		if e.spans(vec) {
			return true
		}
	}
	return false
}

// echelon is a basis in row echelon form, by Gaussian elimination: the
// vectors here have a few dozen entries of 0 and 1, far from where
// floating point loses exactness.
type echelon struct {
	rows  [][]float64
	pivot []int
	n     int
}

func (e *echelon) reset(n int) { e.rows, e.pivot, e.n = e.rows[:0], e.pivot[:0], n }

// reduce subtracts the basis from v, in place.
func (e *echelon) reduce(v []float64) {
	for i, r := range e.rows {
		p := e.pivot[i]
		if f := v[p]; f != 0 {
			for k := range v {
				v[k] -= f * r[k]
			}
		}
	}
}

// add adds v (copied) to the basis unless the basis spans it.
func (e *echelon) add(v []float64) {
	w := append([]float64(nil), v...)
	e.reduce(w)
	p := -1
	for k, x := range w {
		if math.Abs(x) > 1e-9 {
			p = k
			break
		}
	}
	if p < 0 {
		return
	}
	f := w[p]
	for k := range w {
		w[k] /= f
	}
	// Keep the basis reduced: earlier rows lose their entry at p.
	for i, r := range e.rows {
		if g := r[p]; g != 0 {
			for k := range r {
				r[k] -= g * w[k]
			}
			e.rows[i] = r
		}
	}
	e.rows = append(e.rows, w)
	e.pivot = append(e.pivot, p)
}

// spans reports whether v is a combination of the basis.
func (e *echelon) spans(v []float64) bool {
	w := append([]float64(nil), v...)
	e.reduce(w)
	for _, x := range w {
		if math.Abs(x) > 1e-9 {
			return false
		}
	}
	return true
}
