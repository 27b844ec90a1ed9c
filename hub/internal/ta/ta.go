package ta

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
)

// First-year TA plan defaults: a check-in every month for twelve months from
// go-live.
const (
	DefaultCheckIns    = 12
	DefaultEveryMonths = 1
)

// TAPlan is an organization's first-year technical assistance plan, opened
// once, at go-live.
type TAPlan struct {
	ID           string    `gorm:"primaryKey;size:36" json:"id"`
	OrgID        string    `gorm:"size:36;not null;uniqueIndex" json:"org_id"`
	OpenedOn     string    `gorm:"size:10;not null" json:"opened_on"`
	EndsOn       string    `gorm:"size:10;not null" json:"ends_on"`
	SpecialistID string    `gorm:"size:36;not null;index" json:"specialist_id"`
	CreatedAt    time.Time `gorm:"not null" json:"created_at"`
}

// TACheckIn is a scheduled check-in of a plan; DoneOn is empty until it
// happened.
type TACheckIn struct {
	ID        string    `gorm:"primaryKey;size:36" json:"id"`
	PlanID    string    `gorm:"size:36;not null;index" json:"plan_id"`
	OrgID     string    `gorm:"size:36;not null;index" json:"org_id"`
	DueOn     string    `gorm:"size:10;not null;index" json:"due_on"`
	DoneOn    string    `gorm:"size:10;not null" json:"done_on"`
	Note      string    `gorm:"size:2000;not null" json:"note"`
	CreatedAt time.Time `gorm:"not null" json:"created_at"`
	UpdatedAt time.Time `gorm:"not null" json:"updated_at"`
}

// TableName names the table.
func (TACheckIn) TableName() string { return "ta_check_ins" }

// Overdue reports whether the check-in was due before today and is not done.
func (c TACheckIn) Overdue(today string) bool { return c.DoneOn == "" && c.DueOn < today }

// TA contact modes.
var TAModes = []string{"phone", "video", "in_person"}

// TAModeLabels are their human names.
var TAModeLabels = map[string]string{"phone": "Phone", "video": "Video", "in_person": "In person"}

// TAContact is a logged contact between a TA specialist and an organization.
type TAContact struct {
	ID        string    `gorm:"primaryKey;size:36" json:"id"`
	OrgID     string    `gorm:"size:36;not null;index" json:"org_id"`
	OnDate    string    `gorm:"size:10;not null" json:"on"`
	Mode      string    `gorm:"size:20;not null" json:"mode"`
	Minutes   int       `gorm:"not null" json:"minutes"`
	Notes     string    `gorm:"type:text;not null" json:"notes"`
	ByUserID  string    `gorm:"size:36;not null" json:"by_user_id"`
	ByName    string    `gorm:"size:200;not null" json:"by"`
	CreatedAt time.Time `gorm:"not null" json:"created_at"`
}

// TARequest is a technical assistance request a site raised, with the
// hub's answer. Seq is its place in the hub's TA answer stream: it grows on
// every change the site should see.
type TARequest struct {
	ID         string     `gorm:"primaryKey;size:36" json:"id"`
	SiteID     string     `gorm:"size:36;not null;index" json:"site_id"`
	OrgID      string     `gorm:"size:36;not null;index" json:"org_id"`
	Subject    string     `gorm:"size:800;not null" json:"subject"`
	Category   string     `gorm:"size:40;not null" json:"category"`
	Body       string     `gorm:"type:text;not null" json:"text"`
	Hash       string     `gorm:"size:64;not null" json:"-"`
	RaisedAt   time.Time  `gorm:"not null" json:"raised_at"`
	ReceivedAt time.Time  `gorm:"not null" json:"received_at"`
	Status     string     `gorm:"size:20;not null;index" json:"status"`
	AssigneeID string     `gorm:"size:36;not null;index" json:"assignee_id"`
	Answer     string     `gorm:"type:text;not null" json:"answer"`
	AnsweredBy string     `gorm:"size:200;not null" json:"answered_by"`
	AnsweredAt *time.Time `json:"answered_at"`
	ClosedAt   *time.Time `json:"closed_at"`
	Seq        int64      `gorm:"not null;index" json:"seq"`
	UpdatedAt  time.Time  `gorm:"not null" json:"updated_at"`
}

// OpenPlan opens an organization's first-year plan with the default
// check-ins from a go-live date, unless it has one (a plan opens once).
func (s *Store) OpenPlan(tx *gorm.DB, orgID, golive string) error {
	var n int64
	if err := tx.Model(&TAPlan{}).Where("org_id = ?", orgID).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	start, _ := time.Parse(time.DateOnly, golive)
	p := TAPlan{ID: uuid.NewString(), OrgID: orgID, OpenedOn: golive, EndsOn: start.AddDate(1, 0, 0).Format(time.DateOnly), CreatedAt: s.Now()}
	if err := tx.Create(&p).Error; err != nil {
		return err
	}
	cis := make([]TACheckIn, DefaultCheckIns)
	for i := range cis {
		due := start.AddDate(0, (i+1)*DefaultEveryMonths, 0).Format(time.DateOnly)
		cis[i] = TACheckIn{ID: uuid.NewString(), PlanID: p.ID, OrgID: orgID, DueOn: due, CreatedAt: s.Now(), UpdatedAt: s.Now()}
	}
	return tx.Create(&cis).Error
}

// Plan returns an organization's TA plan and its check-ins by due date, or
// ErrNotFound when it has none (it has not gone live).
func (s *Store) Plan(ctx context.Context, orgID string) (TAPlan, []TACheckIn, error) {
	var cs []TACheckIn
	p, err := s.planOf(ctx, orgID)
	if err != nil {
		return p, nil, err
	}
	return p, cs, s.DB.WithContext(ctx).Where("plan_id = ?", p.ID).Order("due_on, id").Find(&cs).Error
}

// planOf is an organization's TA plan without its check-ins.
func (s *Store) planOf(ctx context.Context, orgID string) (TAPlan, error) {
	var p TAPlan
	err := store.NotFound(s.DB.WithContext(ctx).First(&p, "org_id = ?", orgID).Error)
	return p, err
}

// checkIn finds a check-in of an organization.
func (s *Store) checkIn(ctx context.Context, orgID, id string) (TACheckIn, error) {
	var c TACheckIn
	if !store.PlainText(orgID) || !store.PlainText(id) {
		return c, store.ErrNotFound
	}
	err := store.NotFound(s.DB.WithContext(ctx).First(&c, "id = ? AND org_id = ?", id, orgID).Error)
	return c, err
}

// dueDate checks a check-in's due date: within two years of the plan's
// opening, and not before it.
func dueDate(p TAPlan, v string) (string, error) {
	v = strings.TrimSpace(v)
	if !store.IsDay(v) {
		return "", &store.ValidationError{Field: "due_on", Msg: "Enter a date such as 2026-03-04"}
	}
	start, _ := time.Parse(time.DateOnly, p.OpenedOn)
	if v < p.OpenedOn || v > start.AddDate(2, 0, 0).Format(time.DateOnly) {
		return "", &store.ValidationError{Field: "due_on", Msg: fmt.Sprintf("Enter a day from go-live (%s) to two years after", p.OpenedOn)}
	}
	return v, nil
}

// AddCheckIn schedules one more check-in in an organization's plan.
func (s *Store) AddCheckIn(ctx context.Context, orgID, due string) (TACheckIn, error) {
	p, err := s.planOf(ctx, orgID)
	if err != nil {
		return TACheckIn{}, err
	}
	if due, err = dueDate(p, due); err != nil {
		return TACheckIn{}, err
	}
	c := TACheckIn{ID: uuid.NewString(), PlanID: p.ID, OrgID: orgID, DueOn: due, CreatedAt: s.Now(), UpdatedAt: s.Now()}
	return c, s.DB.WithContext(ctx).Create(&c).Error
}

// RescheduleCheckIn moves a check-in that has not happened to another date.
func (s *Store) RescheduleCheckIn(ctx context.Context, orgID, id, due string) (TACheckIn, error) {
	c, err := s.checkIn(ctx, orgID, id)
	if err != nil {
		return c, err
	}
	if c.DoneOn != "" {
		return c, &store.ValidationError{Field: "due_on", Msg: "Schedule a new check-in instead: this one has happened and cannot be moved"}
	}
	p, err := s.planOf(ctx, orgID)
	if err != nil {
		return c, err
	}
	if due, err = dueDate(p, due); err != nil {
		return c, err
	}
	c.DueOn, c.UpdatedAt = due, s.Now()
	return c, s.DB.WithContext(ctx).Model(&c).Updates(map[string]any{"due_on": due, "updated_at": c.UpdatedAt}).Error
}

// CompleteCheckIn marks a check-in done on a date (today when empty) with a
// short note.
func (s *Store) CompleteCheckIn(ctx context.Context, orgID, id, on, note string) (TACheckIn, error) {
	c, err := s.checkIn(ctx, orgID, id)
	if err != nil {
		return c, err
	}
	if c.DoneOn != "" {
		return c, &store.ValidationError{Field: "done_on", Msg: "Reload the page: this check-in is already marked done"}
	}
	if on, err = s.DayOrToday("done_on", on); err != nil {
		return c, err
	}
	if note, err = store.Text("note", note, false, 2000); err != nil {
		return c, err
	}
	c.DoneOn, c.Note, c.UpdatedAt = on, note, s.Now()
	return c, s.DB.WithContext(ctx).Model(&c).Updates(map[string]any{"done_on": on, "note": note, "updated_at": c.UpdatedAt}).Error
}

// AssignPlan names the TA specialist who looks after an organization's plan
// ("" for nobody).
func (s *Store) AssignPlan(ctx context.Context, orgID, specialistID string) error {
	p, err := s.planOf(ctx, orgID)
	if err != nil {
		return err
	}
	if specialistID != "" {
		if err := s.checkSpecialist(ctx, "specialist_id", specialistID); err != nil {
			return err
		}
	}
	return s.DB.WithContext(ctx).Model(&p).Update("specialist_id", specialistID).Error
}

// checkSpecialist refuses a user id that is not a TA specialist or admin.
func (s *Store) checkSpecialist(ctx context.Context, field, id string) error {
	var u store.User
	if !store.PlainText(id) {
		return &store.ValidationError{Field: field, Msg: "Choose a staff account from the list"}
	}
	err := s.DB.WithContext(ctx).First(&u, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return &store.ValidationError{Field: field, Msg: "Choose a staff account from the list"}
	}
	if err != nil {
		return err
	}
	var n int64
	if err := s.DB.WithContext(ctx).Model(&store.RoleAssignment{}).Where("user_id = ? AND role IN ?", u.ID, specialistRoles).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return &store.ValidationError{Field: field, Msg: "Choose a TA specialist or an admin"}
	}
	return nil
}

// specialistRoles are the roles that do TA work.
var specialistRoles = []string{store.RoleTA, store.RoleAdmin}

// Specialists lists the accounts that do TA work (TA specialists and admins).
func (s *Store) Specialists(ctx context.Context) ([]store.User, error) {
	var us []store.User
	held := s.DB.Model(&store.RoleAssignment{}).Select("user_id").Where("role IN ?", specialistRoles)
	return us, s.DB.WithContext(ctx).Where("id IN (?)", held).Order("name").Find(&us).Error
}

// TAContactInput is a contact as a TA specialist logs it.
type TAContactInput struct {
	On      string `json:"on" form:"on"`
	Mode    string `json:"mode" form:"mode"`
	Minutes int    `json:"minutes" form:"minutes"`
	Notes   string `json:"notes" form:"notes"`
}

// LogTAContact records a contact with an organization.
func (s *Store) LogTAContact(ctx context.Context, orgID string, in TAContactInput, by store.User) (TAContact, error) {
	if _, err := s.OrgByID(ctx, orgID); err != nil {
		return TAContact{}, err
	}
	c := TAContact{ID: uuid.NewString(), OrgID: orgID, Mode: in.Mode, Minutes: in.Minutes, ByUserID: by.ID, ByName: by.Name, CreatedAt: s.Now()}
	var err error
	if c.OnDate, err = s.DayOrToday("on", in.On); err != nil {
		return c, err
	}
	if !slices.Contains(TAModes, in.Mode) {
		return c, &store.ValidationError{Field: "mode", Msg: "Choose one of " + strings.Join(TAModes, ", ")}
	}
	if in.Minutes < 1 || in.Minutes > 600 {
		return c, &store.ValidationError{Field: "minutes", Msg: "Enter a number of minutes from 1 to 600"}
	}
	if c.Notes, err = store.Text("notes", in.Notes, true, 8000); err != nil {
		return c, err
	}
	return c, s.DB.WithContext(ctx).Create(&c).Error
}

// TAContacts lists an organization's logged contacts, newest first.
func (s *Store) TAContacts(ctx context.Context, orgID string) ([]TAContact, error) {
	var cs []TAContact
	return cs, s.DB.WithContext(ctx).Where("org_id = ?", orgID).Order("on_date DESC, created_at DESC").Find(&cs).Error
}

// ReceiveTARequest stores a TA request a site sent. The agent's id makes it
// idempotent: the same id and content again is a duplicate; the same id
// with other content, or of another site, is contract.ErrTAConflict.
func (s *Store) ReceiveTARequest(ctx context.Context, site store.Site, w contract.TARequestWire) (contract.TARequestResult, error) {
	if err := contract.ValidateTARequest(w); err != nil {
		return contract.TARequestResult{}, err
	}
	res := contract.TARequestResult{ID: w.ID, Fate: contract.FateStored, Status: contract.TAOpen}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old TARequest
		err := tx.First(&old, "id = ?", w.ID).Error
		if err == nil {
			if old.SiteID != site.ID || old.Hash != w.Hash() {
				return contract.ErrTAConflict
			}
			res.Fate, res.Status = contract.FateDuplicate, old.Status
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		now := s.Now()
		return tx.Create(&TARequest{ID: w.ID, SiteID: site.ID, OrgID: site.OrgID, Subject: strings.TrimSpace(w.Subject), Category: w.Category,
			Body: strings.TrimSpace(w.Text), Hash: w.Hash(), RaisedAt: w.RaisedAt.UTC(), ReceivedAt: now, Status: contract.TAOpen, UpdatedAt: now}).Error
	})
	if dbx.IsUniqueViolation(err) {
		// A concurrent first delivery of the same id won; ask again.
		return s.ReceiveTARequest(ctx, site, w)
	}
	return res, err
}

// TAFilter narrows the list of TA requests; empty fields match all.
type TAFilter struct {
	OrgID      string
	Status     string
	AssigneeID string
	// Open keeps requests still waiting for an answer (open or assigned).
	Open bool
}

// TARequests lists TA requests, oldest first.
func (s *Store) TARequests(ctx context.Context, f TAFilter) ([]TARequest, error) {
	q := s.DB.WithContext(ctx).Order("received_at, id")
	if f.Status != "" {
		if !slices.Contains([]string{contract.TAOpen, contract.TAAssigned, contract.TAAnswered, contract.TAClosed}, f.Status) {
			return nil, &store.ValidationError{Field: "status", Msg: "Choose open, assigned, answered or closed"}
		}
		q = q.Where("status = ?", f.Status)
	}
	if f.Open {
		q = q.Where("status IN ?", []string{contract.TAOpen, contract.TAAssigned})
	}
	if f.OrgID != "" {
		q = q.Where("org_id = ?", f.OrgID)
	}
	if f.AssigneeID != "" {
		q = q.Where("assignee_id IN ?", []string{f.AssigneeID, ""})
	}
	var rs []TARequest
	return rs, q.Find(&rs).Error
}

// TARequestByID finds a TA request.
func (s *Store) TARequestByID(ctx context.Context, id string) (TARequest, error) {
	var r TARequest
	if !store.PlainText(id) {
		return r, store.ErrNotFound
	}
	err := store.NotFound(s.DB.WithContext(ctx).First(&r, "id = ?", id).Error)
	return r, err
}

// CountTARequests is how many TA requests of a site the hub holds.
func (s *Store) CountTARequests(ctx context.Context, siteID string) (int64, error) {
	var n int64
	return n, s.DB.WithContext(ctx).Model(&TARequest{}).Where("site_id = ?", siteID).Count(&n).Error
}

// changeTARequest applies a change the site should see and moves the
// request to the end of the answer stream.
func (s *Store) changeTARequest(ctx context.Context, id string, change func(r *TARequest) error) (TARequest, error) {
	var r TARequest
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if !store.PlainText(id) {
			return store.ErrNotFound
		}
		if err := store.NotFound(tx.First(&r, "id = ?", id).Error); err != nil {
			return err
		}
		if r.Status == contract.TAClosed {
			return &store.ValidationError{Field: "request", Msg: "Leave this request as it is: it is closed and cannot be changed"}
		}
		if err := change(&r); err != nil {
			return err
		}
		var err error
		if r.Seq, err = store.NextSeq(tx, "ta_answers", s.Now()); err != nil {
			return err
		}
		r.UpdatedAt = s.Now()
		return tx.Model(&TARequest{}).Where("id = ?", r.ID).Updates(map[string]any{
			"status": r.Status, "assignee_id": r.AssigneeID, "answer": r.Answer, "answered_by": r.AnsweredBy,
			"answered_at": r.AnsweredAt, "closed_at": r.ClosedAt, "seq": r.Seq, "updated_at": r.UpdatedAt}).Error
	})
	return r, err
}

// AssignTARequest gives a request to a TA specialist.
func (s *Store) AssignTARequest(ctx context.Context, id, assigneeID string) (TARequest, error) {
	if err := s.checkSpecialist(ctx, "assignee_id", assigneeID); err != nil {
		return TARequest{}, err
	}
	return s.changeTARequest(ctx, id, func(r *TARequest) error {
		r.AssigneeID = assigneeID
		if r.Status == contract.TAOpen {
			r.Status = contract.TAAssigned
		}
		return nil
	})
}

// AnswerTARequest answers a request (or replaces the answer of one not yet
// closed). The answer travels to the site in the next pull.
func (s *Store) AnswerTARequest(ctx context.Context, id, answer string, by store.User) (TARequest, error) {
	answer, err := store.Text("answer", answer, true, contract.MaxTAAnswerRunes)
	if err != nil {
		return TARequest{}, err
	}
	return s.changeTARequest(ctx, id, func(r *TARequest) error {
		now := s.Now()
		r.Status, r.Answer, r.AnsweredBy, r.AnsweredAt = contract.TAAnswered, answer, by.Name, &now
		if r.AssigneeID == "" {
			r.AssigneeID = by.ID
		}
		return nil
	})
}

// CloseTARequest closes a request; the site sees it closed.
func (s *Store) CloseTARequest(ctx context.Context, id string) (TARequest, error) {
	return s.changeTARequest(ctx, id, func(r *TARequest) error {
		now := s.Now()
		r.Status, r.ClosedAt = contract.TAClosed, &now
		return nil
	})
}

// TAAnswersAfter lists a site's requests changed after a stream position,
// in stream order, at most limit.
func (s *Store) TAAnswersAfter(ctx context.Context, siteID string, after int64, limit int) ([]TARequest, error) {
	var rs []TARequest
	return rs, s.DB.WithContext(ctx).Where("site_id = ? AND seq > ?", siteID, after).Order("seq").Limit(limit).Find(&rs).Error
}
