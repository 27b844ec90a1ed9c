package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func m0001Init() *gormigrate.Migration {
	type agentMeta struct {
		Key   string `gorm:"primaryKey;size:64"`
		Value string `gorm:"not null"`
	}
	type release struct {
		Version    string    `gorm:"primaryKey;size:40"`
		SHA256     string    `gorm:"size:64;not null"`
		Content    string    `gorm:"type:text;not null"`
		ReceivedAt time.Time `gorm:"not null"`
	}
	type participant struct {
		ID           string `gorm:"primaryKey;size:36"`
		SurrogateKey string `gorm:"size:36;not null;uniqueIndex"`
		FirstName    string `gorm:"size:100;not null"`
		LastName     string `gorm:"size:100;not null"`
		BirthDate    string `gorm:"size:10;not null"`
		Phone        string `gorm:"size:40"`
		Email        string `gorm:"size:200"`
		Address      string `gorm:"size:300"`
		EnrolledOn   string `gorm:"size:10;not null"`
		WithdrawnAt  *time.Time
		CreatedAt    time.Time `gorm:"not null"`
		UpdatedAt    time.Time `gorm:"not null"`
	}
	type pomInterview struct {
		ID            string    `gorm:"primaryKey;size:36"`
		ParticipantID string    `gorm:"size:36;not null;uniqueIndex:ux_pom_participant_timepoint"`
		Timepoint     string    `gorm:"size:20;not null;uniqueIndex:ux_pom_participant_timepoint"`
		InterviewedOn string    `gorm:"size:10;not null"`
		Release       string    `gorm:"size:40;not null"`
		Answers       string    `gorm:"type:text;not null"`
		Notes         string    `gorm:"type:text"`
		CreatedAt     time.Time `gorm:"not null"`
		UpdatedAt     time.Time `gorm:"not null"`
	}
	type user struct {
		ID           string `gorm:"primaryKey;size:36"`
		Email        string `gorm:"size:200;not null;uniqueIndex"`
		Name         string `gorm:"size:200;not null"`
		Role         string `gorm:"size:20;not null"`
		PasswordHash string `gorm:"size:100;not null"`
		FailedLogins int    `gorm:"not null;default:0"`
		LockedUntil  *time.Time
		CreatedAt    time.Time `gorm:"not null"`
	}
	type session struct {
		Hash      string    `gorm:"primaryKey;size:64"`
		UserID    string    `gorm:"size:36;not null;index"`
		CSRF      string    `gorm:"size:64;not null"`
		ExpiresAt time.Time `gorm:"not null;index"`
		CreatedAt time.Time `gorm:"not null"`
	}
	tables := []struct {
		name  string
		model any
	}{
		{"agent_meta", &agentMeta{}}, {"releases", &release{}}, {"participants", &participant{}},
		{"pom_interviews", &pomInterview{}}, {"users", &user{}}, {"sessions", &session{}},
	}
	return &gormigrate.Migration{
		ID: "0001_init",
		Migrate: func(tx *gorm.DB) error {
			for _, t := range tables {
				if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
					return err
				}
			}
			return tx.Exec(outboxDDL).Error
		},
		Rollback: func(tx *gorm.DB) error {
			for _, t := range []string{"sync_acks", "sync_payloads", "sync_records"} {
				if err := tx.Migrator().DropTable(t); err != nil {
					return err
				}
			}
			for i := len(tables) - 1; i >= 0; i-- {
				if err := tx.Migrator().DropTable(tables[i].name); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// outboxDDL creates the outbox. Its state rows are narrow and clustered by
// id (WITHOUT ROWID), so acknowledging a batch, a run of ids, rewrites a few
// hundred neighbouring pages rather than thousands of scattered ones; the
// payloads live beside them and change only with a new version. The
// partial index serves due records in id order without sorting the outbox.
// sync_acks journals the hub's acknowledgements until they are applied.
const outboxDDL = `
CREATE TABLE sync_records (
  id         TEXT    NOT NULL PRIMARY KEY,
  type       TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  hash       TEXT    NOT NULL,
  deleted    INTEGER NOT NULL,
  dirty      INTEGER NOT NULL,
  acked_seq  INTEGER NOT NULL DEFAULT 0,
  conflict   TEXT    NOT NULL DEFAULT '',
  change_seq INTEGER NOT NULL DEFAULT 0,
  updated_at DATETIME NOT NULL
) WITHOUT ROWID;
CREATE INDEX ix_sync_due ON sync_records (id) WHERE dirty AND conflict = '';
CREATE INDEX ix_sync_change ON sync_records (change_seq);
CREATE TABLE sync_payloads (
  id   TEXT NOT NULL PRIMARY KEY,
  data TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE sync_acks (
  seq      INTEGER NOT NULL PRIMARY KEY,
  first_id TEXT    NOT NULL,
  last_id  TEXT    NOT NULL,
  read_seq INTEGER NOT NULL
);
`
