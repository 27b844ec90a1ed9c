package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/itsmylife/iml/pkg/problem"
)

// # Technical assistance requests
//
// A site's Program Director asks the national office for technical
// assistance (TA) from the agent. A TA request is site-level correspondence
// between the implementing organization and the hub's TA specialists, not
// participant data: it never travels as an outcome record and never through
// the outbox. The agent queues it locally and POSTs it to PathTARequests with
// the site credential, once per request, until the hub acknowledges it; the
// agent-made request id makes the POST idempotent (the same id and content
// again is answered as a duplicate; the same id with other content is a
// conflict). The hub's answers and status changes come back in the pull, in
// the TA answer stream (PullResponse.TAAnswers after PullCursor.TAAnswers).
//
// The agent's form warns the director not to name participants or write
// anything that identifies a person; the hub stores the text as written.

// PathTARequests is where an agent sends a TA request.
const PathTARequests = "/api/v1/sync/ta-requests"

// Bounds of a TA request. The hub refuses anything larger. The body bound
// leaves room for the longest subject and text in four-byte characters.
const (
	MaxTARequestBytes   = 64 << 10
	MaxTASubjectRunes   = 200
	MaxTATextRunes      = 8000
	MaxTAAnswerRunes    = 8000
	MaxTAAnswersPerPull = 500
)

// TA request categories.
var TACategories = []string{"recruitment", "coaching", "curriculum", "stipends", "outcomes", "data_sync", "funding", "other"}

// TACategoryLabels are their human names.
var TACategoryLabels = map[string]string{
	"recruitment": "Recruiting participants", "coaching": "Coaches and supervision",
	"curriculum": "Curriculum and meetings", "stipends": "Stipends and spending plans",
	"outcomes": "Outcome measures and interviews", "data_sync": "The site software and sync",
	"funding": "Funding and sustainability", "other": "Something else",
}

// TA request statuses, as the hub reports them.
const (
	TAOpen     = "open"
	TAAssigned = "assigned"
	TAAnswered = "answered"
	TAClosed   = "closed"
)

// TARequestWire is a TA request as the agent sends it.
type TARequestWire struct {
	ID       string    `json:"id"`
	Subject  string    `json:"subject"`
	Category string    `json:"category"`
	Text     string    `json:"text"`
	RaisedAt time.Time `json:"raised_at"`
}

// TARequestResult is the hub's acknowledgement of a TA request. Fate is
// FateStored the first time and FateDuplicate for a repeat of the same id
// and content.
type TARequestResult struct {
	ID     string `json:"id"`
	Fate   Fate   `json:"fate"`
	Status string `json:"status"`
}

// Hash is the content hash the hub compares a repeated id against.
func (r TARequestWire) Hash() string {
	h := sha256.New()
	for _, p := range []string{r.Subject, r.Category, r.Text} {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TAFieldError names a field of a TA request and what is wrong with it
// (problem.Invalid, the one validation error of both programs).
type TAFieldError = problem.Invalid

// ValidateTARequest checks a TA request; the returned error is a
// *TAFieldError naming the field.
func ValidateTARequest(r TARequestWire) error {
	fe := func(f, m string) error { return &TAFieldError{Field: f, Msg: m} }
	switch {
	case !ValidID(r.ID):
		return fe("id", "must be a UUID made by the agent")
	case !plain(r.Subject) || strings.TrimSpace(r.Subject) == "":
		return fe("subject", "is required (plain text)")
	case utf8.RuneCountInString(r.Subject) > MaxTASubjectRunes:
		return fe("subject", fmt.Sprintf("is longer than %d characters", MaxTASubjectRunes))
	case TACategoryLabels[r.Category] == "":
		return fe("category", "must be one of "+strings.Join(TACategories, ", "))
	case !plain(r.Text) || strings.TrimSpace(r.Text) == "":
		return fe("text", "is required (plain text)")
	case utf8.RuneCountInString(r.Text) > MaxTATextRunes:
		return fe("text", fmt.Sprintf("is longer than %d characters", MaxTATextRunes))
	case r.RaisedAt.IsZero():
		return fe("raised_at", "is required")
	}
	return nil
}

// plain is valid UTF-8 without NUL, which PostgreSQL text cannot hold.
func plain(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// ErrTAConflict means a request id was sent again with other content.
var ErrTAConflict = errors.New("a TA request with this id was already received with other content")
