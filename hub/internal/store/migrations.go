package store

import (
	"embed"
	"log/slog"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/dbx"
)

// Migrations are the hub's schema changes, in order. Each one runs the DDL
// it was written with (sql/<id>.<dialect>.sql), so later model changes never
// rewrite history. Never edit a migration that has shipped; add one. Data
// migrations log what they changed to log.
func Migrations(log *slog.Logger) []*gormigrate.Migration {
	return []*gormigrate.Migration{m0001Init(), m0002Outcomes(), m0003StaffAccess(), m0004AffiliatesTA(), m0005KitsTraining(), m0006CleanRecords(log), m0007TokenEpochs(), m0008RecordStoredAt(), m0009ProjectorWatermark(), m0010POMPaired(), m0011CompactAnswers(), m0012HospitalCounts(), m0013ParticipationMonths(), m0014RollupFillfactor()}
}

// execSteps runs a migration's statements in order, stopping at the first
// that fails.
func execSteps(tx *gorm.DB, steps []string) error {
	for _, q := range steps {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrationSQL holds the DDL of the migrations, one file per migration and
// database: sql/<id>.sqlite.sql and sql/<id>.postgres.sql (a rollback's:
// <id>.down).
//
//go:embed sql/*.sql
var migrationSQL embed.FS

// execSQL runs the statements of the migration file name for the
// database's dialect.
func execSQL(tx *gorm.DB, name string) error {
	return dbx.ExecScript(tx, migrationSQL, "sql/"+name+"."+dbx.Dialect(tx)+".sql")
}

// dropTables drops the tables named, in the order given.
func dropTables(tx *gorm.DB, names ...string) error {
	for _, n := range names {
		if err := tx.Migrator().DropTable(n); err != nil {
			return err
		}
	}
	return nil
}
