package outcomes

import (
	"strings"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/dbx"
)

// Delta moves the rollups by the difference one batch of records makes to
// the projected rows, with work in proportion to the batch, not to its
// sites. The rows a batch can change are its records' own and, for the
// tables keyed by participant, every row of each participant it touches
// (the model of a participant's rows comes from the participant record,
// and the participation figures count participants): the affected set.
// BeginDelta, before the batch's rows are replaced, subtracts the rollup
// rows computed over the affected set; Apply, after, adds them computed
// again, and drops the rollup rows left at zero. The all-sites copies move
// by the same amounts.
//
// The affected set and the differences are held in temporary tables of the
// transaction's connection (emptied at commit on PostgreSQL, at the start
// of the next batch on SQLite).
type Delta struct {
	tx *gorm.DB
}

// participantTables are the projected tables keyed by participant.
var participantTables = []string{"pom_interviews", "outcome_participants", "outcome_hospitalizations", "outcome_participation"}

// inDelta is the scope of a delta: the affected set.
func inDelta(pg bool) scope {
	return scope{
		participant: func(a string) string {
			return "(" + a + ".site_id, " + a + ".participant_key) IN (SELECT site_id, participant_key FROM proj_keys)"
		},
		record: func(a string) string { return a + ".record_id IN (SELECT record_id FROM proj_records)" },
		pg:     pg,
	}
}

// BatchRecords is the temporary table that holds the ids of the batch's
// records while a Delta is open: the projector replaces their rows by
// these ids.
const BatchRecords = "proj_records"

func deltaTable(r rollup) string { return "proj_d_" + r.table }

// BeginDelta starts the delta of a batch in tx: recordIDs are the batch's
// records (new, corrected or withdrawn) and keys the (site_id,
// participant_key) of their new rows; the keys of their rows projected
// now are added here. Call it before the batch's rows are replaced, and
// Apply after.
func BeginDelta(tx *gorm.DB, recordIDs []string, keys [][2]string) (*Delta, error) {
	pg := dbx.Dialect(tx) == dbx.Postgres
	tail := ""
	if pg {
		tail = " ON COMMIT DELETE ROWS"
	}
	setup := []string{
		"CREATE TEMP TABLE IF NOT EXISTS proj_records (record_id VARCHAR(36) PRIMARY KEY)" + tail,
		"CREATE TEMP TABLE IF NOT EXISTS proj_keys (site_id VARCHAR(36) NOT NULL, participant_key VARCHAR(36) NOT NULL, PRIMARY KEY (site_id, participant_key))" + tail,
	}
	for _, r := range rollups {
		if pg {
			setup = append(setup, "CREATE TEMP TABLE IF NOT EXISTS "+deltaTable(r)+" (LIKE "+r.table+")"+tail)
		} else {
			setup = append(setup, "CREATE TEMP TABLE IF NOT EXISTS "+deltaTable(r)+" AS SELECT * FROM "+r.table+" WHERE 0")
		}
	}
	if !pg { // what an earlier batch on this connection left
		setup = append(setup, "DELETE FROM proj_records", "DELETE FROM proj_keys")
		for _, r := range rollups {
			setup = append(setup, "DELETE FROM "+deltaTable(r))
		}
	}
	for _, q := range setup {
		if err := tx.Exec(q).Error; err != nil {
			return nil, err
		}
	}
	ids := make([][]any, len(recordIDs))
	for i, id := range recordIDs {
		ids[i] = []any{id}
	}
	if err := dbx.ExecRows(tx, "INSERT INTO proj_records (record_id) VALUES ", "(?)", " ON CONFLICT DO NOTHING", ids, 0); err != nil {
		return nil, err
	}
	seen := make(map[[2]string]struct{}, len(keys))
	rows := make([][]any, 0, len(keys))
	for _, k := range keys {
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			rows = append(rows, []any{k[0], k[1]})
		}
	}
	if err := dbx.ExecRows(tx, "INSERT INTO proj_keys (site_id, participant_key) VALUES ", "(?, ?)", " ON CONFLICT DO NOTHING", rows, 0); err != nil {
		return nil, err
	}
	for _, t := range participantTables {
		err := tx.Exec("INSERT INTO proj_keys (site_id, participant_key) SELECT DISTINCT t.site_id, t.participant_key FROM " + t +
			" t WHERE t.record_id IN (SELECT record_id FROM proj_records) ON CONFLICT DO NOTHING").Error
		if err != nil {
			return nil, err
		}
	}
	if pg { // the planner's sizes: a batch, not the default guess
		if err := tx.Exec("ANALYZE proj_records, proj_keys").Error; err != nil {
			return nil, err
		}
	}
	d := &Delta{tx: tx}
	if err := d.collect(); err != nil {
		return nil, err
	}
	// What was collected so far is what the affected set held: it goes.
	for _, r := range rollups {
		if err := tx.Exec("UPDATE " + deltaTable(r) + " SET " + negate(r.sums)).Error; err != nil {
			return nil, err
		}
	}
	return d, nil
}

// collect adds the rollup rows of the affected set to the delta tables.
func (d *Delta) collect() error {
	for _, r := range rollups {
		if err := d.tx.Exec("INSERT INTO " + deltaTable(r) + " (" + r.cols() + ") " + r.query(inDelta(dbx.Dialect(d.tx) == dbx.Postgres))).Error; err != nil {
			return err
		}
	}
	return nil
}

// Apply adds the rollup rows of the affected set as the batch left it,
// and moves the rollups (and the all-sites copies) by the difference.
func (d *Delta) Apply() error {
	if err := d.collect(); err != nil {
		return err
	}
	for _, r := range rollups {
		if err := move(d.tx, r.table, r.key, r.sums, deltaTable(r)); err != nil {
			return err
		}
		if r.all != "" {
			if err := move(d.tx, r.all, r.allKey, r.sums, deltaTable(r)); err != nil {
				return err
			}
		}
	}
	return newRollupVersion(d.tx)
}

// move adds the differences in src, summed by key, to table, and deletes
// the rows of those keys that fall to zero in every sum (a rollup row
// counts something in one of its sums, or is not there).
func move(tx *gorm.DB, table, key, sums, src string) error {
	cs := strings.Split(sums, ", ")
	sel, nonzero, set, zero := make([]string, len(cs)), make([]string, len(cs)), make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		sel[i] = "SUM(" + c + ")"
		nonzero[i] = "SUM(" + c + ") <> 0"
		set[i] = c + " = " + table + "." + c + " + excluded." + c
		zero[i] = c + " = 0"
	}
	// WHERE 1 = 1: SQLite reads an upsert after a bare SELECT's FROM
	// as a join's ON.
	err := tx.Exec("INSERT INTO " + table + " (" + key + ", " + sums + ") SELECT " + key + ", " + strings.Join(sel, ", ") +
		" FROM " + src + " WHERE 1 = 1 GROUP BY " + key + " HAVING " + strings.Join(nonzero, " OR ") +
		" ON CONFLICT (" + key + ") DO UPDATE SET " + strings.Join(set, ", ")).Error
	if err != nil {
		return err
	}
	return tx.Exec("DELETE FROM " + table + " WHERE (" + key + ") IN (SELECT " + key + " FROM " + src + ") AND " + strings.Join(zero, " AND ")).Error
}

func negate(sums string) string {
	cs := strings.Split(sums, ", ")
	for i, c := range cs {
		cs[i] = c + " = -" + c
	}
	return strings.Join(cs, ", ")
}
