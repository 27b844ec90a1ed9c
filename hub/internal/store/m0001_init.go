package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func m0001Init() *gormigrate.Migration {
	type hubMeta struct {
		Key   string `gorm:"primaryKey;size:64"`
		Value string `gorm:"size:200;not null"`
	}
	type organization struct {
		ID        string    `gorm:"primaryKey;size:36"`
		Name      string    `gorm:"size:200;not null;uniqueIndex"`
		Type      string    `gorm:"size:40;not null"`
		State     string    `gorm:"size:2;not null"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type site struct {
		ID             string `gorm:"primaryKey;size:36"`
		OrgID          string `gorm:"size:36;not null;index"`
		Name           string `gorm:"size:200;not null"`
		CredentialHash string `gorm:"size:64;index"`
		EnrolledAt     *time.Time
		RevokedAt      *time.Time
		RevokedReason  string `gorm:"size:500"`
		BatchSeq       int64  `gorm:"not null;default:0"`
		Release        string `gorm:"size:40"`
		LastSeenAt     *time.Time
		CreatedAt      time.Time `gorm:"not null"`
	}
	type enrollmentToken struct {
		Hash      string    `gorm:"primaryKey;size:64"`
		SiteID    string    `gorm:"size:36;not null;index"`
		ExpiresAt time.Time `gorm:"not null"`
		UsedAt    *time.Time
		CreatedAt time.Time `gorm:"not null"`
	}
	type record struct {
		ID        string `gorm:"primaryKey;size:36"`
		SiteID    string `gorm:"size:36;not null;index"`
		Type      string `gorm:"size:40;not null"`
		Version   int64  `gorm:"not null"`
		Hash      string `gorm:"size:64;not null"`
		Deleted   bool   `gorm:"not null"`
		Data      string `gorm:"type:text;not null"`
		Projected bool   `gorm:"not null;index"`
	}
	type release struct {
		Seq         int64     `gorm:"primaryKey;autoIncrement"`
		Version     string    `gorm:"size:40;not null;uniqueIndex"`
		PublishedAt time.Time `gorm:"not null"`
		SHA256      string    `gorm:"size:64;not null"`
		Content     string    `gorm:"type:text;not null"`
	}
	type pomInterview struct {
		RecordID       string `gorm:"primaryKey;size:36"`
		SiteID         string `gorm:"size:36;not null;index"`
		OrgID          string `gorm:"size:36;not null;index"`
		ParticipantKey string `gorm:"size:36;not null;index"`
		Timepoint      string `gorm:"size:20;not null"`
		EnrollmentYear int    `gorm:"not null"`
		AgeBand        string `gorm:"size:10;not null"`
		ProgramMonth   int    `gorm:"not null"`
		Release        string `gorm:"size:40;not null"`
	}
	type pomAnswer struct {
		RecordID      string `gorm:"primaryKey;size:36"`
		IndicatorCode string `gorm:"primaryKey;size:40"`
		Present       bool   `gorm:"not null"`
	}
	type user struct {
		ID           string    `gorm:"primaryKey;size:36"`
		Email        string    `gorm:"size:200;not null;uniqueIndex"`
		Name         string    `gorm:"size:200;not null"`
		Role         string    `gorm:"size:20;not null"`
		OrgID        string    `gorm:"size:36"`
		PasswordHash string    `gorm:"size:100"`
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
		{"hub_meta", &hubMeta{}}, {"organizations", &organization{}}, {"sites", &site{}},
		{"enrollment_tokens", &enrollmentToken{}}, {"records", &record{}}, {"releases", &release{}},
		{"pom_interviews", &pomInterview{}}, {"pom_answers", &pomAnswer{}}, {"users", &user{}},
		{"sessions", &session{}},
	}
	return &gormigrate.Migration{
		ID: "0001_init",
		Migrate: func(tx *gorm.DB) error {
			for _, t := range tables {
				if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
					return err
				}
			}
			return nil
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
