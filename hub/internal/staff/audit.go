package staff

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
)

// AuditFilter narrows the audit log. Empty fields match everything; From
// is inclusive and To exclusive.
type AuditFilter struct {
	// Actor matches the actor's email or id, or a part of the email.
	Actor string
	// Action matches a part of "METHOD /route/pattern".
	Action   string
	From, To time.Time
	// Before pages backwards: only entries with a smaller id.
	Before int64
}

func (s *Store) auditQuery(ctx context.Context, f AuditFilter) *gorm.DB {
	q := s.DB.WithContext(ctx).Model(&store.AuditEntry{})
	if a := strings.ToLower(strings.TrimSpace(f.Actor)); a != "" {
		q = q.Where(`actor_id = ? OR LOWER(actor_email) LIKE ? ESCAPE '\'`, a, "%"+likeEscape(a)+"%")
	}
	if a := strings.TrimSpace(f.Action); a != "" {
		concat := "method || ' ' || route"
		q = q.Where(concat+` LIKE ? ESCAPE '\'`, "%"+likeEscape(a)+"%")
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	return q
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Audit returns up to limit entries matching f, newest first.
func (s *Store) Audit(ctx context.Context, f AuditFilter, limit int) ([]store.AuditEntry, error) {
	var es []store.AuditEntry
	err := s.auditQuery(ctx, f).Order("id DESC").Limit(limit).Find(&es).Error
	return es, err
}

// EachAudit calls fn for every entry matching f, oldest first, reading the
// rows as they come (an export of any size holds one row in memory).
func (s *Store) EachAudit(ctx context.Context, f AuditFilter, fn func(store.AuditEntry) error) error {
	rows, err := s.auditQuery(ctx, f).Order("id").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e store.AuditEntry
		if err := s.DB.ScanRows(rows, &e); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
