package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// m0003StaffAccess gives staff several roles (role_assignments replaces the
// users.role and users.org_id columns, whose values it carries over), links
// accounts to an OpenID Connect provider (issuer and subject), counts failed
// local sign-ins for the lock-out, keeps the roles a provider granted on the
// session, and adds the sign-in flows in progress, the audit log and the
// record of background job runs.
func m0003StaffAccess() *gormigrate.Migration {
	type roleAssignment struct {
		ID        string    `gorm:"primaryKey;size:36"`
		UserID    string    `gorm:"size:36;not null;uniqueIndex:idx_role_assignments_grant,priority:1"`
		Role      string    `gorm:"size:20;not null;uniqueIndex:idx_role_assignments_grant,priority:2"`
		OrgID     string    `gorm:"size:36;not null;default:'';uniqueIndex:idx_role_assignments_grant,priority:3;index"`
		CreatedBy string    `gorm:"size:200;not null"`
		CreatedAt time.Time `gorm:"not null"`
	}
	// users as this migration leaves it; only the new columns are added.
	type user struct {
		Issuer       *string `gorm:"size:300"`
		Subject      *string `gorm:"size:255"`
		FailedLogins int     `gorm:"not null;default:0"`
		LockedUntil  *time.Time
		LastLoginAt  *time.Time
	}
	type session struct {
		Roles  string `gorm:"size:1000;not null;default:''"`
		Method string `gorm:"size:10;not null;default:'local'"`
	}
	type oidcFlow struct {
		StateHash string    `gorm:"primaryKey;size:64"`
		Nonce     string    `gorm:"size:64;not null"`
		Verifier  string    `gorm:"size:128;not null"`
		Next      string    `gorm:"size:500;not null"`
		ExpiresAt time.Time `gorm:"not null;index"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type auditEntry struct {
		ID         int64     `gorm:"primaryKey;autoIncrement"`
		At         time.Time `gorm:"not null;index"`
		ActorID    string    `gorm:"size:36;not null;index"`
		ActorEmail string    `gorm:"size:200;not null"`
		ActorKind  string    `gorm:"size:10;not null"`
		Roles      string    `gorm:"size:1000;not null"`
		Method     string    `gorm:"size:10;not null"`
		Route      string    `gorm:"size:300;not null"`
		Targets    string    `gorm:"size:1000;not null"`
		Status     int       `gorm:"not null"`
		RemoteIP   string    `gorm:"size:64;not null"`
	}
	type jobRun struct {
		ID         int64     `gorm:"primaryKey;autoIncrement"`
		Job        string    `gorm:"size:40;not null;index"`
		Replica    string    `gorm:"size:200;not null"`
		StartedAt  time.Time `gorm:"not null"`
		FinishedAt time.Time `gorm:"not null"`
		Items      int       `gorm:"not null"`
	}
	newTables := []struct {
		name  string
		model any
	}{
		{"role_assignments", &roleAssignment{}}, {"oidc_flows", &oidcFlow{}}, {"audit_log", &auditEntry{}}, {"job_runs", &jobRun{}},
	}
	type oldUser struct {
		ID    string
		Role  string
		OrgID string
	}
	return &gormigrate.Migration{
		ID: "0003_staff_access",
		Migrate: func(tx *gorm.DB) error {
			for _, t := range newTables {
				if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
					return err
				}
			}
			for _, col := range []string{"Issuer", "Subject", "FailedLogins", "LockedUntil", "LastLoginAt"} {
				if err := tx.Table("users").Migrator().AddColumn(&user{}, col); err != nil {
					return err
				}
			}
			if err := tx.Exec("CREATE UNIQUE INDEX idx_users_issuer_subject ON users (issuer, subject)").Error; err != nil {
				return err
			}
			for _, col := range []string{"Roles", "Method"} {
				if err := tx.Table("sessions").Migrator().AddColumn(&session{}, col); err != nil {
					return err
				}
			}
			var olds []oldUser
			if err := tx.Raw("SELECT id, role, org_id FROM users").Scan(&olds).Error; err != nil {
				return err
			}
			now := time.Now().UTC()
			for _, o := range olds {
				a := roleAssignment{ID: uuid.NewString(), UserID: o.ID, Role: o.Role, CreatedBy: "migration 0003", CreatedAt: now}
				if o.Role == "director" {
					a.OrgID = o.OrgID
				}
				if err := tx.Table("role_assignments").Create(&a).Error; err != nil {
					return err
				}
			}
			for _, col := range []string{"role", "org_id"} {
				if err := dropColumn(tx, "users", col); err != nil {
					return err
				}
			}
			return nil
		},
		Rollback: func(tx *gorm.DB) error {
			type userBefore struct {
				Role  string `gorm:"size:20;not null;default:''"`
				OrgID string `gorm:"size:36"`
			}
			for _, col := range []string{"Role", "OrgID"} {
				if err := tx.Table("users").Migrator().AddColumn(&userBefore{}, col); err != nil {
					return err
				}
			}
			// The widest role each user held comes back as their one role.
			for _, r := range []string{"director", "trainer", "ta", "analyst", "admin"} {
				err := tx.Exec(`UPDATE users SET role = ?, org_id = (SELECT MAX(org_id) FROM role_assignments a WHERE a.user_id = users.id AND a.role = ?)
WHERE id IN (SELECT user_id FROM role_assignments WHERE role = ?)`, r, r, r).Error
				if err != nil {
					return err
				}
			}
			if err := tx.Exec("DROP INDEX idx_users_issuer_subject").Error; err != nil {
				return err
			}
			for _, col := range []string{"issuer", "subject", "failed_logins", "locked_until", "last_login_at"} {
				if err := dropColumn(tx, "users", col); err != nil {
					return err
				}
			}
			for _, col := range []string{"roles", "method"} {
				if err := dropColumn(tx, "sessions", col); err != nil {
					return err
				}
			}
			for i := len(newTables) - 1; i >= 0; i-- {
				if err := tx.Migrator().DropTable(newTables[i].name); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// dropColumn drops a column that no index uses (SQLite 3.35 and
// PostgreSQL alike; the SQLite migrator's own way needs a model).
func dropColumn(tx *gorm.DB, table, col string) error {
	return tx.Exec("ALTER TABLE " + table + " DROP COLUMN " + col).Error
}
