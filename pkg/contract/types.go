package contract

import (
	"fmt"
	json "github.com/goccy/go-json"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Record types. Each names a closed, de-identified payload below.
const (
	TypeParticipant  = "participant"
	TypePOMInterview = "pom_interview"
)

// Timepoints of a POM interview.
const (
	TimepointEligibility = "eligibility"
	TimepointMidpoint    = "midpoint"
	TimepointClosing     = "closing"
)

// Timepoints lists the interview timepoints in program order.
var Timepoints = []string{TimepointEligibility, TimepointMidpoint, TimepointClosing}

// AgeBands are the only ages that leave a site (Safe Harbor: over 89 is
// "90+", or within "65+" or "any"): the finest bands, then the coarser ones
// an agent sends where a finer band would describe fewer than the release's
// smallest group of participants (see deident.Generalize).
var AgeBands = []string{"under 18", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-89", "90+", "18-44", "45-64", "65+", "any"}

// Participant is the de-identified view of a participant: a random surrogate
// key made at enrollment, the enrollment year and an age band. Nothing else.
//
// Model is the program model of the participant's cohort ("" while they
// are in none); agents before it existed leave it out.
type Participant struct {
	Key            string `json:"key"`
	EnrollmentYear int    `json:"enrollment_year"`
	AgeBand        string `json:"age_band"`
	Model          string `json:"model,omitempty"`
}

// POMInterview is one Personal Outcome Measures interview, de-identified.
// ProgramMonth is the calendar month of the interview counted from the
// month of enrollment (that month is 1), never from the day: see Program
// months in docs/sync-protocol.md.
//
// Answers holds each indicator answered (true: the outcome is present).
// Unanswered holds each indicator the interview left without an answer,
// and why (NotAsked or Declined): it counts in no indicator's n, as
// present or absent. An indicator is in one of the two at most; agents
// before partial interviews leave Unanswered out.
type POMInterview struct {
	ParticipantKey string            `json:"participant_key"`
	EnrollmentYear int               `json:"enrollment_year"`
	AgeBand        string            `json:"age_band"`
	Model          string            `json:"model,omitempty"`
	Timepoint      string            `json:"timepoint"`
	ProgramMonth   int               `json:"program_month"`
	Release        string            `json:"release"`
	Answers        map[string]bool   `json:"answers"`
	Unanswered     map[string]string `json:"unanswered,omitempty"`
}

// Why an interview left an indicator unanswered.
const (
	// NotAsked: the interviewer did not ask it.
	NotAsked = "not_asked"
	// Declined: the participant chose not to answer.
	Declined = "declined"
)

// UnansweredReasons lists why an indicator may be left unanswered.
var UnansweredReasons = []string{NotAsked, Declined}

// ValidCode reports whether s is a well-formed stable code: 1 to 40 of
// a-z, 0-9 and _, not starting with _. (A loop, not a regexp: it runs for
// every answer of every record the hub receives.)
func ValidCode(s string) bool {
	if len(s) == 0 || len(s) > 40 || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// ValidRecordID reports whether s can name a record: a UUIDv7 in canonical
// form whose timestamp is 1 January 00:00 UTC of a year. A full UUIDv7
// timestamp would tell the hub when something happened at the site (see
// deident.NewRecordID), so the hub refuses it.
func ValidRecordID(s string) bool {
	u, ok := parseCanonical(s)
	if !ok || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
		return false
	}
	sec, nsec := u.Time().UnixTime()
	t := time.Unix(sec, nsec).UTC()
	return t.Year() >= 2000 && t.Year() <= 2100 && t.Equal(time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC))
}

// ValidKey reports whether s can be a random surrogate key an agent drew:
// a version 4 (random) UUID of the RFC 4122 variant, in canonical form. A
// key is the only string of a payload the hub cannot check against a list,
// so it must at least look like what an agent's generator makes; its 122
// random bits still could carry text a malicious site chose, which no check
// of a random value can tell (docs/privacy.md).
func ValidKey(s string) bool {
	u, ok := parseCanonical(s)
	return ok && u.Version() == 4 && u.Variant() == uuid.RFC4122
}

// ValidID reports whether s is a UUID in canonical form.
func ValidID(s string) bool {
	_, ok := parseCanonical(s)
	return ok
}

// parseCanonical parses a UUID in canonical form only: 36 characters,
// lower-case hex with hyphens at 8, 13, 18 and 23 (what uuid.UUID.String
// writes), without allocating.
func parseCanonical(s string) (uuid.UUID, bool) {
	if len(s) != 36 {
		return uuid.UUID{}, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return uuid.UUID{}, false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return uuid.UUID{}, false
			}
		}
	}
	u, err := uuid.Parse(s)
	return u, err == nil
}

func validYear(y int) error {
	if y < 2000 || y > 2100 {
		return fmt.Errorf("enrollment_year %d out of range", y)
	}
	return nil
}

func validBand(b string) error {
	for _, a := range AgeBands {
		if a == b {
			return nil
		}
	}
	return fmt.Errorf("age_band %q is not one of %s", b, strings.Join(AgeBands, ", "))
}

// Validate checks the payload. It is the hub's gate: a payload that fails
// it is refused with the whole batch.
func (p Participant) Validate() error {
	if !ValidKey(p.Key) {
		return fmt.Errorf("key must be a random (version 4) UUID")
	}
	if err := validYear(p.EnrollmentYear); err != nil {
		return err
	}
	if err := validBand(p.AgeBand); err != nil {
		return err
	}
	return validModel(p.Model, false)
}

// Validate checks the payload.
func (p POMInterview) Validate() error {
	if err := p.validateHead(); err != nil {
		return err
	}
	for code := range p.Answers {
		if !ValidCode(code) {
			return validAnswers(len(p.Answers)+len(p.Unanswered), code, true)
		}
	}
	for code, why := range p.Unanswered {
		if !ValidCode(code) {
			return validAnswers(len(p.Answers)+len(p.Unanswered), code, true)
		}
		if _, both := p.Answers[code]; both {
			return fmt.Errorf("indicator %q is both answered and unanswered", code)
		}
		if why != NotAsked && why != Declined {
			return fmt.Errorf("unanswered indicator %q: the reason must be one of %s", code, strings.Join(UnansweredReasons, ", "))
		}
	}
	return validAnswers(len(p.Answers)+len(p.Unanswered), "", false)
}

// validateHead checks everything but the answers.
func (p POMInterview) validateHead() error {
	if !ValidKey(p.ParticipantKey) {
		return fmt.Errorf("participant_key must be a random (version 4) UUID")
	}
	if err := validYear(p.EnrollmentYear); err != nil {
		return err
	}
	if err := validBand(p.AgeBand); err != nil {
		return err
	}
	if err := validModel(p.Model, false); err != nil {
		return err
	}
	switch p.Timepoint {
	case TimepointEligibility, TimepointMidpoint, TimepointClosing:
	default:
		return fmt.Errorf("timepoint %q is not one of %s", p.Timepoint, strings.Join(Timepoints, ", "))
	}
	if p.ProgramMonth < 1 || p.ProgramMonth > 24 {
		return fmt.Errorf("program_month %d out of range 1..24", p.ProgramMonth)
	}
	if p.Release == "" || len(p.Release) > 40 {
		return fmt.Errorf("release is required")
	}
	return nil
}

// validAnswers checks the number of answers and a malformed indicator
// code, if one was found.
func validAnswers(n int, bad string, found bool) error {
	if n == 0 || n > 40 {
		return fmt.Errorf("answers and unanswered must hold 1 to 40 indicators together")
	}
	if found {
		return fmt.Errorf("indicator code %q is malformed", bad)
	}
	return nil
}

// ValidateRecord checks a record's envelope, hash and payload.
func ValidateRecord(r Record) error {
	_, err := CheckRecord(r)
	return err
}

// CheckRecord checks a record's envelope, hash and payload, and returns the
// payload (nil for a tombstone). It does not check the payload's codes
// against the releases a hub published (see CheckCodes).
func CheckRecord(r Record) (Payload, error) {
	if !ValidRecordID(r.ID) {
		return nil, fmt.Errorf("id must be a UUIDv7 whose time is the start of a year")
	}
	if !KnownType(r.Type) {
		return nil, fmt.Errorf("unknown record type %q", r.Type)
	}
	if r.Version < 1 || r.Version > MaxVersion {
		return nil, fmt.Errorf("version must be from 1 to %d", int64(MaxVersion))
	}
	var p Payload
	if r.Deleted {
		if len(r.Data) != 0 {
			return nil, fmt.Errorf("a tombstone carries no data")
		}
	} else {
		if len(r.Data) == 0 {
			return nil, fmt.Errorf("data is required")
		}
		if len(r.Data) > MaxRecordBytes {
			return nil, fmt.Errorf("data is larger than %d bytes", MaxRecordBytes)
		}
		var err error
		if p, err = ParsePayload(r.Type, r.Data); err != nil {
			return nil, err
		}
	}
	if sum := hashRecord(r.Type, r.Deleted, r.Data); r.Hash != string(sum[:]) {
		return nil, fmt.Errorf("hash does not match the content")
	}
	return p, nil
}

// NewRecord builds a record for a payload, with its hash. A Payload is
// written in its canonical form; anything else as the JSON encoder writes
// it.
func NewRecord(id, typ string, version int64, payload any) (Record, error) {
	var data []byte
	if p, ok := payload.(Payload); ok {
		data = p.AppendJSON(nil)
	} else {
		var err error
		if data, err = json.Marshal(payload); err != nil {
			return Record{}, err
		}
	}
	return Record{ID: id, Type: typ, Version: version, Data: data, Hash: HashRecord(typ, false, data)}, nil
}

// NewTombstone builds the deletion of a record.
func NewTombstone(id, typ string, version int64) Record {
	return Record{ID: id, Type: typ, Version: version, Deleted: true, Hash: HashRecord(typ, true, nil)}
}
