package contract

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
)

// The hub reads every payload it receives in one strict pass over the bytes
// (see reader), checks the value (Validate), and re-encodes it in the
// contract's canonical form (AppendJSON): the payload is accepted only if
// that re-encoding is the very bytes it was sent. So what the hub stores,
// hashes and later reads is exactly what it validated: a key sent twice, a
// field out of order, an escape or a space cannot carry anything past the
// check. The canonical form is what an agent's encoder writes (NewRecord):
// fields in the order of the struct, no spaces, maps by sorted key, empty
// optional fields left out. TestCanonicalIsMarshal holds AppendJSON to the
// JSON encoder agents before it used.

// Payload is the de-identified content of a record of a known type.
type Payload interface {
	// Validate checks every field's range and form.
	Validate() error
	// AppendJSON appends the payload's canonical encoding.
	AppendJSON(dst []byte) []byte
	// Codes returns the strings of the payload that a release defines.
	Codes() Codes
}

// ErrNotCanonical means a payload decodes to a valid value whose canonical
// encoding is not the bytes sent.
var ErrNotCanonical = errors.New("payload: not in the contract's canonical form (each field once, in the contract's order, no spaces or escapes, answers by sorted code)")

func payloadErr(err error) error {
	return fmt.Errorf("payload: %w", err)
}

// payloadTypes maps each record type to its strict decoder.
var payloadTypes = map[string]func([]byte) (Payload, error){
	TypeParticipant:     asPayload(readParticipant),
	TypePOMInterview:    asPayload(readPOMInterview),
	TypeSurveyResponse:  asPayload(readSurveyResponse),
	TypeHospitalization: asPayload(readHospitalization),
	TypeParticipation:   asPayload(readParticipation),
	TypeCohortMonth:     asPayload(readCohortMonth),
}

func asPayload[T Payload](read func([]byte, *order) (T, error)) func([]byte) (Payload, error) {
	return func(b []byte) (Payload, error) {
		p, err := decode(read, b)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}

// KnownType reports whether the contract defines a record type.
func KnownType(t string) bool { _, ok := payloadTypes[t]; return ok }

// ParsePayload reads a payload of a type strictly, validates it and checks
// that the bytes are its canonical encoding.
func ParsePayload(typ string, data []byte) (Payload, error) {
	read, ok := payloadTypes[typ]
	if !ok {
		return nil, fmt.Errorf("unknown record type %q", typ)
	}
	return read(data)
}

// decode reads, validates and checks the canonical form of one type. The
// codes of a payload's maps are re-encoded in the order they were sent
// when that order is the sorted one (anything else is not canonical), so
// the check does not sort them again.
func decode[T Payload](read func([]byte, *order) (T, error), data []byte) (T, error) {
	o := orders.Get().(*order)
	defer o.release()
	p, err := read(data, o)
	if err != nil {
		return p, err
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	if o.unsorted {
		return p, ErrNotCanonical
	}
	buf := encBufs.Get().(*[]byte)
	if k, ok := any(p).(keyedPayload); ok {
		*buf = k.appendKeyed((*buf)[:0], &o.keys)
	} else {
		*buf = p.AppendJSON((*buf)[:0])
	}
	same := bytes.Equal(*buf, data)
	encBufs.Put(buf)
	if !same {
		return p, ErrNotCanonical
	}
	return p, nil
}

// encBufs holds the buffers payloads are re-encoded into for the check.
var encBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// order follows the codes of a payload's maps (up to two: answers and
// unanswered) as they are read: the codes of each in the order sent, and
// whether any came at or before the one sent before it, which the
// canonical form (sorted, each once) never does.
type order struct {
	keys     [2][]string
	unsorted bool
}

var orders = sync.Pool{New: func() any { return &order{} }}

func (o *order) add(m int, code string) {
	if n := len(o.keys[m]); n > 0 && o.keys[m][n-1] >= code {
		o.unsorted = true
	}
	o.keys[m] = append(o.keys[m], code)
}

// release clears the order and returns it to the pool.
func (o *order) release() {
	for m := range o.keys {
		clear(o.keys[m])
		o.keys[m] = o.keys[m][:0]
	}
	o.unsorted = false
	orders.Put(o)
}

// keyedPayload is a payload with maps, encoded by keys already sorted.
type keyedPayload interface {
	appendKeyed(dst []byte, keys *[2][]string) []byte
}

// DecodeParticipant decodes and validates a participant payload.
func DecodeParticipant(data []byte) (Participant, error) { return decode(readParticipant, data) }

// DecodePOMInterview decodes and validates a POM interview payload.
func DecodePOMInterview(data []byte) (POMInterview, error) { return decode(readPOMInterview, data) }

// DecodeSurveyResponse decodes and validates a survey payload.
func DecodeSurveyResponse(data []byte) (SurveyResponse, error) {
	return decode(readSurveyResponse, data)
}

// DecodeHospitalization decodes and validates a hospitalization payload.
func DecodeHospitalization(data []byte) (Hospitalization, error) {
	return decode(readHospitalization, data)
}

// DecodeParticipation decodes and validates a participation payload.
func DecodeParticipation(data []byte) (Participation, error) {
	return decode(readParticipation, data)
}

// DecodeCohortMonth decodes and validates a cohort month payload.
func DecodeCohortMonth(data []byte) (CohortMonth, error) { return decode(readCohortMonth, data) }

// readObject reads a whole JSON text that is one object, calling field for
// each key. The readers of the payload types take an order that notes
// their maps' codes as sent.
func readObject(b []byte, field func(r *reader, key []byte) error) error {
	r := reader{b: b}
	err := r.object(func(k []byte) error { return field(&r, k) })
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return payloadErr(err)
	}
	return nil
}

func readParticipant(b []byte, o *order) (p Participant, err error) {
	err = readObject(b, func(r *reader, k []byte) error {
		var err error
		switch string(k) {
		case "key":
			p.Key, err = r.str()
		case "enrollment_year":
			p.EnrollmentYear, err = r.int()
		case "age_band":
			p.AgeBand, err = r.istr()
		case "model":
			p.Model, err = r.istr()
		default:
			return unknownField(k)
		}
		return err
	})
	return p, err
}

func readPOMInterview(b []byte, o *order) (p POMInterview, err error) {
	err = readObject(b, func(r *reader, k []byte) error {
		if ok, err := r.person(k, &p.ParticipantKey, &p.EnrollmentYear, &p.AgeBand, &p.Model); ok {
			return err
		}
		var err error
		switch string(k) {
		case "timepoint":
			p.Timepoint, err = r.istr()
		case "program_month":
			p.ProgramMonth, err = r.int()
		case "release":
			p.Release, err = r.istr()
		case "answers":
			p.Answers, err = readMap(r, o, 0, r.boolean)
		case "unanswered":
			p.Unanswered, err = readMap(r, o, 1, r.istr)
		default:
			return unknownField(k)
		}
		return err
	})
	return p, err
}

func readSurveyResponse(b []byte, o *order) (p SurveyResponse, err error) {
	err = readObject(b, func(r *reader, k []byte) error {
		var err error
		switch string(k) {
		case "year":
			p.Year, err = r.int()
		case "timepoint":
			p.Timepoint, err = r.istr()
		case "model":
			p.Model, err = r.istr()
		case "release":
			p.Release, err = r.istr()
		case "answers":
			p.Answers, err = readMap(r, o, 0, r.istr)
		default:
			return unknownField(k)
		}
		return err
	})
	return p, err
}

func readHospitalization(b []byte, o *order) (p Hospitalization, err error) {
	err = readObject(b, func(r *reader, k []byte) error {
		if ok, err := r.person(k, &p.ParticipantKey, &p.EnrollmentYear, &p.AgeBand, &p.Model); ok {
			return err
		}
		var err error
		switch string(k) {
		case "before_count":
			p.BeforeCount, err = r.int()
		case "during_months":
			p.DuringMonths, err = r.ints(maxCount)
		case "months_enrolled":
			p.MonthsEnrolled, err = r.int()
		case "service_changes":
			if r.null() {
				p.ServiceChanges = nil
				return nil
			}
			p.ServiceChanges = []ServiceChange{}
			err = r.array(func() error {
				if len(p.ServiceChanges) == 100 {
					return fmt.Errorf("service_changes holds more than 100 entries")
				}
				var c ServiceChange
				err := r.object(func(k []byte) error {
					var err error
					switch string(k) {
					case "service":
						c.Service, err = r.istr()
					case "change":
						c.Change, err = r.istr()
					case "program_month":
						c.ProgramMonth, err = r.int()
					default:
						return unknownField(k)
					}
					return err
				})
				p.ServiceChanges = append(p.ServiceChanges, c)
				return err
			})
		default:
			return unknownField(k)
		}
		return err
	})
	return p, err
}

func readParticipation(b []byte, o *order) (p Participation, err error) {
	err = readObject(b, func(r *reader, k []byte) error {
		if ok, err := r.person(k, &p.ParticipantKey, &p.EnrollmentYear, &p.AgeBand, &p.Model); ok {
			return err
		}
		var err error
		switch string(k) {
		case "cohort_key":
			p.CohortKey, err = r.str()
		case "program_month":
			p.ProgramMonth, err = r.int()
		case "meetings_held":
			p.MeetingsHeld, err = r.int()
		case "meetings_attended":
			p.MeetingsAttended, err = r.int()
		case "journals_due":
			p.JournalsDue, err = r.int()
		case "journals_completed":
			p.JournalsCompleted, err = r.int()
		case "stipend_spent_cents":
			p.StipendSpentCents, err = r.integer()
		case "receipts_complete":
			p.ReceiptsComplete, err = r.boolean()
		case "outings_by_stage":
			p.OutingsByStage, err = r.ints(OutingStages + 1)
		default:
			return unknownField(k)
		}
		return err
	})
	return p, err
}

func readCohortMonth(b []byte, o *order) (p CohortMonth, err error) {
	err = readObject(b, func(r *reader, k []byte) error {
		var err error
		switch string(k) {
		case "cohort_key":
			p.CohortKey, err = r.str()
		case "model":
			p.Model, err = r.istr()
		case "start_year":
			p.StartYear, err = r.int()
		case "program_month":
			p.ProgramMonth, err = r.int()
		case "members":
			p.Members, err = r.int()
		case "pairs":
			p.Pairs, err = r.int()
		case "pairing_changes":
			p.PairingChanges, err = r.int()
		case "meetings_held":
			p.MeetingsHeld, err = r.int()
		case "meetings_on_theme":
			p.MeetingsOnTheme, err = r.int()
		default:
			return unknownField(k)
		}
		return err
	})
	return p, err
}

// readMap reads an object of codes (list m of o) to values, made into a
// map of its size once read.
func readMap[V any](r *reader, o *order, m int, val func() (V, error)) (map[string]V, error) {
	from := len(o.keys[m])
	vals := make([]V, 0, 40)
	err := r.object(func(code []byte) error {
		v, err := val()
		o.add(m, intern(code))
		vals = append(vals, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	keys := o.keys[m][from:]
	out := make(map[string]V, len(keys))
	for i, k := range keys {
		out[k] = vals[i]
	}
	return out, nil
}

// person reads the field at key if it is one of the fields every
// per-participant payload carries, and reports whether it was.
func (r *reader) person(k []byte, key *string, year *int, band, model *string) (bool, error) {
	var err error
	switch string(k) {
	case "participant_key":
		*key, err = r.str()
	case "enrollment_year":
		*year, err = r.int()
	case "age_band":
		*band, err = r.istr()
	case "model":
		*model, err = r.istr()
	default:
		return false, nil
	}
	return true, err
}

// int reads an integer that fits an int.
func (r *reader) int() (int, error) {
	n, err := r.integer()
	return int(n), err
}

// ints reads an array of integers (or null, as nil) of at most max
// entries.
func (r *reader) ints(max int) ([]int, error) {
	if r.null() {
		return nil, nil
	}
	out := []int{}
	err := r.array(func() error {
		if len(out) == max {
			return fmt.Errorf("array holds more than %d entries", max)
		}
		n, err := r.int()
		out = append(out, n)
		return err
	})
	return out, err
}

// DecodePushRequest decodes the body of a push strictly (unknown fields,
// keys sent twice, trailing data and values of the wrong type are refused)
// in one pass. Each record's Data is the payload's bytes within body, which
// must not change afterwards. The payloads are only delimited (an object or
// array by its brackets and strings, other values in full): ParsePayload
// reads each strictly, and the hub stores nothing it has not.
func DecodePushRequest(body []byte) (PushRequest, error) {
	var req PushRequest
	r := reader{b: body}
	err := r.object(func(k []byte) error {
		switch string(k) {
		case "site_id":
			var err error
			req.SiteID, err = r.str()
			return err
		case "records":
			if r.null() {
				return nil
			}
			return r.array(func() error {
				var rec Record
				err := r.object(func(k []byte) error { return r.recordField(k, &rec) })
				req.Records = append(req.Records, rec)
				return err
			})
		}
		return unknownField(k)
	})
	if err == nil {
		err = r.end()
	}
	return req, err
}

func (r *reader) recordField(k []byte, rec *Record) error {
	var err error
	switch string(k) {
	case "id":
		rec.ID, err = r.str()
	case "type":
		rec.Type, err = r.istr()
	case "version":
		rec.Version, err = r.integer()
	case "hash":
		rec.Hash, err = r.str()
	case "deleted":
		rec.Deleted, err = r.boolean()
	case "data":
		if r.null() {
			rec.Data = nil
			return nil
		}
		// ParsePayload reads the payload strictly; here it is only
		// delimited.
		rec.Data, err = r.delimit()
	default:
		return unknownField(k)
	}
	return err
}
