// Package syncer is the agent's side of the sync contract: it enrolls with
// the hub, reconciles what the hub holds, pulls releases and pushes the
// outbox in bounded, compressed batches, marking records delivered only
// after the hub has committed them.
package syncer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// RetryPolicy decides which failures are worth another try: connection
// errors, 408, 429 and 5xx (except 501 and 505). Every other answer is final:
// retrying a 4xx cannot help. Certificate errors (unknown authority, wrong
// host name, expired) and bad URLs are final too: only a person can fix them.
func RetryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		var unknownCA x509.UnknownAuthorityError
		var hostname x509.HostnameError
		var invalid x509.CertificateInvalidError
		var verify *tls.CertificateVerificationError
		if errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify) ||
			strings.Contains(err.Error(), "unsupported protocol scheme") {
			return false, err
		}
		return true, nil
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
		return true, nil
	case resp.StatusCode == http.StatusNotImplemented, resp.StatusCode == http.StatusHTTPVersionNotSupported:
		return false, nil
	case resp.StatusCode >= 500:
		return true, nil
	}
	return false, nil
}

// Backoff waits exponentially longer with full jitter, and honours a
// Retry-After the hub sends with 429 or 503 (capped at max).
func Backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
				return clamp(time.Duration(secs)*time.Second, min, max)
			}
			if t, err := http.ParseTime(ra); err == nil {
				return clamp(time.Until(t), min, max)
			}
		}
	}
	ceiling := min << min64(uint(attempt), 20)
	if ceiling <= 0 || ceiling > max {
		ceiling = max
	}
	return min + time.Duration(rand.Int64N(int64(ceiling-min)+1)) //nolint:gosec // G404: backoff jitter, not a secret
}

func min64(a, b uint) uint {
	if a < b {
		return a
	}
	return b
}

func clamp(d, lo, hi time.Duration) time.Duration {
	if d < lo {
		return lo
	}
	if d > hi {
		return hi
	}
	return d
}

// ClientConfig tunes the HTTP client.
type ClientConfig struct {
	RetryMax     int
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	Timeout      time.Duration
}

// DefaultClientConfig keeps trying for a few minutes before giving up on a
// round; the worker tries again at its next interval anyway.
var DefaultClientConfig = ClientConfig{RetryMax: 8, RetryWaitMin: 500 * time.Millisecond, RetryWaitMax: 30 * time.Second, Timeout: 2 * time.Minute}

// Client talks to one hub.
type Client struct {
	base     string
	cred     string
	release  string
	encoding string // see PushEncoding
	http     *retryablehttp.Client
}

// NewClient makes a client for a hub URL.
func NewClient(hubURL, credential string, cfg ClientConfig, log *slog.Logger) (*Client, error) {
	u, err := url.Parse(hubURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hub URL %q must be http:// or https:// with a host", hubURL)
	}
	rc := retryablehttp.NewClient()
	rc.RetryMax, rc.RetryWaitMin, rc.RetryWaitMax = cfg.RetryMax, cfg.RetryWaitMin, cfg.RetryWaitMax
	rc.HTTPClient.Timeout = cfg.Timeout
	rc.CheckRetry = RetryPolicy
	rc.Backoff = func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
		return Backoff(min, max, attempt, resp)
	}
	rc.Logger = nil
	rc.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, attempt int) {
		if attempt > 0 {
			log.Warn("sync: retrying", "path", r.URL.Path, "attempt", attempt)
		}
	}
	// After the last try, hand back the last answer so its problem is read.
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return &Client{base: strings.TrimRight(u.String(), "/"), cred: credential, http: rc}, nil
}

// SetRelease names the release the agent runs on every request.
func (c *Client) SetRelease(v string) { c.release = v }

// HubError is a refusal by the hub, with the problem it sent.
type HubError struct {
	Problem *problem.Problem
}

func (e *HubError) Error() string {
	return "the hub refused the request: " + e.Problem.Error()
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, headers map[string]string, out any) error {
	resp, err := c.send(ctx, method, path, body, headers)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := gojson.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out); err != nil {
		return fmt.Errorf("the hub's answer could not be read: %w", err)
	}
	return nil
}

// send makes a request with the contract's headers and returns a
// successful answer, whose body the caller closes; a refusal is a HubError.
func (c *Client) send(ctx context.Context, method, path string, body []byte, headers map[string]string) (*http.Response, error) {
	var b any
	if body != nil {
		b = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, c.base+path, b)
	if err != nil {
		return nil, err
	}
	req.Header.Set(contract.HeaderProtocol, contract.ProtocolVersion)
	req.Header.Set("Accept", "application/json")
	if c.cred != "" {
		req.Header.Set("Authorization", "Bearer "+c.cred)
	}
	if c.release != "" {
		req.Header.Set(contract.HeaderRelease, c.release)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the hub at %s could not be reached: %w", c.base, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, &HubError{Problem: problem.Read(resp)}
	}
	return resp, nil
}

// File fetches the bytes of a file a release attaches, by its SHA-256,
// reading at most limit bytes. The caller checks the bytes against the hash.
func (c *Client) File(ctx context.Context, sha string, limit int64) ([]byte, string, error) {
	resp, err := c.send(ctx, http.MethodGet, contract.PathFiles+url.PathEscape(sha), nil, map[string]string{"Accept": "*/*"})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("file %s: %w", sha, err)
	}
	if int64(len(b)) > limit {
		return nil, "", fmt.Errorf("file %s is larger than %d bytes", sha, limit)
	}
	return b, resp.Header.Get("Content-Type"), nil
}

// Enroll exchanges a one-time token for the site credential. siteID, when
// not empty, is the site whose data this agent already holds.
func (c *Client) Enroll(ctx context.Context, token, siteID string) (contract.EnrollResponse, error) {
	body, _ := json.Marshal(contract.EnrollRequest{Token: token, SiteID: siteID})
	var out contract.EnrollResponse
	err := c.do(ctx, http.MethodPost, contract.PathEnroll, body, map[string]string{"Content-Type": "application/json"}, &out)
	return out, err
}

// Status asks what the hub holds for the site, and notes from the answer's
// Accept-Encoding (RFC 7694) how the hub takes pushes (PushEncoding).
func (c *Client) Status(ctx context.Context) (contract.StatusResponse, error) {
	var out contract.StatusResponse
	resp, err := c.send(ctx, http.MethodGet, contract.PathStatus, nil, nil)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if err := gojson.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&out); err != nil {
		return out, fmt.Errorf("the hub's answer could not be read: %w", err)
	}
	c.encoding = pushEncoding(resp.Header.Values("Accept-Encoding"))
	return out, nil
}

// PushEncoding is the Content-Encoding of this client's pushes: zstd when
// the hub's last status answer said it takes it, gzip otherwise (every hub
// takes gzip).
func (c *Client) PushEncoding() string {
	if c.encoding == "" {
		return EncodingGzip
	}
	return c.encoding
}

// Pull asks for releases after a cursor.
func (c *Client) Pull(ctx context.Context, cursor string) (contract.PullResponse, error) {
	var out contract.PullResponse
	err := c.do(ctx, http.MethodGet, contract.PathPull+"?cursor="+url.QueryEscape(cursor), nil, nil, &out)
	return out, err
}

// Push sends one batch encoded by EncodeBatch in enc under an idempotency
// key, asking for an answer that lists exceptions only (a hub may answer in
// full: read it with contract.ExpandResults). Retries send the same bytes
// under the same key.
func (c *Client) Push(ctx context.Context, key string, seq int64, body []byte, enc string) (contract.PushResponse, error) {
	var out contract.PushResponse
	err := c.do(ctx, http.MethodPost, contract.PathPush, body, map[string]string{
		"Content-Type":             "application/json",
		"Content-Encoding":         enc,
		contract.HeaderIdempotency: key,
		contract.HeaderBatchSeq:    strconv.FormatInt(seq, 10),
		contract.HeaderPushAnswer:  contract.PushAnswerExceptions,
	}, &out)
	return out, err
}
