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
	type oldUser struct {
		ID    string
		Role  string
		OrgID string
	}
	return &gormigrate.Migration{
		ID: "0003_staff_access",
		Migrate: func(tx *gorm.DB) error {
			if err := execSQL(tx, "0003_staff_access"); err != nil {
				return err
			}
			var olds []oldUser
			if err := tx.Raw("SELECT id, role, org_id FROM users").Scan(&olds).Error; err != nil {
				return err
			}
			now := time.Now().UTC()
			for _, o := range olds {
				org := ""
				if o.Role == "director" {
					org = o.OrgID
				}
				if err := tx.Exec("INSERT INTO role_assignments (id, user_id, role, org_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
					uuid.NewString(), o.ID, o.Role, org, "migration 0003", now).Error; err != nil {
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
			if err := execSQL(tx, "0003_staff_access.down"); err != nil {
				return err
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
			return dropTables(tx, "job_runs", "audit_log", "oidc_flows", "role_assignments")
		},
	}
}

// dropColumn drops a column that no index uses (SQLite 3.35 and
// PostgreSQL alike; the SQLite migrator's own way needs a model).
func dropColumn(tx *gorm.DB, table, col string) error {
	return tx.Exec("ALTER TABLE " + table + " DROP COLUMN " + col).Error
}
