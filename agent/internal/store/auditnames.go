package store

import "context"

// AuditSubjects names the subjects of audit lines, by subject type and id
// ("participant|<id>"): a participant, a staff account (by email), a
// coach or a cohort by name. A subject no longer there is not named.
func (s *Store) AuditSubjects(ctx context.Context, es []AuditEntry) (map[string]string, error) {
	ids := map[string][]string{}
	for _, e := range es {
		if e.SubjectID != "" {
			ids[e.SubjectType] = append(ids[e.SubjectType], e.SubjectID)
		}
	}
	out := map[string]string{}
	for typ, q := range map[string]string{
		"participant": "SELECT id, first_name || ' ' || last_name AS name FROM participants WHERE id IN ?",
		"user":        "SELECT id, email AS name FROM users WHERE id IN ?",
		"coach":       "SELECT id, name FROM coaches WHERE id IN ?",
		"cohort":      "SELECT id, name FROM cohorts WHERE id IN ?",
	} {
		if len(ids[typ]) == 0 {
			continue
		}
		var rows []struct{ ID, Name string }
		if err := s.DB.WithContext(ctx).Raw(q, ids[typ]).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[typ+"|"+r.ID] = r.Name
		}
	}
	return out, nil
}
