package store

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/program"
)

// Choices of an indicator at an interview, as the form, the API and the
// CSV import name them: answered present or not present, or left
// unanswered (contract.NotAsked, contract.Declined), which counts in no n.
const (
	ChoicePresent = "present"
	ChoiceAbsent  = "absent"
)

// InterviewChoices lists the four choices of an indicator.
var InterviewChoices = []string{ChoicePresent, ChoiceAbsent, contract.NotAsked, contract.Declined}

// InterviewInput is a POM interview as staff record it: each indicator
// the release names (program.Release.Asked) either answered (Answers:
// true when the outcome is present) or left unanswered, with why
// (Unanswered: contract.NotAsked or contract.Declined).
type InterviewInput struct {
	InterviewedOn string            `json:"interviewed_on"`
	Answers       map[string]bool   `json:"answers"`
	Unanswered    map[string]string `json:"unanswered"`
	Notes         string            `json:"notes"`
}

// SetChoice records an indicator's choice (one of InterviewChoices) in
// the input; false for a choice that is not one of them.
func (in *InterviewInput) SetChoice(code, choice string) bool {
	if in.Answers == nil {
		in.Answers = map[string]bool{}
	}
	if in.Unanswered == nil {
		in.Unanswered = map[string]string{}
	}
	switch choice {
	case ChoicePresent, ChoiceAbsent:
		in.Answers[code] = choice == ChoicePresent
	case contract.NotAsked, contract.Declined:
		in.Unanswered[code] = choice
	default:
		return false
	}
	return true
}

// maxInterviewCodes bounds the indicators an interview may carry: the
// contract's bound, far above any release.
const maxInterviewCodes = 40

// validateAnswers checks an interview's indicators against the release:
// every indicator it names answered or left unanswered (once), no other
// code, and no indicator the release does not name (the unnamed
// placeholder is not asked until a release names it).
func validateAnswers(rel program.Release, in InterviewInput) ValidationErrors {
	var errs ValidationErrors
	if len(in.Answers)+len(in.Unanswered) > maxInterviewCodes {
		return ValidationErrors{{Field: "answers", Msg: "The answers hold more indicators than any release has: send one answer per indicator of the release"}}
	}
	for _, it := range rel.Asked() {
		_, answered := in.Answers[it.Code]
		_, left := in.Unanswered[it.Code]
		switch {
		case answered && left:
			errs = append(errs, ValidationError{Field: "answers." + it.Code, Msg: "Choose one answer for \u201c" + it.Text + "\u201d: it was both answered and left unanswered"})
		case !answered && !left:
			errs = append(errs, ValidationError{Field: "answers." + it.Code, Msg: "Choose present, not present, not asked or declined for \u201c" + it.Text + "\u201d"})
		}
	}
	codes := make([]string, 0, len(in.Answers)+len(in.Unanswered))
	for code := range in.Answers {
		codes = append(codes, code)
	}
	for code, why := range in.Unanswered {
		codes = append(codes, code)
		if why != contract.NotAsked && why != contract.Declined && contract.ValidCode(code) {
			errs = append(errs, ValidationError{Field: "unanswered." + code, Msg: "Choose " + contract.NotAsked + " or " + contract.Declined})
		}
	}
	slices.Sort(codes)
	for _, code := range slices.Compact(codes) {
		if e, bad := unaskedCode(rel, code); bad {
			errs = append(errs, e)
		}
	}
	return errs
}

// CheckAnswers checks an interview's indicators against the release as
// RecordInterview does, without recording anything.
func CheckAnswers(rel program.Release, in InterviewInput) ValidationErrors {
	return validateAnswers(rel, in)
}

// unaskedCode is the error of a code an interview may not carry.
func unaskedCode(rel program.Release, code string) (ValidationError, bool) {
	if !contract.ValidCode(code) {
		return ValidationError{Field: "answers", Msg: "The answers hold a key that is not an indicator code: use the codes of the release's indicators"}, true
	}
	it, known := rel.Indicator(code)
	switch {
	case !known:
		return ValidationError{Field: "answers." + code, Msg: "This answer is to an indicator release " + rel.Version + " does not have: reload the page and answer the indicators it shows"}, true
	case !it.Named():
		return ValidationError{Field: "answers." + code, Msg: "This indicator is not asked: release " + rel.Version + " does not name it yet, so it cannot be answered or left unanswered until a release names it"}, true
	}
	return ValidationError{}, false
}

// RecordInterview records or corrects the participant's interview at a
// timepoint. Every indicator the site's release names must be answered or
// left unanswered (not asked, declined).
func (s *participantStore) RecordInterview(ctx context.Context, participantID, timepoint string, in InterviewInput) (POMInterview, error) {
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return POMInterview{}, err
	}
	if errs := s.checkInterview(rel, timepoint, in); len(errs) > 0 {
		return POMInterview{}, errs
	}
	var iv POMInterview
	err = s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		iv, err = s.saveInterview(tx, rel, participantID, timepoint, in)
		if err != nil {
			return err
		}
		return s.refreshUpstream(tx, participantID)
	})
	return iv, err
}

// saveInterview writes a checked interview in the caller's transaction;
// the caller refreshes the participant's records upstream.
func (s *participantStore) saveInterview(tx *gorm.DB, rel program.Release, participantID, timepoint string, in InterviewInput) (POMInterview, error) {
	var iv POMInterview
	var p Participant
	if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
		return iv, notFound(err)
	}
	if p.WithdrawnAt != nil {
		return iv, &ValidationError{Field: "participant", Msg: "The participant has withdrawn, so no interviews can be recorded"}
	}
	day, _ := parseDate(in.InterviewedOn)
	if enrolled, _ := parseDate(p.EnrolledOn); timepoint != contract.TimepointEligibility && day.Before(enrolled) {
		return iv, &ValidationError{Field: "interviewed_on", Msg: "Enter a day on or after the enrollment on " + inWords(p.EnrolledOn)}
	}
	if birth, ok := parseDate(p.BirthDate); ok {
		if errs := notBefore("interviewed_on", "Enter the day of the interview", day, birth); len(errs) > 0 {
			return iv, errs
		}
	}
	now := s.st.Now()
	if err := tx.Limit(1).Find(&iv, "participant_id = ? AND timepoint = ?", participantID, timepoint).Error; err != nil {
		return iv, err
	}
	if iv.ID == "" {
		iv = POMInterview{ID: deident.NewRecordID(now), ParticipantID: participantID, Timepoint: timepoint, CreatedAt: now}
	}
	if in.Answers == nil {
		in.Answers = map[string]bool{}
	}
	if in.Unanswered == nil {
		in.Unanswered = map[string]string{}
	}
	iv.InterviewedOn, iv.Release, iv.Notes, iv.UpdatedAt = in.InterviewedOn, rel.Version, in.Notes, now
	iv.Answers, iv.Unanswered = mustJSON(in.Answers), mustJSON(in.Unanswered)
	return iv, tx.Save(&iv).Error
}

// checkInterview checks everything of an interview but the participant.
func (s *participantStore) checkInterview(rel program.Release, timepoint string, in InterviewInput) ValidationErrors {
	var errs ValidationErrors
	if !slices.Contains(contract.Timepoints, timepoint) {
		errs = append(errs, ValidationError{Field: "timepoint", Msg: "Choose one of " + strings.Join(contract.Timepoints, ", ")})
	}
	day, ok := parseDate(in.InterviewedOn)
	if !ok {
		errs = append(errs, ValidationError{Field: "interviewed_on", Msg: "Enter a date such as 2026-03-04"})
	} else if day.After(s.st.Now().AddDate(0, 0, 1)) {
		errs = append(errs, ValidationError{Field: "interviewed_on", Msg: "Enter a day no later than today"})
	}
	errs = append(errs, validateAnswers(rel, in)...)
	if len(in.Notes) > 4000 {
		errs = append(errs, ValidationError{Field: "notes", Msg: "Use at most 4000 characters"})
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return errs
}

// Interviews lists a participant's interviews by timepoint.
func (s *participantStore) Interviews(ctx context.Context, participantID string) (map[string]POMInterview, error) {
	var ivs []POMInterview
	if err := s.st.DB.WithContext(ctx).Find(&ivs, "participant_id = ?", participantID).Error; err != nil {
		return nil, err
	}
	out := map[string]POMInterview{}
	for _, iv := range ivs {
		out[iv.Timepoint] = iv
	}
	return out, nil
}

// AnswersOf decodes an interview's answers.
func (iv POMInterview) AnswersOf() map[string]bool {
	m := map[string]bool{}
	_ = json.Unmarshal([]byte(iv.Answers), &m)
	return m
}

// UnansweredOf decodes the indicators an interview left unanswered, and
// why.
func (iv POMInterview) UnansweredOf() map[string]string {
	m := map[string]string{}
	if iv.Unanswered != "" {
		_ = json.Unmarshal([]byte(iv.Unanswered), &m)
	}
	return m
}

// ChoicesOf is each indicator's choice at the interview (one of
// InterviewChoices).
func (iv POMInterview) ChoicesOf() map[string]string {
	out := iv.UnansweredOf()
	for code, a := range iv.AnswersOf() {
		out[code] = ChoiceAbsent
		if a {
			out[code] = ChoicePresent
		}
	}
	return out
}

// releaseOf is the release an interview was recorded under: one the site
// received, the built-in first release, or (for a release the site no
// longer holds) the one it runs.
func (s *Store) releaseOf(db *gorm.DB, version string) (program.Release, error) {
	if def := program.Default(); version == def.Version {
		return def, nil
	}
	if rel, ok := s.releases.Load(version); ok {
		return rel.(program.Release), nil
	}
	var r Release
	if err := db.Limit(1).Find(&r, "version = ?", version).Error; err != nil {
		return program.Release{}, err
	}
	if r.Version == "" {
		return s.releaseIn(db)
	}
	rel, err := program.ParseReceived([]byte(r.Content))
	if err != nil {
		return rel, err
	}
	s.releases.Store(version, rel)
	return rel, nil
}

// askedOnly fills an interview's upstream answers with the indicators its
// release names: an indicator the release leaves unnamed never leaves the
// site, whatever an older version of the agent stored.
func (s *participantStore) askedOnly(tx *gorm.DB, iv POMInterview, p *contract.POMInterview) error {
	rel, err := s.st.releaseOf(tx, iv.Release)
	if err != nil {
		return err
	}
	p.Answers = map[string]bool{}
	for code, a := range iv.AnswersOf() {
		if _, ok := rel.AskedIndicator(code); ok {
			p.Answers[code] = a
		}
	}
	for code, why := range iv.UnansweredOf() {
		if _, ok := rel.AskedIndicator(code); ok && (why == contract.NotAsked || why == contract.Declined) {
			if _, both := p.Answers[code]; !both {
				if p.Unanswered == nil {
					p.Unanswered = map[string]string{}
				}
				p.Unanswered[code] = why
			}
		}
	}
	return nil
}
