package affiliates

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/pkg/dbx"
)

// Lifecycle stages of an implementing organization, in their order.
const (
	StageInquiry     = "inquiry"
	StageAgreement   = "agreement"
	StageTraining    = "training"
	StageLaunched    = "launched"
	StageFirstYearTA = "first_year_ta"
	StageSustaining  = "sustaining"
	StageInactive    = "inactive"
)

// Stages lists the stages in lifecycle order; inactive comes last.
var Stages = []string{StageInquiry, StageAgreement, StageTraining, StageLaunched, StageFirstYearTA, StageSustaining, StageInactive}

// StageLabels are their human names.
var StageLabels = map[string]string{
	StageInquiry: "Inquiry", StageAgreement: "Agreement", StageTraining: "Training",
	StageLaunched: "Launched (go-live)", StageFirstYearTA: "First year of TA",
	StageSustaining: "Sustaining", StageInactive: "Inactive",
}

// OrgContact is a staff contact of an implementing organization (the
// organization's own people, not participants).
type OrgContact struct {
	ID        string    `gorm:"primaryKey;size:36" json:"id"`
	OrgID     string    `gorm:"size:36;not null;index" json:"org_id"`
	Name      string    `gorm:"size:200;not null" json:"name"`
	Role      string    `gorm:"size:100;not null" json:"role"`
	Email     string    `gorm:"size:200;not null" json:"email"`
	Phone     string    `gorm:"size:40;not null" json:"phone"`
	CreatedAt time.Time `gorm:"not null" json:"created_at"`
}

// StageChange is one step of an organization's lifecycle, kept for ever.
type StageChange struct {
	ID        int64     `gorm:"primaryKey;autoIncrement" json:"id"`
	OrgID     string    `gorm:"size:36;not null;index" json:"org_id"`
	FromStage string    `gorm:"size:20;not null" json:"from_stage"`
	ToStage   string    `gorm:"size:20;not null" json:"to_stage"`
	OnDate    string    `gorm:"size:10;not null" json:"on"`
	Reason    string    `gorm:"size:500;not null" json:"reason"`
	ByName    string    `gorm:"size:200;not null" json:"by"`
	CreatedAt time.Time `gorm:"not null" json:"recorded_at"`
}

var phoneRE = regexp.MustCompile(`^[0-9+()./ x-]{7,40}$`)

// OrgInput is what a person enters for an organization.
type OrgInput struct {
	Name  string `json:"name" form:"name"`
	Type  string `json:"type" form:"type"`
	State string `json:"state" form:"state"`
}

func checkOrg(in OrgInput) (OrgInput, error) {
	in.State = strings.ToUpper(strings.TrimSpace(in.State))
	var err error
	if in.Name, err = store.Name(in.Name); err != nil {
		return in, err
	}
	if _, ok := store.OrgTypeLabels[in.Type]; !ok {
		return in, &store.ValidationError{Field: "type", Msg: "Choose one of " + strings.Join(store.OrgTypes, ", ")}
	}
	if !validState(in.State) {
		return in, &store.ValidationError{Field: "state", Msg: "Enter the two-letter postal code of a state or territory, such as VA"}
	}
	return in, nil
}

// UpdateOrganization changes an organization's name, type and state.
func (s *Store) UpdateOrganization(ctx context.Context, id string, in OrgInput) (store.Organization, error) {
	o, err := s.OrgByID(ctx, id)
	if err != nil {
		return o, err
	}
	if in, err = checkOrg(in); err != nil {
		return o, err
	}
	err = s.DB.WithContext(ctx).Model(&o).Updates(map[string]any{"name": in.Name, "type": in.Type, "state": in.State}).Error
	if err != nil {
		if dbx.IsUniqueViolation(err) {
			return o, &store.ValidationError{Field: "name", Msg: "Use another name: an organization with this name exists"}
		}
		return o, err
	}
	o.Name, o.Type, o.State = in.Name, in.Type, in.State
	return o, nil
}

// OrgFilter narrows the list of organizations; empty fields match all.
type OrgFilter struct {
	Stage string `form:"stage"`
	Type  string `form:"type"`
	State string `form:"state"`
}

// Check refuses filter values that name nothing.
func (f OrgFilter) Check() error {
	switch {
	case f.Stage != "" && StageLabels[f.Stage] == "":
		return &store.ValidationError{Field: "stage", Msg: "Choose one of " + strings.Join(Stages, ", ")}
	case f.Type != "" && store.OrgTypeLabels[f.Type] == "":
		return &store.ValidationError{Field: "type", Msg: "Choose one of " + strings.Join(store.OrgTypes, ", ")}
	case f.State != "" && !validState(f.State):
		return &store.ValidationError{Field: "state", Msg: "Enter the two-letter postal code of a state or territory, such as VA"}
	}
	return nil
}

// FindOrganizations lists organizations matching a filter, by name.
func (s *Store) FindOrganizations(ctx context.Context, f OrgFilter) ([]store.Organization, error) {
	f.State = strings.ToUpper(strings.TrimSpace(f.State))
	if err := f.Check(); err != nil {
		return nil, err
	}
	q := s.DB.WithContext(ctx).Order("name")
	if f.Stage != "" {
		q = q.Where("stage = ?", f.Stage)
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	var os []store.Organization
	return os, q.Find(&os).Error
}

// ContactInput is a staff contact as entered.
type ContactInput struct {
	Name  string `json:"name" form:"name"`
	Role  string `json:"role" form:"role"`
	Email string `json:"email" form:"email"`
	Phone string `json:"phone" form:"phone"`
}

// AddContact adds a staff contact to an organization.
func (s *Store) AddContact(ctx context.Context, orgID string, in ContactInput) (OrgContact, error) {
	if _, err := s.OrgByID(ctx, orgID); err != nil {
		return OrgContact{}, err
	}
	var err error
	c := OrgContact{ID: uuid.NewString(), OrgID: orgID, CreatedAt: s.Now()}
	if c.Name, err = store.Text("name", in.Name, true, 200); err != nil {
		return c, err
	}
	if c.Role, err = store.Text("role", in.Role, true, 100); err != nil {
		return c, err
	}
	if strings.TrimSpace(in.Email) != "" { // optional: a phone will do
		if c.Email, err = store.ValidEmail(in.Email); err != nil {
			return c, err
		}
	}
	c.Phone = strings.TrimSpace(in.Phone)
	if c.Phone != "" && !phoneRE.MatchString(c.Phone) {
		return c, &store.ValidationError{Field: "phone", Msg: "Enter a phone number of digits, spaces and + - ( ) ."}
	}
	if c.Email == "" && c.Phone == "" {
		return c, &store.ValidationError{Field: "email", Msg: "Enter an email or a phone number"}
	}
	return c, s.DB.WithContext(ctx).Create(&c).Error
}

// RemoveContact removes a staff contact of an organization.
func (s *Store) RemoveContact(ctx context.Context, orgID, contactID string) error {
	if !store.PlainText(orgID) || !store.PlainText(contactID) {
		return store.ErrNotFound
	}
	res := s.DB.WithContext(ctx).Where("id = ? AND org_id = ?", contactID, orgID).Delete(&OrgContact{})
	if res.Error == nil && res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return res.Error
}

// Contacts lists an organization's staff contacts.
func (s *Store) Contacts(ctx context.Context, orgID string) ([]OrgContact, error) {
	var cs []OrgContact
	return cs, s.DB.WithContext(ctx).Where("org_id = ?", orgID).Order("name").Find(&cs).Error
}

// StageHistory lists an organization's lifecycle, oldest first.
func (s *Store) StageHistory(ctx context.Context, orgID string) ([]StageChange, error) {
	var hs []StageChange
	return hs, s.DB.WithContext(ctx).Where("org_id = ?", orgID).Order("on_date, id").Find(&hs).Error
}

// StageInput is a requested move to another stage.
type StageInput struct {
	To     string `json:"to" form:"to"`
	On     string `json:"on" form:"on"`
	Reason string `json:"reason" form:"reason"`
}

// NextStages are the stages an organization at stage from may move to.
func NextStages(from string) []string {
	if from == StageInactive {
		return Stages[:len(Stages)-1]
	}
	var out []string
	i := slices.Index(Stages, from)
	if i >= 0 && i+1 < len(Stages)-1 {
		out = append(out, Stages[i+1])
	}
	return append(out, StageInactive)
}

// ChangeStage moves an organization to another stage on a date (today when
// empty), keeping the history. Allowed: the next stage forward; inactive
// from any stage (with a reason); from inactive back to a named stage (with
// a reason). Reaching "launched" (go-live) opens the first-year TA plan;
// "sustaining" is reached once the first year is over.
func (s *Store) ChangeStage(ctx context.Context, orgID string, in StageInput, by string) (store.Organization, error) {
	o, err := s.OrgByID(ctx, orgID)
	if err != nil {
		return o, err
	}
	if StageLabels[in.To] == "" {
		return o, &store.ValidationError{Field: "to", Msg: "Choose one of " + strings.Join(Stages, ", ")}
	}
	on, err := s.DayOrToday("on", in.On)
	if err != nil {
		return o, err
	}
	if on < o.StageOn {
		return o, &store.ValidationError{Field: "on", Msg: fmt.Sprintf("Enter a day on or after %s, when the current stage began", o.StageOn)}
	}
	reason, err := store.Text("reason", in.Reason, false, 500)
	if err != nil {
		return o, err
	}
	if !slices.Contains(NextStages(o.Stage), in.To) {
		return o, &store.ValidationError{Field: "to", Msg: fmt.Sprintf("Choose a stage an organization at %q can move to: %s", StageLabels[o.Stage], stageList(NextStages(o.Stage)))}
	}
	if (in.To == StageInactive || o.Stage == StageInactive) && reason == "" {
		return o, &store.ValidationError{Field: "reason", Msg: "Enter the reason: it is required when an organization becomes inactive or comes back"}
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if in.To == StageSustaining {
			var p ta.TAPlan
			if err := tx.First(&p, "org_id = ?", o.ID).Error; err == nil && on < p.EndsOn {
				return &store.ValidationError{Field: "to", Msg: fmt.Sprintf("Wait until %s: the organization can be sustaining once its first year of TA ends", p.EndsOn)}
			}
		}
		// The condition makes a concurrent change of the same organization fail.
		res := tx.Model(&store.Organization{}).Where("id = ? AND stage = ?", o.ID, o.Stage).Updates(map[string]any{"stage": in.To, "stage_on": on})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return &store.ValidationError{Field: "to", Msg: "Reload the page and try again: the organization's stage changed meanwhile"}
		}
		if err := tx.Create(&StageChange{OrgID: o.ID, FromStage: o.Stage, ToStage: in.To, OnDate: on, Reason: reason, ByName: by, CreatedAt: s.Now()}).Error; err != nil {
			return err
		}
		if in.To == StageLaunched {
			return ta.New(s.Store).OpenPlan(tx, o.ID, on)
		}
		return nil
	})
	if err != nil {
		return o, err
	}
	o.Stage, o.StageOn = in.To, on
	return o, nil
}

func stageList(ss []string) string {
	var names []string
	for _, s := range ss {
		names = append(names, fmt.Sprintf("%q", StageLabels[s]))
	}
	return strings.Join(names, " or ")
}
