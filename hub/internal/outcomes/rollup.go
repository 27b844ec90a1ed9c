package outcomes

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
)

// metaRollupVersion names the version of the reporting data in hub_meta:
// a new random value with every change to the rollups.
const metaRollupVersion = "rollup_version"

// The rollups hold the reports' counts per site, enrollment year and
// program model (and timepoint, indicator, statement or answer where the
// figure needs one). The projector moves them by the difference each batch
// of records makes (Delta, which sums the batch's rows in Go as each
// query below sums them in SQL), in the transaction that projects the
// batch; RebuildRollups computes them from scratch with these queries. So
// a report reads a few thousand rollup rows at most, never the records. A
// change to a query here is a change to Delta.addRows too
// (TestDeltaRollupsEqualRebuild compares them).
//
// The program model of a per-participant row is its record's own model or,
// when the agent sent none, the participant record's (effModel).

// participantModel is the model of each participant record in scope, by
// site and participant key.
const participantModel = `LEFT JOIN (SELECT site_id, participant_key, MAX(model) AS model FROM outcome_participants WHERE %s GROUP BY site_id, participant_key) pm
ON pm.site_id = %s.site_id AND pm.participant_key = %s.participant_key`

// beforeTop is a hospitalization's count before enrollment as the reports
// sum it: agents send it top-coded, 3 meaning 3 or more, and a higher count
// from an agent older than the rule counts the same.
var beforeTop = fmt.Sprintf("CASE WHEN h.before_count > %[1]d THEN %[1]d ELSE h.before_count END", contract.BeforeCountTop)

func effModel(alias string) string {
	return "COALESCE(NULLIF(" + alias + ".model, ''), pm.model, '')"
}

func joinModel(alias string, sc scope) string {
	return fmt.Sprintf(participantModel, sc.participant("outcome_participants"), alias, alias)
}

// scope says which projected rows a rollup query reads: participant(alias)
// is the condition on a table keyed by participant (site_id and
// participant_key), record(alias) on one whose rows stand alone (surveys,
// cohort months: by record_id).
type scope struct {
	participant, record func(alias string) string
	pg                  bool // on PostgreSQL
}

// each is a FROM item of the pairs of a JSON object (an interview's or a
// survey's answers): key, and value as text on PostgreSQL (a number or a
// text on SQLite); join it ON 1 = 1 after the row it reads.
func (sc scope) each(expr string) string {
	if sc.pg {
		return "jsonb_each_text(" + expr + ")"
	}
	return "json_each(" + expr + ")"
}

// eachText is each of a JSON object held as text.
func (sc scope) eachText(expr string) string {
	if sc.pg {
		return "jsonb_each_text(CAST(" + expr + " AS JSONB))"
	}
	return "json_each(" + expr + ")"
}

// everything is the scope of a rebuild.
func everything(pg bool) scope {
	return scope{participant: func(string) string { return "1 = 1" }, record: func(string) string { return "1 = 1" }, pg: pg}
}

// isPresent is the condition that the answer a (a pair of an interview's
// answers) says the outcome is present.
func isPresent(a string) string { return "CAST(" + a + ".value AS INTEGER) = 1" }

// rollup describes one rollup table: its key columns, its sums (every
// row has a positive count among them), and the SELECT that computes its
// rows from the projected rows in a scope, key and sums in that order.
type rollup struct {
	table, key, sums string
	// all is the all-sites copy, keyed by the columns in allKey and
	// summing the same sums; "" when there is none.
	all, allKey string
	query       func(sc scope) string
}

func (r rollup) cols() string { return r.key + ", " + r.sums }

var rollups = []rollup{
	{
		table: "rollup_pom", key: "site_id, year, model, timepoint, indicator_code", sums: "n, present",
		all: "rollup_pom_all", allKey: "year, model, timepoint, indicator_code",
		query: func(sc scope) string {
			return `SELECT i.site_id, i.enrollment_year, ` + effModel("i") + `, i.timepoint, a.key, COUNT(*), SUM(CAST(a.value AS INTEGER))
FROM pom_interviews i JOIN ` + sc.each("i.answers") + ` a ON 1 = 1 ` + joinModel("i", sc) + `
WHERE ` + sc.participant("i") + ` GROUP BY i.site_id, i.enrollment_year, ` + effModel("i") + `, i.timepoint, a.key`
		},
	},
	{
		table: "rollup_survey", key: "site_id, year, model, statement_code, answer", sums: "n",
		all: "rollup_survey_all", allKey: "year, model, statement_code, answer",
		query: func(sc scope) string {
			return `SELECT s.site_id, s.year, s.model, a.key, a.value, COUNT(*)
FROM outcome_surveys s JOIN ` + sc.each("s.answers") + ` a ON 1 = 1
WHERE ` + sc.record("s") + ` GROUP BY s.site_id, s.year, s.model, a.key, a.value`
		},
	},
	{
		table: "rollup_people", key: "site_id, year, model",
		sums: "participants, first_interviews, mid_interviews, closing_interviews, surveys, hosp_participants, hosp_before, hosp_during, hosp_months, " +
			"part_participants, part_months, meetings_held, meetings_attended, journals_due, journals_completed, spend_months, receipts_ok, outings1, outings2, outings3, outings4",
		query: func(sc scope) string {
			z := func(n int) string { return strings.TrimSuffix(strings.Repeat("0, ", n), ", ") }
			return `SELECT site_id, year, model, SUM(c1), SUM(c2), SUM(c3), SUM(c4), SUM(c5), SUM(c6), SUM(c7), SUM(c8), SUM(c9), SUM(c10), SUM(c11), SUM(c12), SUM(c13), SUM(c14), SUM(c15), SUM(c16), SUM(c17), SUM(c18), SUM(c19), SUM(c20), SUM(c21)
FROM (
SELECT p.site_id AS site_id, p.enrollment_year AS year, p.model AS model, 1 AS c1, 0 AS c2, 0 AS c3, 0 AS c4, 0 AS c5, 0 AS c6, 0 AS c7, 0 AS c8, 0 AS c9, 0 AS c10,
 0 AS c11, 0 AS c12, 0 AS c13, 0 AS c14, 0 AS c15, 0 AS c16, 0 AS c17, 0 AS c18, 0 AS c19, 0 AS c20, 0 AS c21
 FROM outcome_participants p WHERE ` + sc.participant("p") + `
UNION ALL
SELECT i.site_id, i.enrollment_year, ` + effModel("i") + `, 0, CASE WHEN i.timepoint = 'eligibility' THEN 1 ELSE 0 END, CASE WHEN i.timepoint = 'midpoint' THEN 1 ELSE 0 END,
 CASE WHEN i.timepoint = 'closing' THEN 1 ELSE 0 END, ` + z(17) + `
 FROM pom_interviews i ` + joinModel("i", sc) + ` WHERE ` + sc.participant("i") + `
UNION ALL
SELECT s.site_id, s.year, s.model, 0, 0, 0, 0, 1, ` + z(16) + ` FROM outcome_surveys s WHERE ` + sc.record("s") + `
UNION ALL
SELECT h.site_id, h.enrollment_year, ` + effModel("h") + `, 0, 0, 0, 0, 0, 1, ` + beforeTop + `, h.during_count, h.months_enrolled, ` + z(12) + `
 FROM outcome_hospitalizations h ` + joinModel("h", sc) + ` WHERE ` + sc.participant("h") + `
UNION ALL
SELECT site_id, year, model, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, COUNT(*), SUM(meetings_held), SUM(meetings_attended), SUM(journals_due), SUM(journals_completed),
 SUM(CASE WHEN stipend_spent_cents > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN stipend_spent_cents > 0 AND receipts_complete THEN 1 ELSE 0 END),
 SUM(outings1), SUM(outings2), SUM(outings3), SUM(outings4)
 FROM (SELECT x.site_id, x.enrollment_year AS year, ` + effModel("x") + ` AS model, x.participant_key, x.meetings_held, x.meetings_attended, x.journals_due,
  x.journals_completed, x.stipend_spent_cents, x.receipts_complete, x.outings1, x.outings2, x.outings3, x.outings4
  FROM outcome_participation x ` + joinModel("x", sc) + ` WHERE ` + sc.participant("x") + `) pp
 GROUP BY site_id, year, model, participant_key
) u GROUP BY site_id, year, model`
		},
	},
	{
		// The paired changes (paired.go): a participant's last interview
		// at each timepoint, of the first interview's year and model.
		table: "rollup_pom_paired", key: "site_id, year, model, span, indicator_code", sums: "kept, gained, lost, never",
		query: func(sc scope) string {
			// One row per participant: the last interview at each
			// timepoint, its answers as text (pivoted, not joined to
			// itself, so the plan does not hang on an estimate of the
			// pairs).
			fp, lp := isPresent("fa"), isPresent("la")
			last := func(tp, col string) string {
				return "MAX(CASE WHEN timepoint = '" + tp + "' THEN " + col + " END)"
			}
			return `WITH iv AS (SELECT i.site_id, i.participant_key, i.timepoint, i.enrollment_year, CAST(i.answers AS TEXT) AS answers, ` + effModel("i") + ` AS model,
 ROW_NUMBER() OVER (PARTITION BY i.site_id, i.participant_key, i.timepoint ORDER BY i.program_month DESC, i.record_id DESC) AS rn
 FROM pom_interviews i ` + joinModel("i", sc) + ` WHERE ` + sc.participant("i") + `),
p AS (SELECT site_id, ` + last("eligibility", "enrollment_year") + ` AS year, ` + last("eligibility", "model") + ` AS model,
 ` + last("eligibility", "answers") + ` AS first, ` + last("midpoint", "answers") + ` AS mid, ` + last("closing", "answers") + ` AS closing
 FROM iv WHERE rn = 1 GROUP BY site_id, participant_key)
SELECT p.site_id, p.year, p.model, sp.span, fa.key,
 SUM(CASE WHEN ` + fp + ` AND ` + lp + ` THEN 1 ELSE 0 END), SUM(CASE WHEN NOT ` + fp + ` AND ` + lp + ` THEN 1 ELSE 0 END),
 SUM(CASE WHEN ` + fp + ` AND NOT ` + lp + ` THEN 1 ELSE 0 END), SUM(CASE WHEN NOT ` + fp + ` AND NOT ` + lp + ` THEN 1 ELSE 0 END)
FROM p
JOIN (SELECT 'mf' AS span UNION ALL SELECT 'cf') sp ON 1 = 1
JOIN ` + sc.eachText("p.first") + ` fa ON 1 = 1
JOIN ` + sc.eachText("CASE WHEN sp.span = 'mf' THEN p.mid ELSE p.closing END") + ` la ON la.key = fa.key
WHERE p.first IS NOT NULL
GROUP BY p.site_id, p.year, p.model, sp.span, fa.key`
		},
	},
	{
		// The participants hospitalized at least once during the program.
		table: "rollup_hosp", key: "site_id, year, model", sums: "hospitalized",
		query: func(sc scope) string {
			return `SELECT h.site_id, h.enrollment_year, ` + effModel("h") + `, SUM(CASE WHEN h.during_count > 0 THEN 1 ELSE 0 END)
FROM outcome_hospitalizations h ` + joinModel("h", sc) + ` WHERE ` + sc.participant("h") + `
GROUP BY h.site_id, h.enrollment_year, ` + effModel("h") + ` HAVING SUM(CASE WHEN h.during_count > 0 THEN 1 ELSE 0 END) > 0`
		},
	},
	{
		// The participants with each change in another service.
		table: "rollup_services", key: "site_id, year, model, service, kind", sums: "participants",
		query: func(sc scope) string {
			return `SELECT h.site_id, h.enrollment_year, ` + effModel("h") + `, c.service, c.kind, COUNT(DISTINCT h.record_id)
FROM outcome_hospitalizations h JOIN outcome_service_changes c ON c.record_id = h.record_id ` + joinModel("h", sc) + `
WHERE ` + sc.participant("h") + ` GROUP BY h.site_id, h.enrollment_year, ` + effModel("h") + `, c.service, c.kind`
		},
	},
	{
		// Participation by program month, and the stipend spent.
		table: "rollup_months", key: "site_id, year, model, program_month",
		sums: "participants, meetings_held, meetings_attended, journals_due, journals_completed, stipend_cents",
		query: func(sc scope) string {
			return `SELECT x.site_id, x.enrollment_year, ` + effModel("x") + `, x.program_month, COUNT(DISTINCT x.participant_key),
 SUM(x.meetings_held), SUM(x.meetings_attended), SUM(x.journals_due), SUM(x.journals_completed), SUM(x.stipend_spent_cents)
FROM outcome_participation x ` + joinModel("x", sc) + ` WHERE ` + sc.participant("x") + `
GROUP BY x.site_id, x.enrollment_year, ` + effModel("x") + `, x.program_month`
		},
	},
	{
		table: "rollup_cohorts", key: "site_id, year, model, members", sums: "months, meetings_held, meetings_on_theme",
		query: func(sc scope) string {
			return `SELECT c.site_id, c.start_year, c.model, c.members, COUNT(*), SUM(c.meetings_held), SUM(c.meetings_on_theme)
FROM outcome_cohort_months c WHERE ` + sc.record("c") + ` GROUP BY c.site_id, c.start_year, c.model, c.members`
		},
	},
}

// RebuildRollups recomputes every rollup from the projected rows. The
// projector keeps them current on its own; this is for a bulk load that
// writes projected rows directly, and the reference the projector's deltas
// are tested against (an operator can run it to check).
func (s *Store) RebuildRollups(ctx context.Context) error {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		pg := dbx.Dialect(tx) == dbx.Postgres
		if err := newRollupVersion(tx); err != nil {
			return err
		}
		for _, r := range rollups {
			for _, t := range []string{r.table, r.all} {
				if t == "" {
					continue
				}
				if err := tx.Exec("DELETE FROM " + t).Error; err != nil {
					return err
				}
			}
			if err := tx.Exec("INSERT INTO " + r.table + " (" + r.cols() + ") " + r.query(everything(pg))).Error; err != nil {
				return err
			}
			if r.all != "" {
				sel := make([]string, 0, 4)
				for _, c := range strings.Split(r.sums, ", ") {
					sel = append(sel, "SUM("+c+")")
				}
				err := tx.Exec("INSERT INTO " + r.all + " (" + r.allKey + ", " + r.sums + ") SELECT " + r.allKey + ", " + strings.Join(sel, ", ") +
					" FROM " + r.table + " GROUP BY " + r.allKey).Error
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil || s.Dialect() != dbx.Postgres {
		return err
	}
	// Fresh statistics, so the planner knows the new tables' sizes.
	for _, r := range rollups {
		for _, t := range []string{r.table, r.all} {
			if t != "" {
				if err := s.DB.WithContext(ctx).Exec("ANALYZE " + t).Error; err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// newRollupVersion gives the reporting data a new version.
func newRollupVersion(tx *gorm.DB) error {
	return tx.Exec("UPDATE hub_meta SET value = ? WHERE key = ?", uuid.NewString(), metaRollupVersion).Error
}
