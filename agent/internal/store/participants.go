package store

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/problem"
)

const dateLayout = "2006-01-02"

// dayWords is how a message people read names a day: "Tue 4 Mar 2025"
// (webui.Clock.Day's form).
const dayWords = "Mon 2 Jan 2006"

// inWords writes a YYYY-MM-DD date as dayWords; anything else as it is.
func inWords(s string) string {
	if t, ok := parseDate(s); ok {
		return t.Format(dayWords)
	}
	return s
}

// inMonthWords writes a YYYY-MM month for people ("June 2026"); anything
// else as it is.
func inMonthWords(s string) string {
	if m, ok := rules.ParseMonth(s); ok {
		return rules.MonthName(m)
	}
	return s
}

// ParticipantInput is what staff enter for a participant.
type ParticipantInput struct {
	FirstName  string `json:"first_name" form:"first_name"`
	LastName   string `json:"last_name" form:"last_name"`
	BirthDate  string `json:"birth_date" form:"birth_date"`
	Phone      string `json:"phone" form:"phone"`
	Email      string `json:"email" form:"email"`
	Address    string `json:"address" form:"address"`
	EnrolledOn string `json:"enrolled_on" form:"enrolled_on"`
	// The intake checklist (see rules.Eligibility) and consents.
	AgeOverrideReason        string `json:"age_override_reason" form:"age_override_reason"`
	InformedConsent          bool   `json:"informed_consent" form:"informed_consent"`
	ManagesFinances          bool   `json:"manages_finances" form:"manages_finances"`
	SetsGoals                bool   `json:"sets_goals" form:"sets_goals"`
	AcceptsResponsibilities  bool   `json:"accepts_responsibilities" form:"accepts_responsibilities"`
	AgreementSignedOn        string `json:"agreement_signed_on" form:"agreement_signed_on"`
	HospitalizationConsentOn string `json:"hospitalization_consent_on" form:"hospitalization_consent_on"`
	// CoachID is the participant's coach: the one they chose after meeting
	// the coaches (Social Explorations), or the coach who took them in.
	CoachID string `json:"coach_id" form:"coach_id"`
}

// ValidationErrors are several field mistakes at once (problem.Invalids).
type ValidationErrors = problem.Invalids

// required checks a text that must be given, of at most max characters:
// msg says what to enter when it is empty.
func required(v, field, msg string, maxChars int) ValidationErrors {
	if v == "" {
		return ValidationErrors{{Field: field, Msg: fmt.Sprintf("%s (at most %d characters)", msg, maxChars)}}
	}
	return atMost(v, field, maxChars)
}

// atMost checks a text is at most max characters long.
func atMost(v, field string, maxChars int) ValidationErrors {
	if n := utf8.RuneCountInString(v); n > maxChars {
		return ValidationErrors{{Field: field, Msg: fmt.Sprintf("Use at most %d characters: this has %d", maxChars, n)}}
	}
	return nil
}

func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(dateLayout, strings.TrimSpace(s))
	return t, err == nil
}

func (in *ParticipantInput) validate(today time.Time) error {
	var errs ValidationErrors
	in.FirstName, in.LastName = strings.TrimSpace(in.FirstName), strings.TrimSpace(in.LastName)
	in.Email, in.Phone, in.Address = strings.TrimSpace(in.Email), strings.TrimSpace(in.Phone), strings.TrimSpace(in.Address)
	errs = append(errs, required(in.FirstName, "first_name", "Enter the first name", 100)...)
	errs = append(errs, required(in.LastName, "last_name", "Enter the last name", 100)...)
	birth, ok := parseDate(in.BirthDate)
	if !ok {
		errs = append(errs, ValidationError{Field: "birth_date", Msg: "Enter the date of birth as YYYY-MM-DD"})
	} else if birth.After(today) || birth.Year() < 1900 {
		errs = append(errs, ValidationError{Field: "birth_date", Msg: "Enter a date of birth from 1900 up to today"})
		birth = time.Time{}
	}
	enrolled, ok := parseDate(in.EnrolledOn)
	if !ok {
		errs = append(errs, ValidationError{Field: "enrolled_on", Msg: "Enter the enrollment date as YYYY-MM-DD"})
	} else if enrolled.After(today.AddDate(0, 0, 31)) || enrolled.Year() < 2000 {
		errs = append(errs, ValidationError{Field: "enrolled_on", Msg: "Enter an enrollment date from 2000 up to a month ahead"})
		enrolled = time.Time{}
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
			errs = append(errs, ValidationError{Field: "email", Msg: "Enter an email address such as name@example.org, or leave it empty"})
		}
	}
	errs = append(errs, atMost(in.Phone, "phone", 40)...)
	errs = append(errs, atMost(in.Email, "email", 200)...)
	errs = append(errs, atMost(in.Address, "address", 300)...)
	in.AgeOverrideReason = strings.TrimSpace(in.AgeOverrideReason)
	errs = append(errs, atMost(in.AgeOverrideReason, "age_override_reason", 500)...)
	signed, ok := parseDate(in.AgreementSignedOn)
	switch {
	case !ok:
		errs = append(errs, ValidationError{Field: "agreement_signed_on", Msg: "Enter the date the enrollment agreement was signed, as YYYY-MM-DD"})
	case signed.After(today):
		errs = append(errs, ValidationError{Field: "agreement_signed_on", Msg: "Enter the date the agreement was signed: it cannot be in the future"})
	default:
		errs = append(errs, notBefore("agreement_signed_on", "Enter the date the agreement was signed", signed, birth)...)
	}
	if in.HospitalizationConsentOn != "" {
		if d, ok := parseDate(in.HospitalizationConsentOn); !ok || d.After(today) {
			errs = append(errs, ValidationError{Field: "hospitalization_consent_on", Msg: "Enter the date the consent was given (not in the future), as YYYY-MM-DD, or leave it empty"})
		} else {
			errs = append(errs, notBefore("hospitalization_consent_on", "Enter the date the consent was given", d, birth)...)
		}
	}
	// The checklist is checked whatever the dates; the age only with both
	// (a date refused above is zero).
	for _, p := range (rules.Eligibility{BirthDate: birth, IntakeDate: enrolled, AgeOverrideReason: in.AgeOverrideReason, InformedConsent: in.InformedConsent,
		ManagesFinances: in.ManagesFinances, SetsGoals: in.SetsGoals, AcceptsResponsibilities: in.AcceptsResponsibilities}).Check() {
		errs = append(errs, ValidationError{Field: p.Field, Msg: p.Detail})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// notBefore refuses a date that cannot be true of a participant: before
// the program began (2000, as enrollments) or before their birth (when
// known). what says what to enter.
func notBefore(field, what string, day, birth time.Time) ValidationErrors {
	switch {
	case !birth.IsZero() && day.Before(birth):
		return ValidationErrors{{Field: field, Msg: what + ": it cannot be before the date of birth, " + birth.Format(dayWords)}}
	case day.Year() < 2000:
		return ValidationErrors{{Field: field, Msg: what + ": it cannot be before 2000"}}
	}
	return nil
}

// apply copies the input onto a participant.
func (in ParticipantInput) apply(p *Participant) {
	p.FirstName, p.LastName, p.BirthDate, p.Phone, p.Email, p.Address, p.EnrolledOn = in.FirstName, in.LastName, in.BirthDate, in.Phone, in.Email, in.Address, in.EnrolledOn
	p.AgeOverrideReason, p.InformedConsent, p.ManagesFinances, p.SetsGoals, p.AcceptsResponsibilities = in.AgeOverrideReason, in.InformedConsent, in.ManagesFinances, in.SetsGoals, in.AcceptsResponsibilities
	p.AgreementSignedOn, p.HospitalizationConsentOn, p.CoachID = in.AgreementSignedOn, in.HospitalizationConsentOn, in.CoachID
}

// checkCoach refuses a coach id that names no coach of the site.
func checkCoach(tx *gorm.DB, id string) error {
	if id == "" {
		return nil
	}
	var n int64
	if err := tx.Model(&Coach{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return &ValidationError{Field: "coach_id", Msg: "Choose one of the site's coaches, or none"}
	}
	return nil
}

// check validates an intake and its coach together, so a form shows every
// mistake at once (the transaction checks the coach again).
func (s *participantStore) check(ctx context.Context, in *ParticipantInput, now time.Time) error {
	err := in.validate(now)
	cerr := checkCoach(s.st.DB.WithContext(ctx), in.CoachID)
	cves, ok := problem.Fields(cerr)
	if cerr != nil && !ok {
		return cerr
	}
	if cerr == nil {
		return err
	}
	ves, _ := problem.Fields(err)
	return append(ves, cves...)
}

// AddParticipant records a new participant and queues their de-identified
// record, in one transaction.
func (s *participantStore) AddParticipant(ctx context.Context, in ParticipantInput) (Participant, error) {
	now := s.st.Now()
	if err := s.check(ctx, &in, now); err != nil {
		return Participant{}, err
	}
	var p Participant
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Checked in the write transaction, so two adds of one person at
		// once cannot both pass.
		dup, err := alreadyAtSite(tx, in.FirstName, in.LastName, in.BirthDate)
		if err != nil {
			return err
		}
		if dup {
			return &ValidationError{Field: "last_name", Msg: AlreadyAtSiteMsg}
		}
		p, err = s.addParticipant(tx, in, now)
		return err
	})
	return p, err
}

// AlreadyAtSiteMsg is the intake's refusal of a person already at the site.
const AlreadyAtSiteMsg = "This person is already at the site (the same first name, last name and date of birth): open their record rather than adding them again"

// IsAlreadyAtSite says whether err is the intake's refusal of a person
// already at the site.
func IsAlreadyAtSite(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve) && ve.Msg == AlreadyAtSiteMsg
}

// alreadyAtSite says whether a participant of the site (withdrawn or not)
// has these first and last names, in any case, and this birth date: the
// same person, refused by the intake and the CSV import alike.
func alreadyAtSite(tx *gorm.DB, first, last, birth string) (bool, error) {
	var n int64
	err := tx.Model(&Participant{}).Where("lower(first_name) = lower(?) AND lower(last_name) = lower(?) AND birth_date = ?", first, last, birth).Count(&n).Error
	return n > 0, err
}

// addParticipant writes a validated participant and their outbox record in
// the caller's transaction.
func (s *participantStore) addParticipant(tx *gorm.DB, in ParticipantInput, now time.Time) (Participant, error) {
	p, err := s.insertParticipant(tx, in, now)
	if err != nil {
		return p, err
	}
	return p, s.st.Outcomes.refreshOutcomes(tx, []string{p.ID}, nil)
}

// insertParticipant writes a validated participant in the caller's
// transaction, leaving the outbox to the caller.
func (s *participantStore) insertParticipant(tx *gorm.DB, in ParticipantInput, now time.Time) (Participant, error) {
	p := Participant{ID: deident.NewRecordID(now), SurrogateKey: deident.NewSurrogateKey(), CreatedAt: now, UpdatedAt: now}
	in.apply(&p)
	if err := checkCoach(tx, p.CoachID); err != nil {
		return p, err
	}
	return p, tx.Create(&p).Error
}

// UpdateParticipant corrects a participant's intake details, and records
// each field changed, with who changed it (by), in their history.
func (s *participantStore) UpdateParticipant(ctx context.Context, id string, in ParticipantInput, by User) (Participant, error) {
	if err := s.check(ctx, &in, s.st.Now()); err != nil {
		return Participant{}, err
	}
	var p Participant
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&p, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if p.WithdrawnAt != nil {
			return &ValidationError{Field: "participant", Msg: "The participant has withdrawn, so their record cannot be changed"}
		}
		if err := checkCoach(tx, in.CoachID); err != nil {
			return err
		}
		before := p
		in.apply(&p)
		if p == before {
			return nil
		}
		p.UpdatedAt = s.st.Now()
		if err := tx.Save(&p).Error; err != nil {
			return err
		}
		if err := recordChanges(tx, before, p, by, p.UpdatedAt); err != nil {
			return err
		}
		return s.st.Outcomes.refreshOutcomes(tx, []string{p.ID}, nil)
	})
	return p, err
}

// Withdraw records a voluntary withdrawal. The participant's records stay at
// the site; their de-identified records are deleted upstream at the next sync.
func (s *participantStore) Withdraw(ctx context.Context, id string) error {
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if p.WithdrawnAt != nil {
			return nil
		}
		now := s.st.Now()
		if err := tx.Model(&p).Updates(map[string]any{"withdrawn_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		cohorts, err := cohortsOf(tx, p.ID)
		if err != nil {
			return err
		}
		return s.st.Outcomes.refreshOutcomes(tx, []string{p.ID}, cohorts)
	})
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// Participants lists participants, newest first.
func (s *participantStore) Participants(ctx context.Context) ([]Participant, error) {
	var ps []Participant
	err := s.st.DB.WithContext(ctx).Order("last_name, first_name").Find(&ps).Error
	return ps, err
}

// Participant finds one participant.
func (s *participantStore) Participant(ctx context.Context, id string) (Participant, error) {
	var p Participant
	err := s.st.DB.WithContext(ctx).First(&p, "id = ?", id).Error
	return p, notFound(err)
}

// refreshUpstream recomputes the de-identified records of a participant
// after a change that cannot alter how they are described (see
// refreshRecords) and writes any change to the outbox, in the caller's
// transaction.
func (s *participantStore) refreshUpstream(tx *gorm.DB, participantID string) error {
	return s.st.Outcomes.refreshRecords(tx, []string{participantID}, nil)
}

// refreshPerson recomputes the de-identified records of a participant and
// their interviews as of day, described as site says, and writes any
// change to the outbox. This is the only place that decides what leaves
// the site about a participant.
func (s *participantStore) refreshPerson(tx *gorm.DB, participantID string, site map[string]deident.Disclosure, day time.Time) error {
	var p Participant
	if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
		return err
	}
	var ivs []POMInterview
	if err := tx.Find(&ivs, "participant_id = ?", participantID).Error; err != nil {
		return err
	}
	now := s.st.Now()
	d, ok := site[p.ID]
	if p.WithdrawnAt != nil || !ok || d.Withheld {
		// Withdrawn, not enrolled by day, or withheld: nothing upstream.
		if err := putTombstone(tx, now, p.ID, contract.TypeParticipant); err != nil {
			return err
		}
		for _, iv := range ivs {
			if err := putTombstone(tx, now, iv.ID, contract.TypePOMInterview); err != nil {
				return err
			}
		}
		for _, kind := range []string{kindHospitalization, kindParticipation} {
			if err := dropUpstream(tx, now, p.ID, kind, nil); err != nil {
				return err
			}
		}
		return nil
	}
	enrolled, _ := parseDate(p.EnrolledOn)
	if err := putRecord(tx, now, p.ID, contract.TypeParticipant, contract.Participant{Key: p.SurrogateKey, EnrollmentYear: enrolled.Year(), AgeBand: d.Band, Model: d.Model}); err != nil {
		return err
	}
	for _, iv := range ivs {
		ivDay, _ := parseDate(iv.InterviewedOn)
		if ivDay.After(day) {
			// Not yet: it leaves on the first of the next month.
			if err := putTombstone(tx, now, iv.ID, contract.TypePOMInterview); err != nil {
				return err
			}
			continue
		}
		payload := contract.POMInterview{ParticipantKey: p.SurrogateKey, EnrollmentYear: enrolled.Year(), AgeBand: d.Band, Model: d.Model, Timepoint: iv.Timepoint,
			ProgramMonth: deident.CalendarMonth(enrolled, ivDay), Release: iv.Release}
		if err := s.askedOnly(tx, iv, &payload); err != nil {
			return err
		}
		if len(payload.Answers)+len(payload.Unanswered) == 0 {
			// Nothing the release names was recorded: nothing to send.
			if err := putTombstone(tx, now, iv.ID, contract.TypePOMInterview); err != nil {
				return err
			}
			continue
		}
		if err := payload.Validate(); err != nil {
			return fmt.Errorf("de-identified interview %s: %w", iv.ID, err)
		}
		if err := putRecord(tx, now, iv.ID, contract.TypePOMInterview, payload); err != nil {
			return err
		}
	}
	pp := upstreamPerson{p: p, enrolled: enrolled, band: d.Band, model: d.Model, day: day}
	if err := s.st.Outcomes.refreshHospitalization(tx, now, pp); err != nil {
		return err
	}
	return s.st.Outcomes.refreshParticipation(tx, now, pp)
}
