package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0009ProjectorWatermark replaces the records' projected flag by an ingest
// mark and a watermark. Every record carries the mark of the transaction
// that stored its current version (records.xact: the transaction id on
// PostgreSQL, a counter on SQLite); the projector folds records in (xact,
// id) order and keeps how far it got in record_marks, in the transaction
// that projects them. Projecting then writes no record, and the rollups
// move by each batch's difference, for which the projected tables are
// indexed by participant.
//
// Records projected before keep mark 0, below the watermark (1, ""); those
// waiting get mark 2, above it. Real marks start at 3 on both databases.
func m0009ProjectorWatermark() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0009_projector_watermark",
		Migrate: func(tx *gorm.DB) error {
			if err := execSQL(tx, "0009_projector_watermark"); err != nil {
				return err
			}
			steps := []string{
				"INSERT INTO record_marks (name, xact, record_id) VALUES ('projected', 1, ''), ('ingest', 2, '')",
				"ALTER TABLE records ADD COLUMN xact BIGINT NOT NULL DEFAULT 0",
				"UPDATE records SET xact = 2 WHERE projected = false",
				"DROP INDEX IF EXISTS idx_records_waiting",
				"DROP INDEX IF EXISTS idx_records_projected",
				"ALTER TABLE records DROP COLUMN projected",
				"CREATE INDEX idx_records_mark ON records (xact, id)",
				// A participant's rows, wherever the projection puts them;
				// each replaces the index on site_id alone it begins with.
				"CREATE INDEX idx_pom_interviews_key ON pom_interviews (site_id, participant_key)",
				"CREATE INDEX idx_outcome_hospitalizations_key ON outcome_hospitalizations (site_id, participant_key)",
				"CREATE INDEX idx_outcome_participation_key ON outcome_participation (site_id, participant_key)",
				"DROP INDEX IF EXISTS idx_pom_interviews_site_id",
				"DROP INDEX IF EXISTS idx_outcome_hospitalizations_site_id",
				"DROP INDEX IF EXISTS idx_outcome_participation_site_id",
			}
			return execSteps(tx, steps)
		},
		Rollback: func(tx *gorm.DB) error {
			steps := []string{
				"CREATE INDEX idx_pom_interviews_site_id ON pom_interviews (site_id)",
				"CREATE INDEX idx_outcome_hospitalizations_site_id ON outcome_hospitalizations (site_id)",
				"CREATE INDEX idx_outcome_participation_site_id ON outcome_participation (site_id)",
				"DROP INDEX idx_pom_interviews_key",
				"DROP INDEX idx_outcome_hospitalizations_key",
				"DROP INDEX idx_outcome_participation_key",
				"ALTER TABLE records ADD COLUMN projected BOOLEAN NOT NULL DEFAULT false",
				`UPDATE records SET projected = true WHERE xact < (SELECT xact FROM record_marks WHERE name = 'projected')
 OR (xact = (SELECT xact FROM record_marks WHERE name = 'projected') AND id <= (SELECT record_id FROM record_marks WHERE name = 'projected'))`,
				"CREATE INDEX idx_records_projected ON records (projected)",
				"CREATE INDEX idx_records_waiting ON records (stored_at) WHERE projected = false",
				"DROP INDEX idx_records_mark",
			}
			if err := execSteps(tx, steps); err != nil {
				return err
			}
			if err := dropColumn(tx, "records", "xact"); err != nil {
				return err
			}
			return tx.Migrator().DropTable("record_marks")
		},
	}
}
