package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0011CompactAnswers keeps an interview's answers, and a survey's, in the
// interview's (survey's) own row: pom_interviews.answers is a JSON object
// of indicator code to 1 (the outcome present) or 0, and
// outcome_surveys.answers one of statement code to answer (JSONB on
// PostgreSQL, TEXT on SQLite). The tables of one row per answer
// (pom_answers, outcome_survey_answers) go: they were most of the rows a
// record projected into (13 per interview, 11 per survey), and the
// rollups read the answers from the object as they aggregate.
//
// It also drops the indexes of pom_interviews, outcome_surveys and
// outcome_cohort_months that no query uses (by org, by participant key
// alone, by site: the rollups read by participant, by record or
// everything), which every projected row paid for.
func m0011CompactAnswers() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0011_compact_answers",
		Migrate: func(tx *gorm.DB) error {
			pg := tx.Dialector.Name() == "postgres"
			typ, pomObj, surveyObj := "TEXT", "json_group_object(a.indicator_code, CASE WHEN a.present THEN 1 ELSE 0 END)", "json_group_object(a.statement_code, a.answer)"
			if pg {
				typ, pomObj, surveyObj = "JSONB", "jsonb_object_agg(a.indicator_code, CASE WHEN a.present THEN 1 ELSE 0 END)", "jsonb_object_agg(a.statement_code, a.answer)"
			}
			steps := []string{
				"ALTER TABLE pom_interviews ADD COLUMN answers " + typ + " NOT NULL DEFAULT '{}'",
				"ALTER TABLE outcome_surveys ADD COLUMN answers " + typ + " NOT NULL DEFAULT '{}'",
				"UPDATE pom_interviews SET answers = (SELECT " + pomObj + " FROM pom_answers a WHERE a.record_id = pom_interviews.record_id) " +
					"WHERE record_id IN (SELECT record_id FROM pom_answers)",
				"UPDATE outcome_surveys SET answers = (SELECT " + surveyObj + " FROM outcome_survey_answers a WHERE a.record_id = outcome_surveys.record_id) " +
					"WHERE record_id IN (SELECT record_id FROM outcome_survey_answers)",
				"DROP TABLE pom_answers",
				"DROP TABLE outcome_survey_answers",
				"DROP INDEX IF EXISTS idx_pom_interviews_org_id",
				"DROP INDEX IF EXISTS idx_pom_interviews_participant_key",
				"DROP INDEX IF EXISTS idx_outcome_surveys_site_id",
				"DROP INDEX IF EXISTS idx_outcome_cohort_months_site_id",
			}
			return execSteps(tx, steps)
		},
		Rollback: func(tx *gorm.DB) error {
			each, present := "json_each(i.answers)", "a.value = 1"
			if tx.Dialector.Name() == "postgres" {
				each, present = "jsonb_each_text(i.answers)", "a.value = '1'"
			}
			steps := []string{
				"CREATE TABLE pom_answers (record_id VARCHAR(36) NOT NULL, indicator_code VARCHAR(40) NOT NULL, present BOOLEAN NOT NULL, PRIMARY KEY (record_id, indicator_code))",
				"CREATE TABLE outcome_survey_answers (record_id VARCHAR(36) NOT NULL, statement_code VARCHAR(40) NOT NULL, answer VARCHAR(30) NOT NULL, PRIMARY KEY (record_id, statement_code))",
				"INSERT INTO pom_answers (record_id, indicator_code, present) SELECT i.record_id, a.key, " + present + " FROM pom_interviews i JOIN " + each + " a ON 1 = 1",
				"INSERT INTO outcome_survey_answers (record_id, statement_code, answer) SELECT i.record_id, a.key, a.value FROM outcome_surveys i JOIN " + each + " a ON 1 = 1",
				"ALTER TABLE pom_interviews DROP COLUMN answers",
				"ALTER TABLE outcome_surveys DROP COLUMN answers",
				"CREATE INDEX idx_pom_interviews_org_id ON pom_interviews (org_id)",
				"CREATE INDEX idx_pom_interviews_participant_key ON pom_interviews (participant_key)",
				"CREATE INDEX idx_outcome_surveys_site_id ON outcome_surveys (site_id)",
				"CREATE INDEX idx_outcome_cohort_months_site_id ON outcome_cohort_months (site_id)",
			}
			return execSteps(tx, steps)
		},
	}
}
