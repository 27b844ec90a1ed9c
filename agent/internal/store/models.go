// Package store is the agent's SQLite database: the site's own records
// (identifying data stays here), the outbox of de-identified records waiting
// for the hub, the enrollment and the releases the hub published.
package store

import "time"

// Meta holds the agent's key/value facts (enrollment, sync state).
type Meta struct {
	Key   string `gorm:"primaryKey;size:64"`
	Value string `gorm:"not null"`
}

// TableName names the table.
func (Meta) TableName() string { return "agent_meta" }

// Release is a release of central content received from the hub.
type Release struct {
	Version    string    `gorm:"primaryKey;size:40"`
	SHA256     string    `gorm:"size:64;not null"`
	Content    string    `gorm:"type:text;not null"`
	ReceivedAt time.Time `gorm:"not null"`
}

// Participant is a person in the program. Names, birth date, contacts and
// dates never leave the agent; upstream the participant is SurrogateKey.
type Participant struct {
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
	// Intake checklist and consents (migration 0002).
	AgeOverrideReason        string
	InformedConsent          bool
	ManagesFinances          bool
	SetsGoals                bool
	AcceptsResponsibilities  bool
	AgreementSignedOn        string
	HospitalizationConsentOn string
	// CoachID is the coach the participant chose (Social Explorations).
	CoachID string
}

// POMInterview is one Personal Outcome Measures interview. Its ID is also
// the id of its de-identified record upstream.
type POMInterview struct {
	ID            string `gorm:"primaryKey;size:36"`
	ParticipantID string `gorm:"size:36;not null;uniqueIndex:ux_pom_participant_timepoint"`
	Timepoint     string `gorm:"size:20;not null;uniqueIndex:ux_pom_participant_timepoint"`
	InterviewedOn string `gorm:"size:10;not null"`
	Release       string `gorm:"size:40;not null"`
	Answers       string `gorm:"type:text;not null"`
	// Unanswered holds the indicators left unanswered and why (JSON,
	// code to contract.NotAsked or contract.Declined; migration 0011).
	Unanswered string    `gorm:"type:text;not null;default:'{}'"`
	Notes      string    `gorm:"type:text"`
	CreatedAt  time.Time `gorm:"not null"`
	UpdatedAt  time.Time `gorm:"not null"`
}

// SyncRecord is one entry of the outbox, a change log: the latest
// de-identified version of a record the site has ever had, at the change_seq
// of its last write. Tombstones stay, so that a hub restored from backup gets
// them again. (Table made by migration 0001, sql/0001_init.sql.)
type SyncRecord struct {
	ChangeSeq int64 `gorm:"primaryKey"`
	ID        string
	Type      string
	Version   int64
	Hash      string
	Deleted   bool
	Data      string
	// Conflict holds the hub's reason when it refused this version; such a
	// record waits for the next local change instead of being resent.
	Conflict  string
	UpdatedAt time.Time
}

// User is a local account at the site.
type User struct {
	ID           string `gorm:"primaryKey;size:36"`
	Email        string `gorm:"size:200;not null;uniqueIndex"`
	Name         string `gorm:"size:200;not null"`
	Role         string `gorm:"size:20;not null"`
	PasswordHash string `gorm:"size:100;not null"`
	FailedLogins int    `gorm:"not null;default:0"`
	LockedUntil  *time.Time
	CreatedAt    time.Time `gorm:"not null"`
	// DisabledAt is when the director disabled the account (migration
	// 0011): it cannot sign in, and its sessions ended then.
	DisabledAt *time.Time
}

// Session is a signed-in session; only the token's hash is kept.
type Session struct {
	Hash      string    `gorm:"primaryKey;size:64"`
	UserID    string    `gorm:"size:36;not null;index"`
	CSRF      string    `gorm:"size:64;not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
	CreatedAt time.Time `gorm:"not null"`
}

// CertifiedOn reports whether the coach's certification is current on a day.
func (c Coach) CertifiedOn(day time.Time) bool {
	until, ok := parseDate(c.CertifiedUntil)
	return ok && !c.CertRevoked && !until.Before(day.Truncate(24*time.Hour))
}

// Cohort is a coach's group (Peer Partners) or one-to-one caseload (Social
// Explorations) running for a year from its start date.
type Cohort struct {
	ID          string `gorm:"primaryKey" json:"id"`
	Name        string `json:"name"`
	Model       string `json:"model"`
	StartDate   string `json:"start_date"`
	CoachID     string `json:"coach_id"`
	MeetingDay  string `json:"meeting_day"`
	MeetingTime string `json:"meeting_time"`
	Frequency   string `json:"frequency"`
	Location    string `json:"location"`
	MixedPairs  bool   `json:"mixed_pairs"`
	ClosedOn    string `json:"closed_on"`
	// SurrogateKey is the cohort's random key upstream (migration 0006).
	SurrogateKey string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// CohortMember is a participant's membership of a cohort.
type CohortMember struct {
	CohortID      string `gorm:"primaryKey"`
	ParticipantID string `gorm:"primaryKey"`
	JoinedOn      string
	LeftOn        string
}

// AuditEntry is one line of the local audit log.
type AuditEntry struct {
	ID          int64     `gorm:"primaryKey" json:"id"`
	At          time.Time `json:"at"`
	UserID      string    `json:"user_id"`
	UserName    string    `json:"user_name"`
	Action      string    `json:"action"`
	SubjectType string    `json:"subject_type"`
	SubjectID   string    `json:"subject_id"`
	Detail      string    `json:"detail"`
	// Status is the HTTP status the attempt was answered with (0: not
	// known).
	Status int `json:"status,omitempty"`
}

// TableName names the table.
func (AuditEntry) TableName() string { return "audit_log" }
