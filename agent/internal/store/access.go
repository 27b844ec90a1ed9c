package store

import (
	"context"
	"fmt"

	"github.com/itsmylife/iml/pkg/dbx"
)

// CanSee reports whether a user may see a participant: a director sees
// everyone at the site; a coach sees the participants of the cohorts they
// lead and those who chose them.
func (s *Store) CanSee(ctx context.Context, u User, participantID string) (bool, error) {
	if u.Role == RoleDirector {
		return true, nil
	}
	var n int64
	err := s.DB.WithContext(ctx).Raw(`SELECT COUNT(*) FROM participants p
LEFT JOIN cohort_members m ON m.participant_id = p.id AND m.left_on = ''
LEFT JOIN cohorts c ON c.id = m.cohort_id
LEFT JOIN coaches k ON k.id = c.coach_id OR k.id = p.coach_id
WHERE p.id = ? AND k.user_id = ? AND k.user_id <> ''`, participantID, u.ID).Scan(&n).Error
	return n > 0, err
}

// VisibleParticipants lists the participants a user may see.
func (s *Store) VisibleParticipants(ctx context.Context, u User) ([]Participant, error) {
	return s.visibleParticipants(ctx, u, "")
}

// Joinable lists the participants a user may see who could join a cohort:
// active and in no cohort now.
func (s *Store) Joinable(ctx context.Context, u User) ([]Participant, error) {
	return s.visibleParticipants(ctx, u, `p.withdrawn_at IS NULL
AND NOT EXISTS (SELECT 1 FROM cohort_members x WHERE x.participant_id = p.id AND x.left_on = '')`)
}

// visibleParticipants is the one query behind both lists: a director sees
// everyone, a coach the participants of their cohorts and those who chose
// them; cond, if set, narrows it further.
func (s *Store) visibleParticipants(ctx context.Context, u User, cond string) ([]Participant, error) {
	var ps []Participant
	if cond == "" {
		cond = "1 = 1"
	}
	if u.Role == RoleDirector {
		err := s.DB.WithContext(ctx).Raw("SELECT p.* FROM participants p WHERE " + cond + " ORDER BY p.last_name, p.first_name").Scan(&ps).Error
		return ps, err
	}
	err := s.DB.WithContext(ctx).Raw(`SELECT DISTINCT p.* FROM participants p
LEFT JOIN cohort_members m ON m.participant_id = p.id AND m.left_on = ''
LEFT JOIN cohorts c ON c.id = m.cohort_id
JOIN coaches k ON k.id = c.coach_id OR k.id = p.coach_id
WHERE k.user_id = ? AND k.user_id <> '' AND `+cond+` ORDER BY p.last_name, p.first_name`, u.ID).Scan(&ps).Error
	return ps, err
}

// Audit writes a line to the audit log.
func (s *Store) Audit(ctx context.Context, u User, action, subjectType, subjectID, detail string) error {
	_, err := s.AuditAttempt(ctx, u, action, subjectType, subjectID, detail)
	return err
}

// AuditAttempt writes a line to the audit log before the attempt it
// records is carried out, and returns the line's id for AuditOutcome. An
// attempt is audited even when its form's writes are barred
// (dbx.BarWrites): the line says what was tried.
func (s *Store) AuditAttempt(ctx context.Context, u User, action, subjectType, subjectID, detail string) (int64, error) {
	e := AuditEntry{At: s.Now(), UserID: u.ID, UserName: u.Name, Action: action, SubjectType: subjectType, SubjectID: subjectID, Detail: detail}
	err := s.auditLog.WithContext(dbx.AllowWrites(ctx)).Create(&e).Error
	return e.ID, err
}

// AuditOutcome records on the line id how its attempt was answered (an
// HTTP status): done, or refused with nothing changed.
func (s *Store) AuditOutcome(ctx context.Context, id int64, status int) error {
	return s.auditLog.WithContext(dbx.AllowWrites(ctx)).Model(&AuditEntry{}).Where("id = ?", id).Update("status", status).Error
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	SubjectID string
	UserID    string
	Limit     int
}

// AuditLog lists audit lines, newest first.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	q := s.DB.WithContext(ctx).Order("id DESC").Limit(f.Limit)
	if f.SubjectID != "" {
		q = q.Where("subject_id = ?", f.SubjectID)
	}
	if f.UserID != "" {
		q = q.Where("user_id = ?", f.UserID)
	}
	var es []AuditEntry
	err := q.Find(&es).Error
	return es, err
}

// ErrForbidden is returned when a user may not see or change something.
var ErrForbidden = fmt.Errorf("not allowed")
