package affiliates

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx"
)

// states are the two-letter postal codes of the states, the District of
// Columbia and the territories, where an implementing organization may be.
var states = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY
		DC PR GU VI AS MP`) {
		m[c] = true
	}
	return m
}()

// validState tells a state's postal code (in capitals).
func validState(s string) bool { return states[s] }

// AddOrganization creates an implementing organization, at the inquiry
// stage from today.
func (s *Store) AddOrganization(ctx context.Context, name, typ, state string) (store.Organization, error) {
	return s.AddOrganizationSince(ctx, OrgInput{Name: name, Type: typ, State: state}, "")
}

// AddOrganizationSince creates an implementing organization at the inquiry
// stage from a date (today when empty; never in the future), so that an
// organization already in touch before the hub kept its record can be
// entered with its history.
func (s *Store) AddOrganizationSince(ctx context.Context, in OrgInput, since string) (store.Organization, error) {
	in, err := checkOrg(in)
	if err != nil {
		return store.Organization{}, err
	}
	if since, err = s.DayOrToday("since", since); err != nil {
		return store.Organization{}, err
	}
	o := store.Organization{ID: uuid.NewString(), Name: in.Name, Type: in.Type, State: in.State, CreatedAt: s.Now(), Stage: StageInquiry, StageOn: since}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&o).Error; err != nil {
			return err
		}
		return tx.Create(&StageChange{OrgID: o.ID, ToStage: StageInquiry, OnDate: o.StageOn, CreatedAt: o.CreatedAt}).Error
	})
	if err != nil {
		if dbx.IsUniqueViolation(err) {
			return store.Organization{}, &store.ValidationError{Field: "name", Msg: "Use another name: an organization with this name exists"}
		}
		return store.Organization{}, err
	}
	return o, nil
}
