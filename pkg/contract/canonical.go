package contract

import (
	"slices"
	"strconv"

	json "github.com/goccy/go-json"
)

// The canonical encodings of the payloads: what json.Marshal writes for
// them (fields in struct order, omitempty fields left out when empty, maps
// by sorted key, nil slices as null), written without reflection.

// Codes are the strings of a payload that a release defines: the release
// it was recorded under and the indicator or statement codes it answers
// (each once, in no particular order).
// Every other string of a payload is a random key or a code the contract
// itself fixes (see TestEveryStringIsClosed).
type Codes struct {
	Release    string
	Indicators []string
	Statements []string
}

// ReleaseCodes are the codes one published release defines.
type ReleaseCodes struct {
	Indicators map[string]bool
	Statements map[string]bool
}

// CheckCodes checks a payload's codes against the releases a hub
// published: release returns the codes of a release by its version, and
// false for a version the hub never published. The error names the field.
func CheckCodes(c Codes, release func(version string) (ReleaseCodes, bool)) error {
	if c.Release == "" {
		return nil
	}
	rc, ok := release(c.Release)
	if !ok {
		return &CodeError{Field: "release", Detail: "is not a release this hub published"}
	}
	for _, code := range c.Indicators {
		if !rc.Indicators[code] {
			return &CodeError{Field: "answers", Detail: "holds an indicator code that release " + c.Release + " does not define"}
		}
	}
	for _, code := range c.Statements {
		if !rc.Statements[code] {
			return &CodeError{Field: "answers", Detail: "holds a statement code that release " + c.Release + " does not define"}
		}
	}
	return nil
}

// CodeError is a payload code the hub does not know, by field. The detail
// never repeats the value: a refused code may be text that must not be
// logged.
type CodeError struct {
	Field, Detail string
}

func (e *CodeError) Error() string { return e.Field + " " + e.Detail }

// Codes returns nothing: a participant names no release.
func (p Participant) Codes() Codes { return Codes{} }

// Codes returns the interview's release and indicators, answered or not,
// in no particular order.
func (p POMInterview) Codes() Codes {
	all := make([]string, 0, len(p.Answers)+len(p.Unanswered))
	for k := range p.Answers {
		all = append(all, k)
	}
	for k := range p.Unanswered {
		if _, both := p.Answers[k]; !both {
			all = append(all, k)
		}
	}
	return Codes{Release: p.Release, Indicators: all}
}

// Codes returns the survey's release and statements, in no particular
// order.
func (p SurveyResponse) Codes() Codes {
	all := make([]string, 0, len(p.Answers))
	for k := range p.Answers {
		all = append(all, k)
	}
	return Codes{Release: p.Release, Statements: all}
}

// Codes returns nothing: service codes are the contract's own.
func (p Hospitalization) Codes() Codes { return Codes{} }

// Codes returns nothing.
func (p Participation) Codes() Codes { return Codes{} }

// Codes returns nothing.
func (p CohortMonth) Codes() Codes { return Codes{} }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// enc appends a JSON object field by field.
type enc struct {
	b      []byte
	fields int
}

func object(dst []byte) enc { return enc{b: append(dst, '{')} }

func (e *enc) end() []byte { return append(e.b, '}') }

func (e *enc) key(k string) {
	if e.fields > 0 {
		e.b = append(e.b, ',')
	}
	e.fields++
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
}

func (e *enc) str(k, v string) {
	e.key(k)
	e.b = AppendString(e.b, v)
}

func (e *enc) strOmit(k, v string) {
	if v != "" {
		e.str(k, v)
	}
}

func (e *enc) int(k string, v int64) {
	e.key(k)
	e.b = strconv.AppendInt(e.b, v, 10)
}

func (e *enc) bool(k string, v bool) {
	e.key(k)
	e.b = strconv.AppendBool(e.b, v)
}

func (e *enc) ints(k string, v []int) {
	e.key(k)
	if v == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.b = append(e.b, '[')
	for i, n := range v {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = strconv.AppendInt(e.b, int64(n), 10)
	}
	e.b = append(e.b, ']')
}

// AppendString appends s as the JSON encoder writes it: plain printable
// ASCII as it is, anything else (quotes, backslashes, control characters,
// the HTML characters it escapes, non-ASCII) through the encoder itself.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendMap appends a map (nil as null) by its keys, sorted, each value by
// val.
func appendMap[V any](b []byte, m map[string]V, keys []string, val func([]byte, V) []byte) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		b = val(b, m[k])
	}
	return append(b, '}')
}

// AppendJSON appends the canonical encoding.
func (p Participant) AppendJSON(dst []byte) []byte {
	e := object(dst)
	e.str("key", p.Key)
	e.int("enrollment_year", int64(p.EnrollmentYear))
	e.str("age_band", p.AgeBand)
	e.strOmit("model", p.Model)
	return e.end()
}

// person appends the fields every per-participant payload begins with.
func (e *enc) person(key string, year int, band, model string) {
	e.str("participant_key", key)
	e.int("enrollment_year", int64(year))
	e.str("age_band", band)
	e.strOmit("model", model)
}

// AppendJSON appends the canonical encoding.
func (p POMInterview) AppendJSON(dst []byte) []byte {
	return p.appendKeyed(dst, &[2][]string{sortedKeys(p.Answers), sortedKeys(p.Unanswered)})
}

// appendKeyed appends the canonical encoding, the answers by keys[0] and
// the unanswered by keys[1]: the maps' keys, sorted.
func (p POMInterview) appendKeyed(dst []byte, keys *[2][]string) []byte {
	e := object(dst)
	e.person(p.ParticipantKey, p.EnrollmentYear, p.AgeBand, p.Model)
	e.str("timepoint", p.Timepoint)
	e.int("program_month", int64(p.ProgramMonth))
	e.str("release", p.Release)
	e.key("answers")
	e.b = appendMap(e.b, p.Answers, keys[0], strconv.AppendBool)
	if len(p.Unanswered) > 0 {
		e.key("unanswered")
		e.b = appendMap(e.b, p.Unanswered, keys[1], AppendString)
	}
	return e.end()
}

// AppendJSON appends the canonical encoding.
func (p SurveyResponse) AppendJSON(dst []byte) []byte {
	return p.appendKeyed(dst, &[2][]string{sortedKeys(p.Answers)})
}

// appendKeyed appends the canonical encoding, the answers by keys[0],
// their keys sorted.
func (p SurveyResponse) appendKeyed(dst []byte, keys *[2][]string) []byte {
	e := object(dst)
	e.int("year", int64(p.Year))
	e.str("timepoint", p.Timepoint)
	e.strOmit("model", p.Model)
	e.str("release", p.Release)
	e.key("answers")
	e.b = appendMap(e.b, p.Answers, keys[0], AppendString)
	return e.end()
}

// AppendJSON appends the canonical encoding.
func (p Hospitalization) AppendJSON(dst []byte) []byte {
	e := object(dst)
	e.person(p.ParticipantKey, p.EnrollmentYear, p.AgeBand, p.Model)
	e.int("before_count", int64(p.BeforeCount))
	e.ints("during_months", p.DuringMonths)
	e.int("months_enrolled", int64(p.MonthsEnrolled))
	e.key("service_changes")
	if p.ServiceChanges == nil {
		e.b = append(e.b, "null"...)
	} else {
		e.b = append(e.b, '[')
		for i, c := range p.ServiceChanges {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			ce := object(e.b)
			ce.str("service", c.Service)
			ce.str("change", c.Change)
			ce.int("program_month", int64(c.ProgramMonth))
			e.b = ce.end()
		}
		e.b = append(e.b, ']')
	}
	return e.end()
}

// AppendJSON appends the canonical encoding.
func (p Participation) AppendJSON(dst []byte) []byte {
	e := object(dst)
	e.person(p.ParticipantKey, p.EnrollmentYear, p.AgeBand, p.Model)
	e.strOmit("cohort_key", p.CohortKey)
	e.int("program_month", int64(p.ProgramMonth))
	e.int("meetings_held", int64(p.MeetingsHeld))
	e.int("meetings_attended", int64(p.MeetingsAttended))
	e.int("journals_due", int64(p.JournalsDue))
	e.int("journals_completed", int64(p.JournalsCompleted))
	e.int("stipend_spent_cents", p.StipendSpentCents)
	e.bool("receipts_complete", p.ReceiptsComplete)
	e.ints("outings_by_stage", p.OutingsByStage)
	return e.end()
}

// AppendJSON appends the canonical encoding.
func (p CohortMonth) AppendJSON(dst []byte) []byte {
	e := object(dst)
	e.str("cohort_key", p.CohortKey)
	e.str("model", p.Model)
	e.int("start_year", int64(p.StartYear))
	e.int("program_month", int64(p.ProgramMonth))
	e.int("members", int64(p.Members))
	e.int("pairs", int64(p.Pairs))
	e.int("pairing_changes", int64(p.PairingChanges))
	e.int("meetings_held", int64(p.MeetingsHeld))
	e.int("meetings_on_theme", int64(p.MeetingsOnTheme))
	return e.end()
}
