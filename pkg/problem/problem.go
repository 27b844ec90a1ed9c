// Package problem writes and reads RFC 9457 problem details
// (application/problem+json), the one error shape of every API here.
//
// The message a client sees (Title, Detail, Errors) is written for it; the
// cause of a server-side failure goes to the log, never into the answer.
package problem

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// ContentType is the media type of a problem.
const ContentType = "application/problem+json"

// Stable problem types. Clients may switch on them.
const (
	TypeBadRequest       = "urn:iml:problem:bad-request"
	TypeValidation       = "urn:iml:problem:validation"
	TypeUnauthorized     = "urn:iml:problem:unauthorized"
	TypeForbidden        = "urn:iml:problem:forbidden"
	TypeNotFound         = "urn:iml:problem:not-found"
	TypeConflict         = "urn:iml:problem:conflict"
	TypeTooLarge         = "urn:iml:problem:too-large"
	TypeUnsupportedMedia = "urn:iml:problem:unsupported-media-type"
	TypeProtocol         = "urn:iml:problem:protocol-version"
	TypeTokenInvalid     = "urn:iml:problem:enrollment-token-invalid" //nolint:gosec // G101: a problem type URN, not a credential
	TypeSiteRevoked      = "urn:iml:problem:site-revoked"
	TypeInternal         = "urn:iml:problem:internal"
	TypeUnavailable      = "urn:iml:problem:unavailable"
	TypeRateLimited      = "urn:iml:problem:rate-limited"
	// TypeBatchSeq: a push's IML-Batch-Seq is missing, given more than
	// once, not a number, or outside what the hub accepts for the site.
	TypeBatchSeq = "urn:iml:problem:batch-seq"
)

// FieldError names one invalid field.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem is an RFC 9457 problem.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// Error makes a Problem an error.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("%s (%d): %s", p.Title, p.Status, p.Detail)
	}
	return fmt.Sprintf("%s (%d)", p.Title, p.Status)
}

// New makes a problem with the standard title for the status.
func New(status int, typ, detail string) *Problem {
	return &Problem{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail}
}

// Validation makes a 422 problem with field errors.
func Validation(detail string, errs ...FieldError) *Problem {
	p := New(http.StatusUnprocessableEntity, TypeValidation, detail)
	p.Errors = errs
	return p
}

// Write sends a problem through gin and aborts the chain.
func Write(c *gin.Context, p *Problem) {
	if p.Instance == "" {
		p.Instance = c.Request.URL.Path
	}
	c.Header("Content-Type", ContentType)
	c.AbortWithStatusJSON(p.Status, p)
}

// Internal logs the cause and answers a 500 that reveals nothing of it. The
// log names the route, not the path, which may hold record ids.
func Internal(c *gin.Context, log *slog.Logger, cause error) {
	log.Error("request failed", "method", c.Request.Method, "route", c.FullPath(), "err", cause)
	Write(c, New(http.StatusInternalServerError, TypeInternal, "The server could not complete the request. The failure has been logged."))
}

// Read decodes a problem from a response, or makes one from its status when
// the body is not a problem. The body is limited to 64 KiB.
func Read(resp *http.Response) *Problem {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var p Problem
	if strings.HasPrefix(resp.Header.Get("Content-Type"), ContentType) && json.Unmarshal(body, &p) == nil && p.Status != 0 {
		return &p
	}
	d := strings.TrimSpace(string(body))
	if len(d) > 200 {
		d = d[:200]
	}
	return &Problem{Type: "about:blank", Title: http.StatusText(resp.StatusCode), Status: resp.StatusCode, Detail: d}
}

// NotFoundHandler answers unknown API routes with a problem.
func NotFoundHandler(c *gin.Context) {
	Write(c, New(http.StatusNotFound, TypeNotFound, "No such resource."))
}

// Recovery turns a panic into a logged 500 problem, never a dropped connection.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, err any) {
		Internal(c, log, fmt.Errorf("panic: %v", err))
	})
}
