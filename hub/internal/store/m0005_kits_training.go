package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0005KitsTraining adds the training kit lifecycle (drafts, retirement,
// content-addressed files) and training and certification.
func m0005KitsTraining() *gormigrate.Migration {
	type release struct {
		Seq           int64     `gorm:"primaryKey;autoIncrement"`
		Version       string    `gorm:"size:40;not null;uniqueIndex"`
		PublishedAt   time.Time `gorm:"not null"`
		SHA256        string    `gorm:"size:64;not null"`
		Content       string    `gorm:"type:text;not null"`
		PublishedBy   string    `gorm:"size:200"`
		RetiredAt     *time.Time
		RetiredReason string `gorm:"size:500"`
	}
	type releaseDraft struct {
		ID          string    `gorm:"primaryKey;size:36"`
		Version     string    `gorm:"size:40;not null;uniqueIndex"`
		BaseVersion string    `gorm:"size:40"`
		PublishedAs string    `gorm:"size:40"`
		Content     string    `gorm:"type:text;not null"`
		CreatedBy   string    `gorm:"size:200"`
		CreatedAt   time.Time `gorm:"not null"`
		UpdatedAt   time.Time `gorm:"not null"`
	}
	type kitFile struct {
		SHA256    string    `gorm:"primaryKey;size:64"`
		MediaType string    `gorm:"size:100;not null"`
		Size      int64     `gorm:"not null"`
		Data      []byte    `gorm:"not null"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type releaseFile struct {
		Version string `gorm:"primaryKey;size:40"`
		SHA256  string `gorm:"primaryKey;size:64;index"`
	}
	type trainee struct {
		ID        string    `gorm:"primaryKey;size:36"`
		OrgID     string    `gorm:"size:36;not null;index"`
		Name      string    `gorm:"size:200;not null"`
		Email     string    `gorm:"size:200;not null"`
		Role      string    `gorm:"size:20;not null"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type trainingEvent struct {
		ID        string    `gorm:"primaryKey;size:36"`
		Title     string    `gorm:"size:200;not null"`
		Mode      string    `gorm:"size:20;not null"`
		StartsOn  string    `gorm:"size:10;not null;index"`
		EndsOn    string    `gorm:"size:10;not null"`
		Location  string    `gorm:"size:300"`
		Trainer   string    `gorm:"size:200;not null"`
		Capacity  int       `gorm:"not null"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type trainingRegistration struct {
		EventID      string    `gorm:"primaryKey;size:36"`
		TraineeID    string    `gorm:"primaryKey;size:36;index"`
		Attended     bool      `gorm:"not null"`
		RegisteredAt time.Time `gorm:"not null"`
	}
	type moduleCompletion struct {
		TraineeID   string    `gorm:"primaryKey;size:36"`
		Module      string    `gorm:"primaryKey;size:40"`
		CompletedOn string    `gorm:"size:10;not null"`
		RecordedBy  string    `gorm:"size:200"`
		CreatedAt   time.Time `gorm:"not null"`
	}
	type certification struct {
		ID            string `gorm:"primaryKey;size:36"`
		TraineeID     string `gorm:"size:36;not null;index"`
		OrgID         string `gorm:"size:36;not null;index"`
		Code          string `gorm:"size:40;not null;uniqueIndex"`
		IssuedOn      string `gorm:"size:10;not null"`
		ExpiresOn     string `gorm:"size:10;not null;index"`
		RevokedAt     *time.Time
		RevokedReason string    `gorm:"size:500"`
		Seq           int64     `gorm:"not null;index"`
		UpdatedAt     time.Time `gorm:"not null"`
	}
	type directorSession struct {
		ID        string    `gorm:"primaryKey;size:36"`
		TraineeID string    `gorm:"size:36;not null;index"`
		HeldOn    string    `gorm:"size:10;not null"`
		Trainer   string    `gorm:"size:200;not null"`
		Notes     string    `gorm:"type:text"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type hubCounter struct {
		Name  string `gorm:"primaryKey;size:40"`
		Value int64  `gorm:"not null"`
	}
	tables := []struct {
		name  string
		model any
	}{
		{"release_drafts", &releaseDraft{}}, {"kit_files", &kitFile{}}, {"release_files", &releaseFile{}},
		{"trainees", &trainee{}}, {"training_events", &trainingEvent{}}, {"training_registrations", &trainingRegistration{}},
		{"module_completions", &moduleCompletion{}}, {"certifications", &certification{}}, {"director_sessions", &directorSession{}},
	}
	newColumns := []string{"PublishedBy", "RetiredAt", "RetiredReason"}
	return &gormigrate.Migration{
		ID: "0005_kits_training",
		Migrate: func(tx *gorm.DB) error {
			for _, col := range newColumns {
				if err := tx.Table("releases").Migrator().AddColumn(&release{}, col); err != nil {
					return err
				}
			}
			for _, t := range tables {
				if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
					return err
				}
			}
			// hub_counters belongs to 0004; this one only adds its row.
			return tx.Table("hub_counters").Create(&hubCounter{Name: "certifications", Value: 0}).Error
		},
		Rollback: func(tx *gorm.DB) error {
			if err := tx.Table("hub_counters").Where("name = ?", "certifications").Delete(&hubCounter{}).Error; err != nil {
				return err
			}
			for i := len(tables) - 1; i >= 0; i-- {
				if err := tx.Migrator().DropTable(tables[i].name); err != nil {
					return err
				}
			}
			for _, col := range newColumns {
				if err := tx.Table("releases").Migrator().DropColumn(&release{}, col); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
