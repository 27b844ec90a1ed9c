package ta

import (
	"context"

	"github.com/itsmylife/iml/hub/internal/outcomes"
)

// FidelityFlags lists the sites flagged by outcome fidelity. It is the
// seam through which the outcome reports feed "My TA work".
type FidelityFlags func(ctx context.Context) ([]outcomes.SiteFlag, error)

// DueCheckIn is a check-in on a TA specialist's list.
type DueCheckIn struct {
	TACheckIn
	OrgName string `json:"org_name"`
}

// TAWork is a TA specialist's list.
type TAWork struct {
	Today    string              `json:"today"`
	Overdue  []DueCheckIn        `json:"overdue_check_ins"`
	Requests []TARequest         `json:"open_requests"`
	Flagged  []outcomes.SiteFlag `json:"flagged_sites"`
}

// Work is the list of a TA specialist (userID), or everyone's when all:
// check-ins overdue in the plans they look after or nobody does, requests
// waiting for an answer given to them or to nobody, and the sites flagged
// by outcome fidelity (flags may be nil).
func (s *Store) Work(ctx context.Context, userID string, all bool, flags FidelityFlags) (TAWork, error) {
	w := TAWork{Today: s.Today(), Overdue: []DueCheckIn{}, Flagged: []outcomes.SiteFlag{}}
	q := s.DB.WithContext(ctx).Table("ta_check_ins c").
		Select("c.*, o.name AS org_name").
		Joins("JOIN ta_plans p ON p.id = c.plan_id").
		Joins("JOIN organizations o ON o.id = c.org_id").
		Where("c.done_on = '' AND c.due_on < ?", w.Today).Order("c.due_on, o.name")
	f := TAFilter{Open: true}
	if !all {
		q = q.Where("p.specialist_id IN ?", []string{userID, ""})
		f.AssigneeID = userID
	}
	if err := q.Scan(&w.Overdue).Error; err != nil {
		return w, err
	}
	var err error
	if w.Requests, err = s.TARequests(ctx, f); err != nil {
		return w, err
	}
	if flags != nil {
		fl, err := flags(ctx)
		if err != nil {
			return w, err
		}
		w.Flagged = append(w.Flagged, fl...)
	}
	return w, nil
}
