package outcomes

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
)

// The projected rows as the rollups read them: a batch's new rows (from
// its decoded records) and the rows it replaces (LoadAffected).
type (
	// Interview is a row of pom_interviews; Answers holds 1 for an
	// outcome present, 0 for absent.
	Interview struct {
		RecordID, SiteID, Key, Timepoint, Model string
		Year, Month                             int
		Answers                                 map[string]int
	}
	// Participant is a row of outcome_participants.
	Participant struct {
		RecordID, SiteID, Key, Model string
		Year                         int
	}
	// Survey is a row of outcome_surveys.
	Survey struct {
		RecordID, SiteID, Model string
		Year                    int
		Answers                 map[string]string
	}
	// Hospitalization is a row of outcome_hospitalizations and its
	// changes in other services (outcome_service_changes: service, kind).
	Hospitalization struct {
		RecordID, SiteID, Key, Model string
		Year, Before, During, Months int
		Services                     [][2]string
	}
	// Participation is a row of outcome_participation.
	Participation struct {
		RecordID, SiteID, Key, Model                string
		Year, Month, Held, Attended, Due, Completed int
		Stipend                                     int64
		Receipts                                    bool
		Outings                                     [4]int
	}
	// CohortMonth is a row of outcome_cohort_months.
	CohortMonth struct {
		RecordID, SiteID, Model      string
		Year, Members, Held, OnTheme int
	}
)

// Rows are projected rows of some records and participants.
type Rows struct {
	Interviews       []Interview
	Participants     []Participant
	Surveys          []Survey
	Hospitalizations []Hospitalization
	Participation    []Participation
	CohortMonths     []CohortMonth
}

// Delta is the difference a batch of records makes to the rollups, summed
// in memory from the projected rows it replaces and those it writes: the
// rows a batch can change are its records' own and, for the rows keyed by
// participant, every row of each participant it touches (the model of a
// participant's rows comes from the participant record, and several
// figures count participants or pair their interviews). The work is in
// proportion to the batch, not to its sites, and the rollups are written
// once per table (Apply). TestDeltaRollupsEqualRebuild holds it to
// RebuildRollups, the same figures computed by SQL.
type Delta struct {
	cells map[string]map[string]*cell // by rollup table, by key
	buf   []byte                      // add's key, reused
}

// cell is one rollup row's key and the amounts its sums move by.
type cell struct {
	key  []any
	sums []int64
}

// NewDelta is the delta of a batch: the rollups of before (every projected
// row of the records and participants it touches) go, those of after (the
// same rows as the batch leaves them) come.
func NewDelta(before, after *Rows) *Delta {
	d := &Delta{cells: map[string]map[string]*cell{}}
	d.addRows(before, -1)
	d.addRows(after, 1)
	return d
}

// rkey is the key of a rollup row: its site, year and model, then up to
// two values more, each a string or an int (as the table's key has them).
// It is a value, so that adding to a row allocates nothing unless the row
// is new to the delta.
type rkey struct {
	site, model string
	year        int
	str         [2]string
	num         [2]int
	n           int   // values after the model
	isNum       uint8 // bit i: value i is num[i], else str[i]
}

func key3(site string, year int, model string) rkey {
	return rkey{site: site, year: year, model: model}
}

// s is k with the string v after its values.
func (k rkey) s(v string) rkey { k.str[k.n] = v; k.n++; return k }

// i is k with the int v after its values.
func (k rkey) i(v int) rkey { k.num[k.n] = v; k.isNum |= 1 << k.n; k.n++; return k }

// values are the key's values in the order of its table's key columns.
func (k rkey) values() []any {
	out := make([]any, 3, 3+k.n)
	out[0], out[1], out[2] = k.site, k.year, k.model
	for j := range k.n {
		if k.isNum&(1<<j) != 0 {
			out = append(out, k.num[j])
		} else {
			out = append(out, k.str[j])
		}
	}
	return out
}

// appendStr and appendInt write one value of a key as add's map key
// has it: type, length or number, then text.
func appendStr(b []byte, v string) []byte {
	return append(append(strconv.AppendInt(append(b, 's'), int64(len(v)), 10), ':'), v...)
}

func appendInt(b []byte, v int) []byte {
	return append(strconv.AppendInt(append(b, 'i'), int64(v), 10), ':')
}

// add moves the rollup row of table at k by sign times sums.
func (d *Delta) add(sign int64, table string, k rkey, sums ...int64) {
	b := appendStr(appendInt(appendStr(d.buf[:0], k.site), k.year), k.model)
	for j := range k.n {
		if k.isNum&(1<<j) != 0 {
			b = appendInt(b, k.num[j])
		} else {
			b = appendStr(b, k.str[j])
		}
	}
	d.buf = b
	d.move(sign, table, b, k.values, sums)
}

// addValues moves the rollup row of table at key (strings and ints) by
// sign times sums.
func (d *Delta) addValues(sign int64, table string, key []any, sums ...int64) {
	b := d.buf[:0]
	for _, v := range key {
		switch v := v.(type) {
		case string:
			b = appendStr(b, v)
		case int:
			b = appendInt(b, v)
		default:
			panic(fmt.Sprintf("rollup key value %v (%T)", v, v))
		}
	}
	d.buf = b
	d.move(sign, table, b, func() []any { return key }, sums)
}

// move moves the row of table whose encoded key is b by sign times sums;
// key gives the row's key values when the row is new to the delta.
func (d *Delta) move(sign int64, table string, b []byte, key func() []any, sums []int64) {
	t := d.cells[table]
	if t == nil {
		t = map[string]*cell{}
		d.cells[table] = t
	}
	c := t[string(b)] // looked up without a copy of the key
	if c == nil {
		c = &cell{key: key(), sums: make([]int64, len(sums))}
		t[string(b)] = c
	}
	for i, v := range sums {
		c.sums[i] += sign * v
	}
}

// people is a row of rollup_people's 21 sums with the given (index,
// value) pairs set.
func people(kv ...int64) (s [21]int64) {
	for i := 0; i+1 < len(kv); i += 2 {
		s[kv[i]] = kv[i+1]
	}
	return s
}

// timepointColumn is the column of rollup_people counting interviews at
// the timepoint tp (0: none).
func timepointColumn(tp string) int64 {
	switch tp {
	case contract.TimepointEligibility:
		return 1
	case contract.TimepointMidpoint:
		return 2
	case contract.TimepointClosing:
		return 3
	}
	return 0
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// addRows adds the rollups of rows, times sign: what each rollup's query
// (rollup.go) computes from them.
func (d *Delta) addRows(r *Rows, sign int64) {
	// The model of a row without one is its participant record's (the
	// greatest, as MAX in SQL, when there are several).
	pm := map[[2]string]string{}
	for _, p := range r.Participants {
		if k := [2]string{p.SiteID, p.Key}; p.Model > pm[k] {
			pm[k] = p.Model
		}
		row := people(0, 1)
		d.add(sign, "rollup_people", key3(p.SiteID, p.Year, p.Model), row[:]...)
	}
	eff := func(site, key, model string) string {
		if model != "" {
			return model
		}
		return pm[[2]string{site, key}]
	}
	for _, s := range r.Surveys {
		row := people(4, 1)
		k := key3(s.SiteID, s.Year, s.Model)
		d.add(sign, "rollup_people", k, row[:]...)
		for code, ans := range s.Answers {
			d.add(sign, "rollup_survey", k.s(code).s(ans), 1)
		}
	}
	for _, c := range r.CohortMonths {
		d.add(sign, "rollup_cohorts", key3(c.SiteID, c.Year, c.Model).i(c.Members), 1, int64(c.Held), int64(c.OnTheme))
	}
	for _, i := range r.Interviews {
		m := eff(i.SiteID, i.Key, i.Model)
		tp := timepointColumn(i.Timepoint)
		row := people(tp, b2i(tp > 0))
		k := key3(i.SiteID, i.Year, m)
		d.add(sign, "rollup_people", k, row[:]...)
		k = k.s(i.Timepoint)
		for code, v := range i.Answers {
			d.add(sign, "rollup_pom", k.s(code), 1, int64(v))
		}
	}
	d.addPaired(r.Interviews, eff, sign)
	for _, h := range r.Hospitalizations {
		m := eff(h.SiteID, h.Key, h.Model)
		row := people(5, 1, 6, int64(contract.TopCodeBefore(h.Before)), 7, int64(h.During), 8, int64(h.Months))
		k := key3(h.SiteID, h.Year, m)
		d.add(sign, "rollup_people", k, row[:]...)
		if h.During > 0 {
			d.add(sign, "rollup_hosp", k, 1)
		}
		seen := map[[2]string]bool{} // a record counts once for a service and kind
		for _, sc := range h.Services {
			if !seen[sc] {
				seen[sc] = true
				d.add(sign, "rollup_services", k.s(sc[0]).s(sc[1]), 1)
			}
		}
	}
	d.addParticipation(r.Participation, eff, sign)
}

// addParticipation adds rollup_months and the participation columns of
// rollup_people: each counts a participant once per group.
func (d *Delta) addParticipation(rows []Participation, eff func(site, key, model string) string, sign int64) {
	type group struct {
		site, key, model string
		year             int
	}
	type month struct {
		group
		month int
	}
	per := map[group]*[21]int64{}
	var order []group
	months := map[month]bool{}
	for _, x := range rows {
		m := eff(x.SiteID, x.Key, x.Model)
		g := group{x.SiteID, x.Key, m, x.Year}
		row := per[g]
		if row == nil {
			row = new([21]int64)
			*row = people(9, 1)
			per[g] = row
			order = append(order, g)
		}
		spent := x.Stipend > 0
		for i, v := range [...]int64{1, int64(x.Held), int64(x.Attended), int64(x.Due), int64(x.Completed), b2i(spent), b2i(spent && x.Receipts),
			int64(x.Outings[0]), int64(x.Outings[1]), int64(x.Outings[2]), int64(x.Outings[3])} {
			row[10+i] += v
		}
		first := !months[month{g, x.Month}]
		months[month{g, x.Month}] = true
		d.add(sign, "rollup_months", key3(x.SiteID, x.Year, m).i(x.Month), b2i(first), int64(x.Held), int64(x.Attended), int64(x.Due), int64(x.Completed), x.Stipend)
	}
	for _, g := range order {
		d.add(sign, "rollup_people", key3(g.site, g.year, g.model), per[g][:]...)
	}
}

// addPaired adds rollup_pom_paired: for each participant with an interview
// at eligibility, the last interview at each timepoint (by program month,
// then record id), and each indicator answered at eligibility and at
// midpoint ("mf") or closing ("cf"), in the year and model of the
// eligibility interview.
func (d *Delta) addPaired(rows []Interview, eff func(site, key, model string) string, sign int64) {
	last := map[[3]string]*Interview{}
	for k := range rows {
		i := &rows[k]
		at := [3]string{i.SiteID, i.Key, i.Timepoint}
		if l := last[at]; l == nil || i.Month > l.Month || i.Month == l.Month && i.RecordID > l.RecordID {
			last[at] = i
		}
	}
	for at, first := range last {
		if at[2] != contract.TimepointEligibility {
			continue
		}
		m := eff(first.SiteID, first.Key, first.Model)
		for _, span := range [][2]string{{"mf", contract.TimepointMidpoint}, {"cf", contract.TimepointClosing}} {
			then := last[[3]string{at[0], at[1], span[1]}]
			if then == nil {
				continue
			}
			for code, fv := range first.Answers {
				lv, ok := then.Answers[code]
				if !ok {
					continue
				}
				fp, lp := fv == 1, lv == 1
				d.add(sign, "rollup_pom_paired", key3(first.SiteID, first.Year, m).s(span[0]).s(code), b2i(fp && lp), b2i(!fp && lp), b2i(fp && !lp), b2i(!fp && !lp))
			}
		}
	}
}

// Apply moves the rollups (and their all-sites copies) by the delta in tx,
// one statement per table it changes, and deletes the rows that fall to
// zero in every sum (a rollup row counts something in one of its sums, or
// is not there).
func (d *Delta) Apply(tx *gorm.DB) error {
	moved := false
	for _, r := range rollups {
		rows, falling := d.rows(r.table, false)
		if len(rows) == 0 {
			continue
		}
		moved = true
		if err := moveRows(tx, r.table, r.key, r.sums, rows, falling); err != nil {
			return err
		}
		if r.all != "" {
			all, fallingAll := d.rows(r.table, true)
			if err := moveRows(tx, r.all, r.allKey, r.sums, all, fallingAll); err != nil {
				return err
			}
		}
	}
	if !moved {
		return nil
	}
	return newRollupVersion(tx)
}

// rows are the rollup rows of table that move (key, then sums), in key
// order, and the keys of those that may fall to zero (some sum goes
// down). all sums them over sites, for the all-sites copy (whose key is
// the rollup's without its first column, site_id).
func (d *Delta) rows(table string, all bool) (rows, falling [][]any) {
	cells := d.cells[table]
	if all {
		sum := &Delta{cells: map[string]map[string]*cell{}}
		for _, c := range cells {
			sum.addValues(1, table, c.key[1:], c.sums...)
		}
		cells = sum.cells[table]
	}
	keys := make([]string, 0, len(cells))
	for k, c := range cells {
		if slices.ContainsFunc(c.sums, func(v int64) bool { return v != 0 }) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, cmp.Compare)
	for _, k := range keys {
		c := cells[k]
		row := append(slices.Clip(c.key), make([]any, 0, len(c.sums))...)
		for _, v := range c.sums {
			row = append(row, v)
		}
		rows = append(rows, row)
		if slices.ContainsFunc(c.sums, func(v int64) bool { return v < 0 }) {
			falling = append(falling, c.key)
		}
	}
	return rows, falling
}

// moveRows adds rows (key, then the amounts of sums) to table, and deletes
// the rows of the falling keys that are then zero in every sum.
func moveRows(tx *gorm.DB, table, key, sums string, rows, falling [][]any) error {
	cs := strings.Split(sums, ", ")
	set, zero := make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		set[i] = c + " = " + table + "." + c + " + excluded." + c
		zero[i] = c + " = 0"
	}
	err := InsertRows(tx, table, key+", "+sums, rows, " ON CONFLICT ("+key+") DO UPDATE SET "+strings.Join(set, ", "))
	if err != nil {
		return err
	}
	// A row value IN a list on PostgreSQL (each value then takes its
	// column's type), IN a VALUES subquery on SQLite (which has only that).
	head := "DELETE FROM " + table + " WHERE (" + key + ") IN ("
	if dbx.Dialect(tx) != dbx.Postgres {
		head += "VALUES "
	}
	return dbx.ExecRows(tx, head, "", ") AND "+strings.Join(zero, " AND "), falling, 0)
}
