// Package problem writes and reads RFC 9457 problem details
// (application/problem+json), the one error shape of every API here.
//
// The message a client sees (Title, Detail, Errors) is written for it; the
// cause of a server-side failure goes to the log, never into the answer.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/textx"
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
	// TypeMethodNotAllowed: the address exists, but not for this method.
	TypeMethodNotAllowed = "urn:iml:problem:method-not-allowed"
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
// log names the route, not the path, which may hold record ids. A failure
// that is the client going away (ClientGone) is not the server's: it is
// logged as such (Gone) and answered with StatusClientClosed.
func Internal(c *gin.Context, log *slog.Logger, cause error) {
	if ClientGone(c, cause) {
		Gone(c, log, cause)
		return
	}
	log.Error("request failed", "method", c.Request.Method, "route", c.FullPath(), "err", cause)
	Write(c, New(http.StatusInternalServerError, TypeInternal, "The server could not complete the request. The failure has been logged."))
}

// StatusClientClosed is the status of a request whose client went away
// before it was answered (the code nginx logs for the same). Nobody reads
// it: it is for the access and audit logs.
const StatusClientClosed = 499

const (
	ctxBody = "iml.problem.body"
	ctxGone = "iml.problem.gone"
)

// trackedBody is a request body that notes when reading it failed for
// another reason than its end or a size limit above it: the connection
// broke off (the client went away, or sent less than it announced).
type trackedBody struct {
	io.ReadCloser
	broken atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			b.broken.Store(true)
		}
	}
	return n, err
}

// TrackBody notes, for ClientGone, when a request's body breaks off. It
// must come before any middleware that wraps the body (size limits). The
// request gets its own body back once the handlers are done: the HTTP
// server looks at it to finish the request (a "100 Continue" never sent,
// an unread rest to discard).
func TrackBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		orig := c.Request.Body
		if orig == nil || orig == http.NoBody {
			c.Next()
			return
		}
		tb := &trackedBody{ReadCloser: orig}
		c.Request.Body = tb
		c.Set(ctxBody, tb)
		defer func() { c.Request.Body = orig }()
		c.Next()
	}
}

// BodyBroken reports whether reading the request's body broke off before
// its end (TrackBody).
func BodyBroken(c *gin.Context) bool {
	tb, ok := c.Get(ctxBody)
	if !ok {
		return false
	}
	b, ok := tb.(*trackedBody)
	return ok && b.broken.Load()
}

// ClientGone reports whether a failure is the client's going away rather
// than the server's: the request's body broke off, or the request was
// cancelled (its connection closed). Whatever error the cancellation
// caused counts: database drivers do not all say context.Canceled
// (SQLite's says "interrupted"), and nobody is left to answer anyway; the
// cause is still logged, at Info.
func ClientGone(c *gin.Context, err error) bool {
	if BodyBroken(c) {
		return true
	}
	return err != nil && c.Request.Context().Err() != nil
}

// Gone logs a request whose client went away, at Info with the route
// pattern (never the path or a body), and ends it with StatusClientClosed
// (written to a connection nobody reads any more).
func Gone(c *gin.Context, log *slog.Logger, cause error) {
	LogGone(c, log, cause)
	c.AbortWithStatus(StatusClientClosed)
}

// LogGone logs a request whose client went away, as Gone does, for a
// caller that ends the request itself.
func LogGone(c *gin.Context, log *slog.Logger, cause error) {
	c.Set(ctxGone, true)
	log.Info("client disconnected", "method", c.Request.Method, "route", c.FullPath(), "err", cause)
}

// GoneUnlogged reports whether a request's body broke off and nothing said
// so yet (Gone), for the access log to say it: a handler may have answered
// from what it could read (a form without its fields).
func GoneUnlogged(c *gin.Context) bool { return BodyBroken(c) && !c.GetBool(ctxGone) }

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

// UncleanText is the 422 for a field holding a character no one types
// (see textx): nothing was changed.
func UncleanText(field string) *Problem {
	return Validation("A field holds a character no one types; nothing was changed.", FieldError{Field: field, Detail: textx.Problem})
}

// Query is the problem of an address whose query is refused
// (textx.QueryGuard): a parameter holding a character no one types is
// answered as a body's field is (UncleanText); anything else is a bad
// request with the message.
func Query(field, msg string) *Problem {
	if field != "" {
		return UncleanText(field)
	}
	return New(http.StatusBadRequest, TypeBadRequest, msg)
}
