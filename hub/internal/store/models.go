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
	// Stage is where the organization is in its lifecycle (see Stages),
	// since the day StageOn (YYYY-MM-DD).
	Stage   string `gorm:"size:20;not null;default:inquiry"`
	StageOn string `gorm:"size:10;not null;default:''"`
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
	// TokenEpoch moves on whenever a token is issued and when the site is
	// revoked or reinstated: only a token of the current epoch enrolls.
	TokenEpoch int64 `gorm:"not null;default:0"`
}

// EnrollmentToken is a one-time token; only its hash is kept.
type EnrollmentToken struct {
	Hash      string    `gorm:"primaryKey;size:64"`
	SiteID    string    `gorm:"size:36;not null;index"`
	ExpiresAt time.Time `gorm:"not null"`
	UsedAt    *time.Time
	CreatedAt time.Time `gorm:"not null"`
	// Epoch is the site's token epoch when the token was issued.
	Epoch int64 `gorm:"not null;default:0"`
}

// Record is one synced, de-identified record as the agent sent it.
type Record struct {
	ID      string `gorm:"primaryKey;size:36"`
	SiteID  string `gorm:"size:36;not null;index"`
	Type    string `gorm:"size:40;not null"`
	Version int64  `gorm:"not null"`
	Hash    string `gorm:"size:64;not null"`
	Deleted bool   `gorm:"not null"`
	Data    string `gorm:"type:text;not null"`
	// Xact is the ingest mark of the transaction that stored this version
	// (see RecordMark): the projector folds records in (Xact, ID) order.
	Xact int64 `gorm:"not null;default:0"`
}

// Release is a published release of central content. Its content never
// changes; retiring it stops offering it to agents.
type Release struct {
	Seq           int64     `gorm:"primaryKey;autoIncrement"`
	Version       string    `gorm:"size:40;not null;uniqueIndex"`
	PublishedAt   time.Time `gorm:"not null"`
	SHA256        string    `gorm:"size:64;not null"`
	Content       string    `gorm:"type:text;not null"`
	PublishedBy   string    `gorm:"size:200"`
	RetiredAt     *time.Time
	RetiredReason string `gorm:"size:500"`
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

// User is a hub staff account: local (a password hash) or signed in through
// an OpenID Connect provider (Issuer and Subject), or both. Its roles are
// its RoleAssignments plus, for a session opened through the provider, the
// roles the provider's groups claim grants.
type User struct {
	ID           string  `gorm:"primaryKey;size:36"`
	Email        string  `gorm:"size:200;not null;uniqueIndex"`
	Name         string  `gorm:"size:200;not null"`
	Issuer       *string `gorm:"size:300"`
	Subject      *string `gorm:"size:255"`
	PasswordHash string  `gorm:"size:100"`
	FailedLogins int     `gorm:"not null;default:0"`
	LockedUntil  *time.Time
	LastLoginAt  *time.Time
	CreatedAt    time.Time `gorm:"not null"`

	// Grants are the roles the user holds in the current session (filled
	// by SessionUser).
	Grants []Grant `gorm:"-"`
	// Role is the role the current request acts under: the widest the user
	// holds, narrowed by Server.requireRole to the widest the route allows.
	Role string `gorm:"-"`
	// OrgID is the organization a Program Director acting as one sees.
	OrgID string `gorm:"-"`
}

// RoleAssignment is a role given to a user at the hub. A Program Director
// assignment names the organization.
type RoleAssignment struct {
	ID        string    `gorm:"primaryKey;size:36"`
	UserID    string    `gorm:"size:36;not null"`
	Role      string    `gorm:"size:20;not null"`
	OrgID     string    `gorm:"size:36;not null;default:''"`
	CreatedBy string    `gorm:"size:200;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// Session is a signed-in staff session; only the token's hash is kept.
type Session struct {
	Hash      string    `gorm:"primaryKey;size:64"`
	UserID    string    `gorm:"size:36;not null;index"`
	CSRF      string    `gorm:"size:64;not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
	CreatedAt time.Time `gorm:"not null"`
	// Roles are the grants the provider's groups claim gave at sign-in
	// ("role" or "director:<org id>", comma-separated).
	Roles string `gorm:"size:1000;not null;default:''"`
	// Method is how the session was opened: local or oidc.
	Method string `gorm:"size:10;not null;default:'local'"`
}

// OIDCFlow is a sign-in through the provider in progress: the state's hash,
// the nonce and the PKCE verifier, kept until the provider sends the user
// back (or ten minutes pass).
type OIDCFlow struct {
	StateHash string    `gorm:"primaryKey;size:64"`
	Nonce     string    `gorm:"size:64;not null"`
	Verifier  string    `gorm:"size:128;not null"`
	Next      string    `gorm:"size:500;not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
	CreatedAt time.Time `gorm:"not null"`
}

// AuditEntry is one audited request: a change, or a read of outcome data.
// It holds the route pattern and the ids in the path, never a body or a
// query value.
type AuditEntry struct {
	ID         int64     `gorm:"primaryKey;autoIncrement" json:"id"`
	At         time.Time `gorm:"not null" json:"at"`
	ActorID    string    `gorm:"size:36;not null" json:"actor_id"`
	ActorEmail string    `gorm:"size:200;not null" json:"actor_email"`
	// ActorKind is staff, site (an agent) or anonymous.
	ActorKind string `gorm:"size:10;not null" json:"actor_kind"`
	Roles     string `gorm:"size:1000;not null" json:"roles"`
	Method    string `gorm:"size:10;not null" json:"method"`
	Route     string `gorm:"size:300;not null" json:"route"`
	Targets   string `gorm:"size:1000;not null" json:"targets"`
	Status    int    `gorm:"not null" json:"status"`
	RemoteIP  string `gorm:"size:64;not null" json:"remote_ip"`
}

// TableName names the table.
func (AuditEntry) TableName() string { return "audit_log" }

// JobRun is one pass of background work that did something, and which
// replica did it.
type JobRun struct {
	ID         int64     `gorm:"primaryKey;autoIncrement"`
	Job        string    `gorm:"size:40;not null"`
	Replica    string    `gorm:"size:200;not null"`
	StartedAt  time.Time `gorm:"not null"`
	FinishedAt time.Time `gorm:"not null"`
	Items      int       `gorm:"not null"`
}

// TableName names the table.
func (OIDCFlow) TableName() string { return "oidc_flows" }
