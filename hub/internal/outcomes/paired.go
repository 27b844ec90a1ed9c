package outcomes

import (
	"math"

	"github.com/itsmylife/iml/hub/internal/suppress"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/evaluate"
)

// The paired change of a POM indicator is counted on the participants
// whose first interview and later interview (the mid-point one for span
// "mf", the closing one for "cf") both answered it: how many had the
// outcome at both, gained it, lost it, or had it at neither. The rollup
// rollup_pom_paired holds these four counts by site, enrollment year,
// model, span and indicator.

// pairSpans are the spans of the paired changes, with the later
// timepoint of each.
var pairSpans = []struct{ name, later string }{
	{"mf", contract.TimepointMidpoint},
	{"cf", contract.TimepointClosing},
}

// pairParts are a paired change's counts, as cells pair/<span>/<code>/<part>
// and as the rollup's columns; the cell n adds them up.
var pairParts = []string{"both", "gained", "lost", "neither"}

// pomTimepoints are the timepoints of the unpaired answers, in the order
// of the atoms below.
var pomTimepoints = []string{contract.TimepointEligibility, contract.TimepointMidpoint, contract.TimepointClosing}

// pomAtoms is how many atoms an indicator's joint has: the participants by
// their answer at the first, mid-point and closing interviews, each
// present (0), absent (1) or none (2), as first*9 + mid*3 + closing.
const pomAtoms = 27

// pomJoint ties an indicator's unpaired answers at each timepoint and its
// paired changes for suppression (suppress.Joint): all count the same
// participants, so none may give another away.
func pomJoint(code string) suppress.Joint {
	j := suppress.Joint{Atoms: pomAtoms, Cells: map[string][]int{}}
	add := func(name string, ok func(at [3]int) bool) {
		for a := 0; a < pomAtoms; a++ {
			if at := [3]int{a / 9, a / 3 % 3, a % 3}; ok(at) {
				j.Cells[name] = append(j.Cells[name], a)
			}
		}
	}
	for i, tp := range pomTimepoints {
		k := "pom/" + tp + "/" + code + "/"
		add(k+"present", func(at [3]int) bool { return at[i] == 0 })
		add(k+"absent", func(at [3]int) bool { return at[i] == 1 })
		add(k+"n", func(at [3]int) bool { return at[i] < 2 })
	}
	for si, sp := range pairSpans {
		later := si + 1 // mid-point or closing, in the atom's order
		k := "pair/" + sp.name + "/" + code + "/"
		add(k+"both", func(at [3]int) bool { return at[0] == 0 && at[later] == 0 })
		add(k+"gained", func(at [3]int) bool { return at[0] == 1 && at[later] == 0 })
		add(k+"lost", func(at [3]int) bool { return at[0] == 0 && at[later] == 1 })
		add(k+"neither", func(at [3]int) bool { return at[0] == 1 && at[later] == 1 })
		add(k+"n", func(at [3]int) bool { return at[0] < 2 && at[later] < 2 })
	}
	return j
}

// PairedFigures is a paired change in the outcomes report: its counts,
// the change in percentage points with its 95% interval, and the exact
// McNemar p-value; every figure suppressed when any count behind it is.
type PairedFigures struct {
	N       Figure `json:"n"`
	Both    Figure `json:"both"`
	Gained  Figure `json:"gained"`
	Lost    Figure `json:"lost"`
	Neither Figure `json:"neither"`
	Points  Figure `json:"change_points"`
	Lower   Figure `json:"ci_lower"`
	Upper   Figure `json:"ci_upper"`
	P       Figure `json:"p_value"`
}

// pairedFigures reads an indicator's paired change over a span from a
// report's view; ok false (and every figure suppressed) when suppression
// hides any count behind it.
func pairedFigures(v view, span, code string, minCell int) (PairedFigures, bool) {
	k := "pair/" + span + "/" + code + "/"
	vals := make([]int, len(pairParts))
	for i, part := range pairParts {
		if v.hid(k+part) || v.hid(k+"n") {
			h := hiddenFigure(minCell)
			return PairedFigures{h, h, h, h, h, h, h, h, h}, false
		}
		vals[i] = int(v.val(k + part))
	}
	count := func(x int) Figure { return shown(float64(x)) }
	f := PairedFigures{N: count(vals[0] + vals[1] + vals[2] + vals[3]), Both: count(vals[0]), Gained: count(vals[1]), Lost: count(vals[2]), Neither: count(vals[3])}
	ch := evaluate.PairedFromCounts(vals[0], vals[1], vals[2], vals[3])
	if ch.OK {
		r1 := func(x float64) Figure { return shown(math.Round(x*10) / 10) }
		f.Points, f.Lower, f.Upper = r1(ch.Points), r1(ch.Lower), r1(ch.Upper)
		f.P = shown(math.Round(ch.P*10000) / 10000)
	}
	return f, true
}
