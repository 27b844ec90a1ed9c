package store

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/program"
)

// CoachInput is a coach's profile as the director enters it.
type CoachInput struct {
	Name   string `json:"name" form:"name"`
	Email  string `json:"email" form:"email"`
	Bio    string `json:"bio" form:"bio"`
	UserID string `json:"user_id" form:"user_id"`
}

func (in *CoachInput) validate() error {
	var errs ValidationErrors
	in.Name, in.Email, in.Bio = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email), strings.TrimSpace(in.Bio)
	if in.Name == "" || len(in.Name) > 200 {
		errs = append(errs, ValidationError{Field: "name", Msg: "is required (at most 200 characters)"})
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
			errs = append(errs, ValidationError{Field: "email", Msg: "is not an email address"})
		}
	}
	if len(in.Bio) > 4000 {
		errs = append(errs, ValidationError{Field: "bio", Msg: "is longer than 4000 characters"})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// AddCoach adds a coach. A coach may be linked to a local account, which
// then sees the participants of the coach's cohorts.
func (s *Store) AddCoach(ctx context.Context, in CoachInput) (Coach, error) {
	if err := in.validate(); err != nil {
		return Coach{}, err
	}
	now := s.Now()
	c := Coach{ID: uuid.NewString(), UserID: in.UserID, Name: in.Name, Email: in.Email, Bio: in.Bio, Active: true, CreatedAt: now, UpdatedAt: now}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkUser(tx, in.UserID); err != nil {
			return err
		}
		return tx.Create(&c).Error
	})
	return c, err
}

func checkUser(tx *gorm.DB, userID string) error {
	if userID == "" {
		return nil
	}
	var n int64
	if err := tx.Model(&User{}).Where("id = ? AND role = ?", userID, RoleCoach).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return &ValidationError{Field: "user_id", Msg: "is not a coach's account at this site"}
	}
	return nil
}

// UpdateCoach changes a coach's profile.
func (s *Store) UpdateCoach(ctx context.Context, id string, in CoachInput) (Coach, error) {
	if err := in.validate(); err != nil {
		return Coach{}, err
	}
	var c Coach
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&c, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if err := checkUser(tx, in.UserID); err != nil {
			return err
		}
		c.Name, c.Email, c.Bio, c.UserID, c.UpdatedAt = in.Name, in.Email, in.Bio, in.UserID, s.Now()
		return tx.Save(&c).Error
	})
	return c, err
}

// Certification is a coach's certification as reported or recorded.
type Certification struct {
	Code           string `json:"code" form:"code"`
	CertifiedUntil string `json:"certified_until" form:"certified_until"`
	Revoked        bool   `json:"revoked" form:"revoked"`
}

// RecordCertification stores a coach's certification. source is "hub" when
// the hub reported it and "site" when the director recorded it while the hub
// does not yet manage certifications; a hub report always replaces a site
// record.
func (s *Store) RecordCertification(ctx context.Context, coachID, source string, cert Certification) (Coach, error) {
	var errs ValidationErrors
	cert.Code = strings.TrimSpace(cert.Code)
	if cert.Code == "" || len(cert.Code) > 60 {
		errs = append(errs, ValidationError{Field: "code", Msg: "the certification's code is required"})
	}
	if _, ok := parseDate(cert.CertifiedUntil); !ok {
		errs = append(errs, ValidationError{Field: "certified_until", Msg: "the expiry date is required, as YYYY-MM-DD"})
	}
	if source != "hub" && source != "site" {
		errs = append(errs, ValidationError{Field: "source", Msg: "must be hub or site"})
	}
	if len(errs) > 0 {
		return Coach{}, errs
	}
	var c Coach
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&c, "id = ?", coachID).Error; err != nil {
			return notFound(err)
		}
		if source == "site" && c.CertSource == "hub" {
			return &ValidationError{Field: "source", Msg: "the hub manages this coach's certification; it cannot be changed at the site"}
		}
		c.CertCode, c.CertifiedUntil, c.CertRevoked, c.CertSource, c.UpdatedAt = cert.Code, cert.CertifiedUntil, cert.Revoked, source, s.Now()
		return tx.Save(&c).Error
	})
	return c, err
}

// Coaches lists the coaches by name.
func (s *Store) Coaches(ctx context.Context) ([]Coach, error) {
	var cs []Coach
	err := s.DB.WithContext(ctx).Order("name").Find(&cs).Error
	return cs, err
}

// Coach finds one coach.
func (s *Store) Coach(ctx context.Context, id string) (Coach, error) {
	var c Coach
	err := s.DB.WithContext(ctx).First(&c, "id = ?", id).Error
	return c, notFound(err)
}

// CoachOfUser finds the coach linked to an account, if any.
func (s *Store) CoachOfUser(ctx context.Context, userID string) (Coach, bool, error) {
	var c Coach
	err := s.DB.WithContext(ctx).Limit(1).Find(&c, "user_id = ? AND user_id <> ''", userID).Error
	return c, c.ID != "", err
}

// Frequencies of cohort meetings.
var Frequencies = []string{"weekly", "biweekly"}

// CohortInput is a cohort as the director sets it up.
type CohortInput struct {
	Name        string `json:"name" form:"name"`
	Model       string `json:"model" form:"model"`
	StartDate   string `json:"start_date" form:"start_date"`
	CoachID     string `json:"coach_id" form:"coach_id"`
	MeetingDay  string `json:"meeting_day" form:"meeting_day"`
	MeetingTime string `json:"meeting_time" form:"meeting_time"`
	Frequency   string `json:"frequency" form:"frequency"`
	Location    string `json:"location" form:"location"`
	MixedPairs  bool   `json:"mixed_pairs" form:"mixed_pairs"`
}

var weekdays = map[string]bool{"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true}

func (in *CohortInput) validate() ValidationErrors {
	var errs ValidationErrors
	in.Name, in.Location = strings.TrimSpace(in.Name), strings.TrimSpace(in.Location)
	in.MeetingDay = strings.ToLower(strings.TrimSpace(in.MeetingDay))
	if in.Name == "" || len(in.Name) > 200 {
		errs = append(errs, ValidationError{Field: "name", Msg: "is required (at most 200 characters)"})
	}
	if in.Model != program.ModelPeerPartners && in.Model != program.ModelSocialExplorations {
		errs = append(errs, ValidationError{Field: "model", Msg: "must be peer_partners or social_explorations"})
	}
	if _, ok := parseDate(in.StartDate); !ok {
		errs = append(errs, ValidationError{Field: "start_date", Msg: "must be a date as YYYY-MM-DD"})
	}
	if in.MeetingDay != "" && !weekdays[in.MeetingDay] {
		errs = append(errs, ValidationError{Field: "meeting_day", Msg: "must be a day of the week"})
	}
	if in.MeetingTime != "" {
		if _, err := time.Parse("15:04", in.MeetingTime); err != nil {
			errs = append(errs, ValidationError{Field: "meeting_time", Msg: "must be a time as HH:MM"})
		}
	}
	if in.Frequency == "" {
		in.Frequency = "weekly"
	}
	if in.Frequency != "weekly" && in.Frequency != "biweekly" {
		errs = append(errs, ValidationError{Field: "frequency", Msg: "must be weekly or biweekly"})
	}
	if len(in.Location) > 300 {
		errs = append(errs, ValidationError{Field: "location", Msg: "is too long"})
	}
	return errs
}

// checkLeader refuses a coach who cannot lead a cohort today.
func (s *Store) checkLeader(tx *gorm.DB, coachID string) error {
	var c Coach
	if err := tx.Limit(1).Find(&c, "id = ?", coachID).Error; err != nil {
		return err
	}
	switch {
	case c.ID == "":
		return &ValidationError{Field: "coach_id", Msg: "is not a coach at this site"}
	case !c.Active:
		return &ValidationError{Field: "coach_id", Msg: c.Name + " no longer coaches at this site"}
	case !c.CertifiedOn(s.Now()):
		why := "has no certification on record"
		if c.CertRevoked {
			why = "had their certification revoked"
		} else if c.CertifiedUntil != "" {
			why = "has a certification that expired on " + c.CertifiedUntil
		}
		return &ValidationError{Field: "coach_id", Msg: c.Name + " " + why + "; only a currently certified coach can lead a cohort"}
	}
	return nil
}

// AddCohort sets up a cohort led by a currently certified coach.
func (s *Store) AddCohort(ctx context.Context, in CohortInput) (Cohort, error) {
	if errs := in.validate(); len(errs) > 0 {
		return Cohort{}, errs
	}
	now := s.Now()
	c := Cohort{ID: uuid.NewString(), Name: in.Name, Model: in.Model, StartDate: in.StartDate, CoachID: in.CoachID, MeetingDay: in.MeetingDay,
		MeetingTime: in.MeetingTime, Frequency: in.Frequency, Location: in.Location, MixedPairs: in.MixedPairs, SurrogateKey: uuid.NewString(), CreatedAt: now, UpdatedAt: now}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.checkLeader(tx, in.CoachID); err != nil {
			return err
		}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		return s.refreshCohort(tx, c.ID, s.upstreamDay())
	})
	return c, err
}

// ChangeCohortCoach hands a cohort to another currently certified coach.
func (s *Store) ChangeCohortCoach(ctx context.Context, cohortID, coachID string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Cohort
		if err := tx.First(&c, "id = ?", cohortID).Error; err != nil {
			return notFound(err)
		}
		if err := s.checkLeader(tx, coachID); err != nil {
			return err
		}
		return tx.Model(&c).Updates(map[string]any{"coach_id": coachID, "updated_at": s.Now()}).Error
	})
}

// Cohorts lists cohorts, newest first; a coach's own only when coachID is set.
func (s *Store) Cohorts(ctx context.Context, coachID string) ([]Cohort, error) {
	var cs []Cohort
	q := s.DB.WithContext(ctx).Order("start_date DESC, name")
	if coachID != "" {
		q = q.Where("coach_id = ?", coachID)
	}
	err := q.Find(&cs).Error
	return cs, err
}

// Cohort finds one cohort.
func (s *Store) Cohort(ctx context.Context, id string) (Cohort, error) {
	var c Cohort
	err := s.DB.WithContext(ctx).First(&c, "id = ?", id).Error
	return c, notFound(err)
}

// AddMember puts an active participant in a cohort. A participant belongs
// to one cohort at a time. Group size is not refused here: a group grows one
// person at a time, and CohortView says what it still needs.
func (s *Store) AddMember(ctx context.Context, cohortID, participantID, joinedOn string) error {
	if _, ok := parseDate(joinedOn); !ok {
		return &ValidationError{Field: "joined_on", Msg: "must be a date as YYYY-MM-DD"}
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Cohort
		if err := tx.First(&c, "id = ?", cohortID).Error; err != nil {
			return notFound(err)
		}
		if c.ClosedOn != "" {
			return &ValidationError{Field: "cohort", Msg: "has closed"}
		}
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return &ValidationError{Field: "participant_id", Msg: "is not a participant at this site"}
		}
		if p.WithdrawnAt != nil {
			return &ValidationError{Field: "participant_id", Msg: p.FirstName + " " + p.LastName + " has withdrawn"}
		}
		var other []string
		if err := tx.Model(&CohortMember{}).Where("participant_id = ? AND left_on = ''", participantID).Pluck("cohort_id", &other).Error; err != nil {
			return err
		}
		if len(other) > 0 {
			if other[0] == cohortID {
				return &ValidationError{Field: "participant_id", Msg: "is already in this cohort"}
			}
			return &ValidationError{Field: "participant_id", Msg: "is in another cohort; move them from there first"}
		}
		if err := tx.Exec("DELETE FROM cohort_members WHERE cohort_id = ? AND participant_id = ?", cohortID, participantID).Error; err != nil {
			return err
		}
		if err := tx.Create(&CohortMember{CohortID: cohortID, ParticipantID: participantID, JoinedOn: joinedOn}).Error; err != nil {
			return err
		}
		return s.refreshOutcomes(tx, []string{participantID}, []string{cohortID})
	})
}

// RemoveMember ends a participant's membership of a cohort.
func (s *Store) RemoveMember(ctx context.Context, cohortID, participantID, leftOn string) error {
	if _, ok := parseDate(leftOn); !ok {
		return &ValidationError{Field: "left_on", Msg: "must be a date as YYYY-MM-DD"}
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&CohortMember{}).Where("cohort_id = ? AND participant_id = ? AND left_on = ''", cohortID, participantID).Update("left_on", leftOn)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return s.refreshOutcomes(tx, []string{participantID}, []string{cohortID})
	})
}

// CohortView is a cohort with everything its page shows.
type CohortView struct {
	Cohort       Cohort             `json:"cohort"`
	Coach        Coach              `json:"coach"`
	Members      []Participant      `json:"-"`
	MemberIDs    []string           `json:"member_ids"`
	Group        *rules.GroupAdvice `json:"group,omitempty"`
	ProgramMonth int                `json:"program_month"`
	Theme        string             `json:"theme,omitempty"`
}

// ViewCohort gathers a cohort, its coach and current members, where the
// cohort stands in the year and, for a Peer Partners group, whether its
// size works and what to do when it does not.
func (s *Store) ViewCohort(ctx context.Context, id string) (CohortView, error) {
	var v CohortView
	var err error
	if v.Cohort, err = s.Cohort(ctx, id); err != nil {
		return v, err
	}
	if v.Coach, err = s.Coach(ctx, v.Cohort.CoachID); err != nil {
		return v, err
	}
	err = s.DB.WithContext(ctx).Raw(`SELECT p.* FROM participants p JOIN cohort_members m ON m.participant_id = p.id
WHERE m.cohort_id = ? AND m.left_on = '' ORDER BY p.last_name, p.first_name`, id).Scan(&v.Members).Error
	if err != nil {
		return v, err
	}
	v.MemberIDs = make([]string, len(v.Members))
	for i, m := range v.Members {
		v.MemberIDs[i] = m.ID
	}
	rel, err := s.ActiveRelease(ctx)
	if err != nil {
		return v, err
	}
	if v.Cohort.Model == program.ModelPeerPartners {
		a := rules.CheckGroup(len(v.Members), rel.Groups)
		v.Group = &a
	}
	start, _ := parseDate(v.Cohort.StartDate)
	if !s.Now().Before(start) {
		v.ProgramMonth = rules.ProgramMonth(start, s.Now())
		if th, ok := rules.ThemeOf(rel, v.Cohort.Model, v.ProgramMonth); ok {
			v.Theme = th.Title
		}
	}
	return v, nil
}

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
	return s.DB.WithContext(ctx).Create(&AuditEntry{At: s.Now(), UserID: u.ID, UserName: u.Name, Action: action, SubjectType: subjectType, SubjectID: subjectID, Detail: detail}).Error
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

func newID() string { return uuid.NewString() }
