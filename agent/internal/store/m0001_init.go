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
			for _, t := range []string{"sync_acks", "sync_records"} {
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

// outboxDDL creates the outbox, a change log. Every write of a record moves
// it to a new, never reused change_seq (the rowid, AUTOINCREMENT); the hub
// holds everything up to the acknowledged watermark (agent_meta
// "acked_upto"). Reading due records is one range scan of the table in
// rowid order, and acknowledging a batch is one watermark update.
// sync_acks remembers, per batch, the watermark it reached, so that a hub
// restored from a backup can be answered by moving the watermark back.
const outboxDDL = `
CREATE TABLE sync_records (
  change_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT    NOT NULL UNIQUE,
  type       TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  hash       TEXT    NOT NULL,
  deleted    INTEGER NOT NULL,
  data       TEXT    NOT NULL,
  conflict   TEXT    NOT NULL DEFAULT '',
  updated_at DATETIME NOT NULL
);
CREATE TABLE sync_acks (
  seq  INTEGER NOT NULL PRIMARY KEY,
  upto INTEGER NOT NULL
);
`
