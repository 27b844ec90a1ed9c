package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/program"
)

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
	errs = append(errs, nameErrors(in.Name)...)
	if in.Model != program.ModelPeerPartners && in.Model != program.ModelSocialExplorations {
		errs = append(errs, ValidationError{Field: "model", Msg: "Choose Peer Partners or Social Explorations"})
	}
	if _, ok := parseDate(in.StartDate); !ok {
		errs = append(errs, ValidationError{Field: "start_date", Msg: "Enter a date such as 2026-03-04"})
	}
	if in.MeetingDay != "" && !weekdays[in.MeetingDay] {
		errs = append(errs, ValidationError{Field: "meeting_day", Msg: "Choose a day of the week"})
	}
	if in.MeetingTime != "" {
		if _, err := time.Parse("15:04", in.MeetingTime); err != nil {
			errs = append(errs, ValidationError{Field: "meeting_time", Msg: "Enter a time such as 18:30"})
		}
	}
	if in.Frequency == "" {
		in.Frequency = "weekly"
	}
	if in.Frequency != "weekly" && in.Frequency != "biweekly" {
		errs = append(errs, ValidationError{Field: "frequency", Msg: "Choose weekly or every two weeks"})
	}
	if len(in.Location) > 300 {
		errs = append(errs, ValidationError{Field: "location", Msg: "Use at most 300 characters"})
	}
	return errs
}

// AddCohort sets up a cohort led by a currently certified coach.
func (s *cohortStore) AddCohort(ctx context.Context, in CohortInput) (Cohort, error) {
	if errs := in.validate(); len(errs) > 0 {
		return Cohort{}, errs
	}
	now := s.st.Now()
	c := Cohort{ID: uuid.NewString(), Name: in.Name, Model: in.Model, StartDate: in.StartDate, CoachID: in.CoachID, MeetingDay: in.MeetingDay,
		MeetingTime: in.MeetingTime, Frequency: in.Frequency, Location: in.Location, MixedPairs: in.MixedPairs, SurrogateKey: uuid.NewString(), CreatedAt: now, UpdatedAt: now}
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.st.Coaches.checkLeader(tx, in.CoachID); err != nil {
			return err
		}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		return s.st.Outcomes.refreshCohort(tx, c.ID, s.st.Outbox.upstreamDay())
	})
	return c, err
}

// ChangeCohortCoach hands a cohort to another currently certified coach.
func (s *cohortStore) ChangeCohortCoach(ctx context.Context, cohortID, coachID string) error {
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Cohort
		if err := tx.First(&c, "id = ?", cohortID).Error; err != nil {
			return notFound(err)
		}
		if err := s.st.Coaches.checkLeader(tx, coachID); err != nil {
			return err
		}
		return tx.Model(&c).Updates(map[string]any{"coach_id": coachID, "updated_at": s.st.Now()}).Error
	})
}

// Cohorts lists cohorts, newest first; a coach's own only when coachID is set.
func (s *cohortStore) Cohorts(ctx context.Context, coachID string) ([]Cohort, error) {
	return keptList(s.st, "cohorts|"+coachID, func() ([]Cohort, error) {
		var cs []Cohort
		q := s.st.DB.WithContext(ctx).Order("start_date DESC, name")
		if coachID != "" {
			q = q.Where("coach_id = ?", coachID)
		}
		err := q.Find(&cs).Error
		return cs, err
	})
}

// Cohort finds one cohort.
func (s *cohortStore) Cohort(ctx context.Context, id string) (Cohort, error) {
	var c Cohort
	err := s.st.DB.WithContext(ctx).First(&c, "id = ?", id).Error
	return c, notFound(err)
}

// MemberOption changes how AddMember checks a new member.
type MemberOption int

// ConfirmYearEnded adds a participant whose program year has ended
// (completed) all the same: without it, AddMember refuses them with a
// field mistake on YearEndedField, for the person to confirm.
const ConfirmYearEnded MemberOption = 1

// YearEndedField is the field of the mistake AddMember answers for a
// participant whose program year has ended, unconfirmed.
const YearEndedField = "confirm_year_ended"

// AddMember puts an active participant in a cohort. A participant belongs
// to one cohort at a time. Group size is not refused here: a group grows one
// person at a time, and CohortView says what it still needs. A participant
// who would join after their program year ended (completed) is added only
// with ConfirmYearEnded.
func (s *cohortStore) AddMember(ctx context.Context, cohortID, participantID, joinedOn string, opts ...MemberOption) error {
	joined, ok := parseDate(joinedOn)
	if !ok {
		return &ValidationError{Field: "joined_on", Msg: "Enter a date such as 2026-03-04"}
	}
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Cohort
		if err := tx.First(&c, "id = ?", cohortID).Error; err != nil {
			return notFound(err)
		}
		if c.ClosedOn != "" {
			return &ValidationError{Field: "cohort", Msg: "The cohort has closed: choose a cohort that is running"}
		}
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return &ValidationError{Field: "participant_id", Msg: "Choose a participant at this site"}
		}
		if p.WithdrawnAt != nil {
			return &ValidationError{Field: "participant_id", Msg: p.FirstName + " " + p.LastName + " has withdrawn, so they cannot join a cohort"}
		}
		var other []string
		if err := tx.Model(&CohortMember{}).Where("participant_id = ? AND left_on = ''", participantID).Pluck("cohort_id", &other).Error; err != nil {
			return err
		}
		if len(other) > 0 {
			if other[0] == cohortID {
				return &ValidationError{Field: "participant_id", Msg: "Choose someone who is not in this cohort yet"}
			}
			return &ValidationError{Field: "participant_id", Msg: "Take them out of their other cohort first"}
		}
		if joinedOn < p.EnrolledOn {
			return &ValidationError{Field: "joined_on", Msg: "This day is before " + p.FirstName + " " + p.LastName + " enrolled on " + inWords(p.EnrolledOn) + ": enter that day or a later one"}
		}
		if err := yearEnded(p, joined, slices.Contains(opts, ConfirmYearEnded)); err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM cohort_members WHERE cohort_id = ? AND participant_id = ?", cohortID, participantID).Error; err != nil {
			return err
		}
		if err := tx.Create(&CohortMember{CohortID: cohortID, ParticipantID: participantID, JoinedOn: joinedOn}).Error; err != nil {
			return err
		}
		return s.st.Outcomes.refreshOutcomes(tx, []string{participantID}, []string{cohortID})
	})
}

// yearEnded refuses, unless confirmed, a participant who would join after
// their program year ended. A membership that starts within the year
// (recorded afterwards) needs no confirmation.
func yearEnded(p Participant, joined time.Time, confirmed bool) error {
	enrolled, ok := parseDate(p.EnrolledOn)
	if !ok || confirmed {
		return nil
	}
	end := rules.YearEnd(enrolled)
	if !joined.After(end) {
		return nil
	}
	return &ValidationError{Field: YearEndedField, Msg: p.FirstName + " " + p.LastName + "'s program year ended on " + end.Format(dayWords) +
		" (completed). Confirm to add them to this cohort all the same"}
}

// RemoveMember ends a participant's membership of a cohort: leftOn is
// their first day out of it. It cannot be in the future (a departure is
// recorded once it has happened: it makes them "ended early" at once) nor
// before they joined.
func (s *cohortStore) RemoveMember(ctx context.Context, cohortID, participantID, leftOn string) error {
	left, ok := parseDate(leftOn)
	if !ok {
		return &ValidationError{Field: "left_on", Msg: "Enter a date such as 2026-03-04"}
	}
	if left.After(s.st.Pairs.today()) {
		return &ValidationError{Field: "left_on", Msg: "The day they left cannot be in the future: record that they left once they have, on the day they left (at the latest today, " +
			s.st.Pairs.today().Format(dayWords) + ")"}
	}
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var m CohortMember
		if err := tx.Where("cohort_id = ? AND participant_id = ? AND left_on = ''", cohortID, participantID).First(&m).Error; err != nil {
			return notFound(err)
		}
		if leftOn < m.JoinedOn {
			return &ValidationError{Field: "left_on", Msg: "This day is before they joined the cohort on " + inWords(m.JoinedOn) + ": enter that day or a later one"}
		}
		if err := tx.Model(&CohortMember{}).Where("cohort_id = ? AND participant_id = ? AND left_on = ''", cohortID, participantID).Update("left_on", leftOn).Error; err != nil {
			return err
		}
		return s.st.Outcomes.refreshOutcomes(tx, []string{participantID}, []string{cohortID})
	})
}

// Departure is the last day a participant left a cohort on (YYYY-MM-DD),
// "" when they never left it.
func (s *cohortStore) Departure(ctx context.Context, cohortID, participantID string) (string, error) {
	var days []string
	err := s.st.DB.WithContext(ctx).Model(&CohortMember{}).Where("cohort_id = ? AND participant_id = ? AND left_on <> ''", cohortID, participantID).
		Order("left_on DESC").Limit(1).Pluck("left_on", &days).Error
	if len(days) == 0 {
		return "", err
	}
	return days[0], err
}

// Standing is where a participant stands today: their status as the list
// computes it, and the cohort they are in now (none: empty) with its
// coach, who leads them unless they chose a coach of their own.
type Standing struct {
	Status          string
	CohortID        string
	CohortName      string
	CohortCoachID   string
	CohortCoachName string
}

// StandingOf computes a participant's standing on the store's day.
func (s *cohortStore) StandingOf(ctx context.Context, p Participant) (Standing, error) {
	var st Standing
	err := s.st.DB.WithContext(ctx).Raw(`SELECT c.id AS cohort_id, c.name AS cohort_name, c.coach_id AS cohort_coach_id, COALESCE(k.name, '') AS cohort_coach_name
FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id LEFT JOIN coaches k ON k.id = c.coach_id
WHERE m.participant_id = ? AND m.left_on = '' LIMIT 1`, p.ID).Scan(&st).Error
	if err != nil {
		return st, err
	}
	var left int64
	if st.CohortID == "" {
		if err := s.st.DB.WithContext(ctx).Model(&CohortMember{}).Where("participant_id = ? AND left_on <> ''", p.ID).Count(&left).Error; err != nil {
			return st, err
		}
	}
	st.Status = rules.StatusActive
	if enrolled, ok := parseDate(p.EnrolledOn); ok {
		st.Status = rules.YearStatus(enrolled, p.WithdrawnAt != nil, left > 0, s.st.Now())
	}
	return st, nil
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
func (s *cohortStore) ViewCohort(ctx context.Context, id string) (CohortView, error) {
	var v CohortView
	var err error
	if v.Cohort, err = s.Cohort(ctx, id); err != nil {
		return v, err
	}
	if v.Coach, err = s.st.Coaches.Coach(ctx, v.Cohort.CoachID); err != nil {
		return v, err
	}
	err = s.st.DB.WithContext(ctx).Raw(`SELECT p.* FROM participants p JOIN cohort_members m ON m.participant_id = p.id
WHERE m.cohort_id = ? AND m.left_on = '' ORDER BY p.last_name, p.first_name`, id).Scan(&v.Members).Error
	if err != nil {
		return v, err
	}
	v.MemberIDs = make([]string, len(v.Members))
	for i, m := range v.Members {
		v.MemberIDs[i] = m.ID
	}
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return v, err
	}
	if v.Cohort.Model == program.ModelPeerPartners {
		a := rules.CheckGroup(len(v.Members), rel.Groups)
		v.Group = &a
	}
	start, _ := parseDate(v.Cohort.StartDate)
	if !s.st.Now().Before(start) {
		v.ProgramMonth = rules.ProgramMonth(start, s.st.Now())
		if th, ok := rules.ThemeOf(rel, v.Cohort.Model, v.ProgramMonth); ok {
			v.Theme = th.Title
		}
	}
	return v, nil
}
