package contract

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PullCursor is where an agent stands in each stream of central content the
// hub serves: releases, certifications and TA answers. Each is the highest
// change sequence of that stream the agent has stored. On the wire it is
// "R.C.T"; a bare "R" (what hubs before the certification and TA streams
// gave out) means releases only.
type PullCursor struct {
	Releases       int64
	Certifications int64
	TAAnswers      int64
}

// String formats the cursor for the wire.
func (c PullCursor) String() string {
	return fmt.Sprintf("%d.%d.%d", c.Releases, c.Certifications, c.TAAnswers)
}

// ParsePullCursor reads a cursor the hub gave out; "" is the start.
func ParsePullCursor(s string) (PullCursor, error) {
	var c PullCursor
	if s == "" {
		return c, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) != 1 && len(parts) != 3 {
		return c, fmt.Errorf("cursor %q is malformed", s)
	}
	dst := []*int64{&c.Releases, &c.Certifications, &c.TAAnswers}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 || strconv.FormatInt(v, 10) != p {
			return PullCursor{}, fmt.Errorf("cursor %q is malformed", s)
		}
		*dst[i] = v
	}
	return c, nil
}

// Certification statuses as the hub reports them.
const (
	CertCurrent = "current"
	CertExpired = "expired"
	CertRevoked = "revoked"
)

// CertificationWire is a Peer Life Coach certification of the site's
// organization as the hub holds it. The agent matches it to its coach by
// the verification code. Seq is its change sequence in the stream.
type CertificationWire struct {
	Seq           int64    `json:"seq"`
	Code          string   `json:"code"`
	CoachName     string   `json:"coach_name"`
	CoachEmail    string   `json:"coach_email,omitempty"`
	Status        string   `json:"status"`
	IssuedOn      string   `json:"issued_on"`  // YYYY-MM-DD
	ExpiresOn     string   `json:"expires_on"` // YYYY-MM-DD
	RevokedReason string   `json:"revoked_reason,omitempty"`
	Modules       []string `json:"modules"`
}

// TAAnswerWire is the hub's answer to, or change of status of, a technical
// assistance request the site raised. Seq is its change sequence.
type TAAnswerWire struct {
	Seq        int64     `json:"seq"`
	RequestID  string    `json:"request_id"`
	Status     string    `json:"status"`
	Answer     string    `json:"answer,omitempty"`
	AnsweredBy string    `json:"answered_by,omitempty"`
	AnsweredAt time.Time `json:"answered_at"`
}
