package store

import "github.com/go-gormigrate/gormigrate/v2"

// Migrations are the agent's schema changes, in order; never edit one that
// has shipped, add one.
func Migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{m0001Init(), m0002SiteOperations(), m0003MeetingsJournals(), m0004GoalsStipends(), m0005PairsOutings(), m0006Outcomes(), m0007ParticipantAccess(), m0008TARequests(), m0009HubCertifications(), m0010CalendarMonths(), m0011Unanswered(), m0012IntakeHistoryAccounts(), m0013LookupIndexes(), m0014AuditResult()}
}
