package contract

import "fmt"

// The hub checks every payload it receives. The validators here do it in one
// pass over the bytes, without building the value: they refuse everything
// the Decode functions refuse (and a little more, see reader), with the same
// messages for a well-formed payload, and TestFastValidatorsAgree checks
// that they agree.

func payloadErr(err error) error {
	return fmt.Errorf("payload: %w", err)
}

func validateParticipantJSON(b []byte) error {
	var p Participant
	r := reader{b: b}
	err := r.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "key":
			p.Key, err = r.str()
		case "enrollment_year":
			p.EnrollmentYear, err = r.int()
		case "age_band":
			p.AgeBand, err = r.str()
		case "model":
			p.Model, err = r.str()
		default:
			return unknownField(k)
		}
		return err
	})
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return payloadErr(err)
	}
	return p.Validate()
}

func validatePOMInterviewJSON(b []byte) error {
	var p POMInterview
	var answers int
	var bad string
	var found bool
	r := reader{b: b}
	err := r.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "participant_key":
			p.ParticipantKey, err = r.str()
		case "enrollment_year":
			p.EnrollmentYear, err = r.int()
		case "age_band":
			p.AgeBand, err = r.str()
		case "model":
			p.Model, err = r.str()
		case "timepoint":
			p.Timepoint, err = r.str()
		case "program_month":
			p.ProgramMonth, err = r.int()
		case "release":
			p.Release, err = r.str()
		case "answers":
			answers = 0
			err = r.object(func(code []byte) error {
				answers++
				if !found && !ValidCode(string(code)) {
					bad, found = string(code), true
				}
				_, err := r.boolean()
				return err
			})
		default:
			return unknownField(k)
		}
		return err
	})
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return payloadErr(err)
	}
	if err := p.validateHead(); err != nil {
		return err
	}
	return validAnswers(answers, bad, found)
}

// int reads an integer that fits an int.
func (r *reader) int() (int, error) {
	n, err := r.integer()
	return int(n), err
}

// DecodePushRequest decodes the body of a push strictly (unknown fields,
// trailing data and values of the wrong type are refused) in one pass. Each
// record's Data is the payload's bytes within body, which must not change
// afterwards. The payloads are only delimited (an object or array by its
// brackets and strings, other values in full): ValidateRecord reads each
// strictly, and the hub stores nothing it has not.
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
		rec.Type, err = r.str()
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
		// ValidateRecord reads the payload strictly; here it is only
		// delimited.
		rec.Data, err = r.delimit()
	default:
		return unknownField(k)
	}
	return err
}
