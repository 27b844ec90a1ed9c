package outcomes

import (
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/suppress"
	"github.com/itsmylife/iml/pkg/contract"
)

// The cells of a publication as read from the rollups, and what the
// suppression engine is told of them.

// rawCells are the counts by base as read, with the cells in the order
// they were first seen.
type rawCells struct {
	names []string
	index map[string]int
	raw   map[suppress.Base][]int64
	// pomCodes are the indicators seen, in order, and pairs the cells of
	// each one's paired changes by span (pomFamily).
	pomCodes []string
	pairs    map[string]map[string][]int
}

// pomFamily registers every cell of an indicator's joint (its answers at
// each timepoint and its paired changes), so each exists whether or not
// the rollups hold it, and returns the paired cells by span: the four
// counts, then n.
func (r *rawCells) pomFamily(code string) map[string][]int {
	if fam, ok := r.pairs[code]; ok {
		return fam
	}
	if r.pairs == nil {
		r.pairs = map[string]map[string][]int{}
	}
	r.pomCodes = append(r.pomCodes, code)
	for _, tp := range pomTimepoints {
		for _, c := range []string{"n", "present", "absent"} {
			r.cell("pom/" + tp + "/" + code + "/" + c)
		}
	}
	fam := map[string][]int{}
	for _, sp := range pairSpans {
		var ix []int
		for _, part := range append(pairParts[:4:4], "n") {
			ix = append(ix, r.cell("pair/"+sp.name+"/"+code+"/"+part))
		}
		fam[sp.name] = ix
	}
	r.pairs[code] = fam
	return fam
}

// cell is the index of a cell name, a new one if need be.
func (r *rawCells) cell(name string) int {
	if r.index == nil {
		r.index, r.raw = map[string]int{}, map[suppress.Base][]int64{}
	}
	i, ok := r.index[name]
	if !ok {
		i = len(r.names)
		r.index[name] = i
		r.names = append(r.names, name)
	}
	return i
}

// at is a base's counts, as long as the cells seen so far.
func (r *rawCells) at(b suppress.Base) []int64 {
	v := r.raw[b]
	if len(v) < len(r.names) {
		v = append(v, make([]int64, len(r.names)-len(v))...)
		r.raw[b] = v
	}
	return v
}

// input is what suppression is decided on: the sites with their places,
// every cell read (and every head count, read or not), which of them count
// people (isCell), how an indicator's and a statement's answers add up,
// and the counts by base as read.
func (p *publication) input(r *rawCells) suppress.Input {
	for _, k := range totalKeys {
		r.cell(k)
	}
	in := suppress.Input{Min: p.min, Counts: r.raw, Groups: cellGroups(r.names)}
	for _, code := range r.pomCodes {
		in.Joints = append(in.Joints, pomJoint(code))
	}
	for _, si := range p.sites {
		in.Sites = append(in.Sites, suppress.Site{ID: si.ID, Places: placesOf(si)})
	}
	for _, name := range r.names {
		in.Cells = append(in.Cells, suppress.Cell{Name: name, Protected: isCell(name)})
	}
	return in
}

// cellGroups are the relations within a report among the cells named: an
// indicator's n is its present and absent answers, a statement's n the
// sum of its answers.
func cellGroups(names []string) []suppress.Group {
	var out []suppress.Group
	for _, c := range names {
		switch f := strings.Split(c, "/"); {
		case f[0] == "pom" && f[3] == "n":
			base := "pom/" + f[1] + "/" + f[2] + "/"
			out = append(out, suppress.Group{Total: c, Parts: []string{base + "present", base + "absent"}})
		case f[0] == "pair" && f[3] == "n":
			base := "pair/" + f[1] + "/" + f[2] + "/"
			g := suppress.Group{Total: c}
			for _, part := range pairParts {
				g.Parts = append(g.Parts, base+part)
			}
			out = append(out, g)
		case f[0] == "survey" && f[2] == "n":
			g := suppress.Group{Total: c}
			for _, a := range contract.SurveyAnswers {
				g.Parts = append(g.Parts, "survey/"+f[1]+"/"+a)
			}
			out = append(out, g)
		}
	}
	return out
}

// scanRows runs a query and calls each after scanning every row into dest.
func scanRows(db *gorm.DB, q string, dest []any, each func()) error {
	rows, err := db.Raw(q).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		each()
	}
	return rows.Err()
}

// scanPairs reads the paired-change rollup into the cells
// pair/<span>/<code>/{both,gained,lost,neither,n}.
func (r *rawCells) scanPairs(scan func(q string, dest []any, each func()) error) error {
	var b suppress.Base
	var span, code string
	var both, gained, lost, neither int64
	return scan("SELECT site_id, model, year, span, indicator_code, kept, gained, lost, never FROM rollup_pom_paired",
		[]any{&b.Site, &b.Model, &b.Year, &span, &code, &both, &gained, &lost, &neither}, func() {
			ix := r.pomFamily(code)[span]
			v := r.at(b)
			for i, x := range []int64{both, gained, lost, neither} {
				v[ix[i]] += x
				v[ix[4]] += x
			}
		})
}

// scanHospital reads the participants hospitalized during the program
// (cell total/hosp_hospitalized) and those with each change in another
// service (svc/<service>/<kind>).
func (r *rawCells) scanHospital(scan func(q string, dest []any, each func()) error) error {
	var b suppress.Base
	var n int64
	hosp := r.cell(hospitalizedCell)
	if err := scan("SELECT site_id, model, year, hospitalized FROM rollup_hosp", []any{&b.Site, &b.Model, &b.Year, &n}, func() {
		r.at(b)[hosp] += n
	}); err != nil {
		return err
	}
	var service, kind string
	return scan("SELECT site_id, model, year, service, kind, participants FROM rollup_services", []any{&b.Site, &b.Model, &b.Year, &service, &kind, &n}, func() {
		c := r.cell(serviceCell(service, kind))
		r.at(b)[c] += n
	})
}

// hospitalizedCell counts the participants hospitalized at least once
// during the program.
const hospitalizedCell = "total/hosp_hospitalized"

// serviceCell counts the participants with a change of a kind in another
// service.
func serviceCell(service, kind string) string { return "svc/" + service + "/" + kind }

// monthCell names a cell of participation by program month: its
// participants (protected), or a sum beside them (held, attended, due,
// done, stipend).
func monthCell(month int, part string) string { return fmt.Sprintf("month/%02d/%s", month, part) }

// stipendCell is the stipend spent, in cents, over every month.
const stipendCell = "total/stipend_cents"

// scanMonths reads participation by program month, and the stipend spent.
func (r *rawCells) scanMonths(scan func(q string, dest []any, each func()) error) error {
	var b suppress.Base
	var month int
	vals := make([]int64, 6)
	parts := []string{"participants", "held", "attended", "due", "done", "stipend"}
	dest := []any{&b.Site, &b.Model, &b.Year, &month}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	stipend := r.cell(stipendCell)
	return scan("SELECT site_id, model, year, program_month, participants, meetings_held, meetings_attended, journals_due, journals_completed, stipend_cents FROM rollup_months", dest, func() {
		idx := make([]int, len(parts))
		for i, p := range parts {
			idx[i] = r.cell(monthCell(month, p))
		}
		v := r.at(b)
		for i, x := range vals {
			v[idx[i]] += x
		}
		v[stipend] += vals[5]
	})
}
