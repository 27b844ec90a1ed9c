// Package store holds the hub's database: the models, the numbered
// migrations and the operations on organizations, sites, enrollment tokens,
// releases, staff accounts and synced records. It runs on PostgreSQL and on
// SQLite alike.
package store

import "time"

// Meta is a key/value row for hub-wide facts such as the generation id.
type Meta struct {
	Key   string `gorm:"primaryKey;size:64"`
	Value string `gorm:"size:200;not null"`
}

// TableName names the table.
func (Meta) TableName() string { return "hub_meta" }

// Organization is an implementing organization.
type Organization struct {
	ID        string    `gorm:"primaryKey;size:36"`
	Name      string    `gorm:"size:200;not null;uniqueIndex"`
	Type      string    `gorm:"size:40;not null"`
	State     string    `gorm:"size:2;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// Site is a place where an organization runs the program with one agent.
type Site struct {
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

// EnrollmentToken is a one-time token; only its hash is kept.
type EnrollmentToken struct {
	Hash      string    `gorm:"primaryKey;size:64"`
	SiteID    string    `gorm:"size:36;not null;index"`
	ExpiresAt time.Time `gorm:"not null"`
	UsedAt    *time.Time
	CreatedAt time.Time `gorm:"not null"`
}

// Record is one synced, de-identified record as the agent sent it.
type Record struct {
	ID        string `gorm:"primaryKey;size:36"`
	SiteID    string `gorm:"size:36;not null;index"`
	Type      string `gorm:"size:40;not null"`
	Version   int64  `gorm:"not null"`
	Hash      string `gorm:"size:64;not null"`
	Deleted   bool   `gorm:"not null"`
	Data      string `gorm:"type:text;not null"`
	Projected bool   `gorm:"not null;index"`
}

// Release is a published release of central content. Immutable.
type Release struct {
	Seq         int64     `gorm:"primaryKey;autoIncrement"`
	Version     string    `gorm:"size:40;not null;uniqueIndex"`
	PublishedAt time.Time `gorm:"not null"`
	SHA256      string    `gorm:"size:64;not null"`
	Content     string    `gorm:"type:text;not null"`
}

// POMInterview is the reporting projection of a pom_interview record.
type POMInterview struct {
	RecordID       string `gorm:"primaryKey;size:36"`
	SiteID         string `gorm:"size:36;not null;index"`
	OrgID          string `gorm:"size:36;not null;index"`
	ParticipantKey string `gorm:"size:36;not null;index"`
	Timepoint      string `gorm:"size:20;not null"`
	EnrollmentYear int    `gorm:"not null"`
	AgeBand        string `gorm:"size:10;not null"`
	ProgramMonth   int    `gorm:"not null"`
	Release        string `gorm:"size:40;not null"`
	// Model is the interview's own program model, "" when the agent sent
	// none (reports then take the participant record's).
	Model string `gorm:"size:30;not null;default:''"`
}

// POMAnswer is one indicator of one interview.
type POMAnswer struct {
	RecordID      string `gorm:"primaryKey;size:36"`
	IndicatorCode string `gorm:"primaryKey;size:40"`
	Present       bool   `gorm:"not null"`
}

// User is a hub staff account.
type User struct {
	ID           string    `gorm:"primaryKey;size:36"`
	Email        string    `gorm:"size:200;not null;uniqueIndex"`
	Name         string    `gorm:"size:200;not null"`
	Role         string    `gorm:"size:20;not null"`
	OrgID        string    `gorm:"size:36"`
	PasswordHash string    `gorm:"size:100"`
	CreatedAt    time.Time `gorm:"not null"`
}

// Session is a signed-in staff session; only the token's hash is kept.
type Session struct {
	Hash      string    `gorm:"primaryKey;size:64"`
	UserID    string    `gorm:"size:36;not null;index"`
	CSRF      string    `gorm:"size:64;not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
	CreatedAt time.Time `gorm:"not null"`
}
