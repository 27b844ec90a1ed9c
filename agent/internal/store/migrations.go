package store

import (
	"embed"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/dbx"
)

// Migrations are the agent's schema changes, in order; never edit one that
// has shipped, add one.
func Migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{m0001Init(), m0002SiteOperations(), m0003MeetingsJournals(), m0004GoalsStipends(), m0005PairsOutings(), m0006Outcomes(), m0007ParticipantAccess(), m0008TARequests(), m0009HubCertifications(), m0010CalendarMonths(), m0011Unanswered(), m0012IntakeHistoryAccounts(), m0013LookupIndexes(), m0014AuditResult()}
}

// migrationSQL holds the DDL of the migrations kept in files:
// sql/<id>.sql.
//
//go:embed sql/*.sql
var migrationSQL embed.FS

// execSQL runs the statements of the migration file name.
func execSQL(tx *gorm.DB, name string) error {
	return dbx.ExecScript(tx, migrationSQL, "sql/"+name+".sql")
}
