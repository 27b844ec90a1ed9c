package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
)

// ErrNoHospitalizationConsent refuses hospitalization data for a
// participant who did not consent at intake to have it recorded.
var ErrNoHospitalizationConsent = &ValidationError{Field: "hospitalization_consent_on", Msg: "The participant did not consent at intake to have hospitalizations recorded: nothing about hospitalizations or other services can be kept without that consent. Record their consent on the intake page first"}

// HospitalStay is one hospitalization during the program. The date stays
// at the site; upstream only its program month (a calendar month counted
// from the month of enrollment) travels.
type HospitalStay struct {
	ID            string    `json:"id"`
	ParticipantID string    `json:"-"`
	AdmittedOn    string    `json:"admitted_on"`
	CreatedAt     time.Time `json:"-"`
}

// ServiceChange is a change in another service the participant receives.
type ServiceChange struct {
	ID            string    `json:"id"`
	ParticipantID string    `json:"-"`
	Service       string    `json:"service"`
	Change        string    `json:"change"`
	ChangedOn     string    `json:"changed_on"`
	CreatedAt     time.Time `json:"-"`
}

// Hospitalizations is what the site holds about a participant's
// hospitalizations and other services.
type Hospitalizations struct {
	Consented bool `json:"consented"`
	// BeforeCount is the count in the two years before enrollment, nil
	// until recorded.
	BeforeCount    *int            `json:"before_count"`
	Stays          []HospitalStay  `json:"stays"`
	ServiceChanges []ServiceChange `json:"service_changes"`
}

// consenting finds an active participant who consented to hospitalization
// records.
func consenting(tx *gorm.DB, participantID string) (Participant, error) {
	p, err := activeParticipant(tx, participantID, "hospitalizations")
	if err != nil {
		return p, err
	}
	if p.HospitalizationConsentOn == "" {
		return p, ErrNoHospitalizationConsent
	}
	return p, nil
}

// inProgram checks a day lies in the participant's program year, up to today.
func (s *outcomeStore) inProgram(field, day string, p Participant) error {
	d, ok := parseDate(day)
	if !ok {
		return &ValidationError{Field: field, Msg: "Enter a date such as 2026-03-04"}
	}
	enrolled, _ := parseDate(p.EnrolledOn)
	end := enrolled.AddDate(0, rules.JournalYear, -1)
	switch {
	case d.After(s.st.Pairs.today()):
		return &ValidationError{Field: field, Msg: "Enter a day no later than today"}
	case d.Before(enrolled) || d.After(end):
		return &ValidationError{Field: field, Msg: "Enter a day in the program year, " + inWords(p.EnrolledOn) + " to " + end.Format(dayWords) + " (hospitalizations before enrollment are the count in the two years before)"}
	}
	return nil
}

// SetHospitalizationsBefore records the count of hospitalizations in the
// two years before enrollment.
func (s *outcomeStore) SetHospitalizationsBefore(ctx context.Context, participantID string, count int) error {
	if count < 0 || count > 1000 {
		return &ValidationError{Field: "before_count", Msg: "Enter a whole number from 0 to 1000"}
	}
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := consenting(tx, participantID); err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO hospitalization_baselines (participant_id, before_count, updated_at) VALUES (?,?,?)
ON CONFLICT (participant_id) DO UPDATE SET before_count = excluded.before_count, updated_at = excluded.updated_at`, participantID, count, s.st.Now()).Error; err != nil {
			return err
		}
		return s.st.Participants.refreshUpstream(tx, participantID)
	})
}

// AddHospitalStay records a hospitalization during the program.
func (s *outcomeStore) AddHospitalStay(ctx context.Context, participantID, admittedOn string) (HospitalStay, error) {
	h := HospitalStay{ID: uuid.NewString(), ParticipantID: participantID, AdmittedOn: strings.TrimSpace(admittedOn), CreatedAt: s.st.Now()}
	return h, s.addHospitalRow(ctx, participantID, "hospital_stays", "admitted_on", h.AdmittedOn, nil, &h)
}

// DeleteHospitalStay removes a hospitalization recorded by mistake.
func (s *outcomeStore) DeleteHospitalStay(ctx context.Context, participantID, stayID string) error {
	return s.deleteHospitalRow(ctx, participantID, "hospital_stays", stayID)
}

// AddServiceChange records a change in another service.
func (s *outcomeStore) AddServiceChange(ctx context.Context, participantID string, in ServiceChange) (ServiceChange, error) {
	in.ID, in.ParticipantID, in.CreatedAt = uuid.NewString(), participantID, s.st.Now()
	in.Service, in.Change, in.ChangedOn = strings.TrimSpace(in.Service), strings.TrimSpace(in.Change), strings.TrimSpace(in.ChangedOn)
	var errs ValidationErrors
	if !slices.Contains(contract.Services, in.Service) {
		errs = append(errs, ValidationError{Field: "service", Msg: "Choose one of " + strings.Join(contract.Services, ", ")})
	}
	if !slices.Contains(contract.ServiceChangeKinds, in.Change) {
		errs = append(errs, ValidationError{Field: "change", Msg: "Choose one of " + strings.Join(contract.ServiceChangeKinds, ", ")})
	}
	return in, s.addHospitalRow(ctx, participantID, "service_changes", "changed_on", in.ChangedOn, errs, &in)
}

// addHospitalRow stores a hospitalization or service change of a
// consenting participant on a day of their program year, with the
// mistakes found before (errs) and those of the day reported together,
// and rewrites the participant's records.
func (s *outcomeStore) addHospitalRow(ctx context.Context, participantID, table, field, day string, errs ValidationErrors, row any) error {
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := consenting(tx, participantID)
		if err != nil {
			return err
		}
		var ve *ValidationError
		if err := s.inProgram(field, day, p); errors.As(err, &ve) {
			errs = append(errs, *ve)
		} else if err != nil {
			return err
		}
		if len(errs) > 0 {
			return errs
		}
		if err := underLimit(tx, table, participantID, field); err != nil {
			return err
		}
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		return s.st.Participants.refreshUpstream(tx, participantID)
	})
}

// DeleteServiceChange removes a service change recorded by mistake.
func (s *outcomeStore) DeleteServiceChange(ctx context.Context, participantID, changeID string) error {
	return s.deleteHospitalRow(ctx, participantID, "service_changes", changeID)
}

func (s *outcomeStore) deleteHospitalRow(ctx context.Context, participantID, table, id string) error {
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := consenting(tx, participantID); err != nil {
			return err
		}
		res := tx.Exec("DELETE FROM "+table+" WHERE id = ? AND participant_id = ?", id, participantID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return s.st.Participants.refreshUpstream(tx, participantID)
	})
}

// maxHospitalRows bounds the stays and the service changes of one
// participant (the contract's bound on service changes).
const maxHospitalRows = 100

func underLimit(tx *gorm.DB, table, participantID, field string) error {
	var n int64
	if err := tx.Table(table).Where("participant_id = ?", participantID).Count(&n).Error; err != nil {
		return err
	}
	if n >= maxHospitalRows {
		return &ValidationError{Field: field, Msg: "This participant already has 100 of these recorded, the most kept"}
	}
	return nil
}

// HospitalizationsOf reads a participant's hospitalization data.
func (s *outcomeStore) HospitalizationsOf(ctx context.Context, participantID string) (Hospitalizations, error) {
	return hospitalizationsOf(s.st.DB.WithContext(ctx), participantID)
}

func hospitalizationsOf(tx *gorm.DB, participantID string) (Hospitalizations, error) {
	h := Hospitalizations{Stays: []HospitalStay{}, ServiceChanges: []ServiceChange{}}
	var p Participant
	if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
		return h, notFound(err)
	}
	h.Consented = p.HospitalizationConsentOn != ""
	var counts []int
	if err := tx.Raw("SELECT before_count FROM hospitalization_baselines WHERE participant_id = ?", participantID).Scan(&counts).Error; err != nil {
		return h, err
	}
	if len(counts) == 1 {
		h.BeforeCount = &counts[0]
	}
	if err := tx.Where("participant_id = ?", participantID).Order("admitted_on, id").Find(&h.Stays).Error; err != nil {
		return h, err
	}
	err := tx.Where("participant_id = ?", participantID).Order("changed_on, id").Find(&h.ServiceChanges).Error
	return h, err
}

// refreshHospitalization writes the participant's hospitalization record
// as of pp.day: only with the consent and once the count before enrollment
// is recorded; otherwise any record sent before is deleted upstream. The
// count before enrollment is top-coded (3 means 3 or more).
func (s *outcomeStore) refreshHospitalization(tx *gorm.DB, now time.Time, pp upstreamPerson) error {
	h, err := hospitalizationsOf(tx, pp.p.ID)
	if err != nil {
		return err
	}
	if !h.Consented || h.BeforeCount == nil {
		return dropUpstream(tx, now, pp.p.ID, kindHospitalization, nil)
	}
	r := contract.Hospitalization{ParticipantKey: pp.p.SurrogateKey, EnrollmentYear: pp.enrolled.Year(), AgeBand: pp.band, Model: pp.model,
		BeforeCount: contract.TopCodeBefore(*h.BeforeCount), DuringMonths: []int{}, ServiceChanges: []contract.ServiceChange{},
		MonthsEnrolled: monthsBegun(pp.enrolled, pp.day)}
	// Program months upstream are calendar months from the month of
	// enrollment (deident.CalendarMonth), within the program year upstream:
	// a stay or change in the 13th calendar month, before the anniversary,
	// stays at the site.
	monthOf := func(day string) (int, bool) {
		d, ok := parseDate(day)
		if !ok || d.Before(pp.enrolled) || d.After(pp.day) {
			return 0, false
		}
		return deident.YearMonth(pp.enrolled, d)
	}
	for _, st := range h.Stays {
		if k, ok := monthOf(st.AdmittedOn); ok {
			r.DuringMonths = append(r.DuringMonths, k)
		}
	}
	slices.Sort(r.DuringMonths)
	for _, c := range h.ServiceChanges {
		if k, ok := monthOf(c.ChangedOn); ok {
			r.ServiceChanges = append(r.ServiceChanges, contract.ServiceChange{Service: c.Service, Change: c.Change, ProgramMonth: k})
		}
	}
	return putComputed(tx, now, pp.p.ID, kindHospitalization, 0, r)
}
