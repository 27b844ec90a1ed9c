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
	type syncRecord struct {
		ID        string    `gorm:"primaryKey;size:36"`
		Type      string    `gorm:"size:40;not null"`
		Version   int64     `gorm:"not null"`
		Hash      string    `gorm:"size:64;not null"`
		Deleted   bool      `gorm:"not null"`
		Data      string    `gorm:"type:text;not null"`
		Dirty     bool      `gorm:"not null"`
		AckedSeq  int64     `gorm:"not null;default:0;index"`
		Conflict  string    `gorm:"size:300"`
		ChangeSeq int64     `gorm:"not null;default:0;index"`
		UpdatedAt time.Time `gorm:"not null"`
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
		{"pom_interviews", &pomInterview{}}, {"sync_records", &syncRecord{}}, {"users", &user{}}, {"sessions", &session{}},
	}
	return &gormigrate.Migration{
		ID: "0001_init",
		Migrate: func(tx *gorm.DB) error {
			for _, t := range tables {
				if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
					return err
				}
			}
			// The outbox is read in id order among due rows; the partial
			// index lets SQLite walk it instead of sorting the whole outbox.
			return tx.Exec("CREATE INDEX ix_sync_due ON sync_records (id) WHERE dirty AND conflict = ''").Error
		},
		Rollback: func(tx *gorm.DB) error {
			for i := len(tables) - 1; i >= 0; i-- {
				if err := tx.Migrator().DropTable(tables[i].name); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
