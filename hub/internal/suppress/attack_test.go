package suppress_test

import (
	"math/bits"
	"strconv"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/suppress"
	"github.com/itsmylife/iml/pkg/contract"
)

// covers reports whether a node's report counts a base.
func covers(places map[string][6]string, k suppress.Node, b suppress.Base) bool {
	pl := places[b.Site]
	return strings.Contains(strings.Join(pl[:], "\x00")+"\x00", k.Place+"\x00") && (k.Model == suppress.AllModels || k.Model == b.Model) && (k.Year == suppress.AllYears || k.Year == b.Year)
}

// parts are the base cells a cell adds up: an indicator's n is its present
// and absent answers, a statement's n its four answers.
func parts(cell string) []string {
	f := strings.Split(cell, "/")
	switch {
	case f[0] == "pom" && f[3] == "n":
		b := strings.Join(f[:3], "/") + "/"
		return []string{b + "present", b + "absent"}
	case f[0] == "pair" && f[3] == "n":
		b := strings.Join(f[:3], "/") + "/"
		return []string{b + "both", b + "gained", b + "lost", b + "neither"}
	case f[0] == "survey" && f[2] == "n":
		var out []string
		for _, a := range contract.SurveyAnswers {
			out = append(out, f[0]+"/"+f[1]+"/"+a)
		}
		return out
	}
	return []string{cell}
}

// prime is the field the attack solves in: exact for these small systems.
const prime = (1 << 61) - 1

func mulmod(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	// (hi*2^64 + lo) mod (2^61-1)
	r := (lo & prime) + (lo >> 61) + (hi << 3)
	for r >= prime {
		r -= prime
	}
	return r
}

func powmod(a, e uint64) uint64 {
	r := uint64(1)
	for ; e > 0; e >>= 1 {
		if e&1 == 1 {
			r = mulmod(r, a)
		}
		a = mulmod(a, a)
	}
	return r
}

// span is a row-reduced basis over the prime field.
type span struct {
	rows  map[int][]uint64 // pivot column -> row with 1 there
	order []int
}

// reduce returns v minus its projection on the basis.
func (s *span) reduce(v []uint64) []uint64 {
	v = append([]uint64(nil), v...)
	for _, c := range s.order {
		if f := v[c]; f != 0 {
			r := s.rows[c]
			for j := range v {
				if r[j] != 0 {
					v[j] = (v[j] + prime - mulmod(f, r[j])) % prime
				}
			}
		}
	}
	return v
}

func (s *span) add(v []uint64) {
	v = s.reduce(v)
	for c, x := range v {
		if x != 0 {
			inv := powmod(x, prime-2)
			for j := range v {
				v[j] = mulmod(v[j], inv)
			}
			s.rows[c] = v
			s.order = append(s.order, c)
			return
		}
	}
}

func zero(v []uint64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// attackLattice is someone with every report of the publication: every
// shown figure is a sum of base cells; a hidden figure is pinned down when
// it is a linear combination of shown ones. It returns the small hidden
// figures (1 to min-1) that can be worked out exactly, the unknown
// model's (which no report shows) included, and fails on any shown small
// cell or any shown figure of the unknown model.
func attackLattice(t *testing.T, l *suppress.Lattice, raw map[suppress.Base]map[string]int64) []string {
	t.Helper()
	var bases []suppress.Base
	for b := range raw {
		bases = append(bases, b)
	}
	places := map[string][6]string{}
	for _, si := range l.Sites {
		places[si.ID] = si.Places
	}
	var found []string
	// One system per group of cells that share base cells.
	groups := map[string][]int{} // group total -> its cells
	for i, c := range l.Cells {
		if !c.Protected {
			continue
		}
		ps := parts(c.Name)
		key := ps[0]
		if len(ps) == 1 {
			for j, d := range l.Cells {
				if j != i && d.Protected && len(parts(d.Name)) > 1 && strings.Contains(strings.Join(parts(d.Name), ","), c.Name) {
					key = parts(d.Name)[0]
				}
			}
		}
		groups[key] = append(groups[key], i)
	}
	for _, cells := range groups {
		unknown := map[string]int{}
		for _, b := range bases {
			for _, ci := range cells {
				for _, part := range parts(l.Cells[ci].Name) {
					k := b.Site + "|" + b.Model + "|" + strconv.Itoa(b.Year) + "|" + part
					if _, ok := unknown[k]; !ok {
						unknown[k] = len(unknown)
					}
				}
			}
		}
		vec := func(k suppress.Node, cell string) []uint64 {
			v := make([]uint64, len(unknown))
			for _, b := range bases {
				if covers(places, k, b) {
					for _, part := range parts(cell) {
						v[unknown[b.Site+"|"+b.Model+"|"+strconv.Itoa(b.Year)+"|"+part]] = 1
					}
				}
			}
			return v
		}
		sp := &span{rows: map[int][]uint64{}}
		type target struct {
			name string
			v    []uint64
		}
		var targets []target
		for n, k := range l.Nodes {
			for _, ci := range cells {
				val, hid := l.Counts[n*len(l.Cells)+ci], l.Hidden[n*len(l.Cells)+ci]
				name := k.Place + "," + k.Model + "," + strconv.Itoa(k.Year) + "," + l.Cells[ci].Name
				switch {
				case !hid && k.Model == suppress.UnknownModel:
					t.Fatalf("%s of the unknown model shown", name)
				case !hid && val > 0 && val < l.Min:
					t.Fatalf("%s = %d shown", name, val)
				case !hid:
					sp.add(vec(k, l.Cells[ci].Name))
				case val > 0 && val < l.Min:
					targets = append(targets, target{name + "=" + strconv.FormatInt(val, 10), vec(k, l.Cells[ci].Name)})
				}
			}
		}
		for _, tg := range targets {
			if zero(sp.reduce(tg.v)) {
				found = append(found, tg.name)
			}
		}
	}
	return found
}
