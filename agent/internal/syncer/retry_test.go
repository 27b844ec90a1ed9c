package syncer

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

func TestRetryPolicy(t *testing.T) {
	ctx := context.Background()
	connErr := &url.Error{Op: "Post", URL: "http://hub", Err: errors.New("connection reset by peer")}
	for name, c := range map[string]struct {
		code int // 0: no response
		err  error
		want bool
	}{
		"connection error":    {0, connErr, true},
		"429":                 {429, nil, true},
		"408":                 {408, nil, true},
		"500":                 {500, nil, true},
		"503":                 {503, nil, true},
		"501 is final":        {501, nil, false},
		"400 is final":        {400, nil, false},
		"401 is final":        {401, nil, false},
		"403 is final":        {403, nil, false},
		"413 is final":        {413, nil, false},
		"422 is final":        {422, nil, false},
		"200 needs no retry":  {200, nil, false},
		"bad scheme is final": {0, &url.Error{Op: "Post", URL: "ftp://x", Err: errors.New("unsupported protocol scheme \"ftp\"")}, false},
	} {
		var resp *http.Response
		if c.code != 0 {
			resp = &http.Response{StatusCode: c.code, Header: http.Header{}, Body: http.NoBody}
		}
		got, _ := RetryPolicy(ctx, resp, c.err)
		if resp != nil {
			resp.Body.Close()
		}
		if got != c.want {
			t.Errorf("%s: retry = %v, want %v", name, got, c.want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if got, _ := RetryPolicy(cancelled, nil, connErr); got {
		t.Error("retries after the context ended")
	}
}

func TestBackoff(t *testing.T) {
	min, max := 100*time.Millisecond, 5*time.Second
	seen := map[time.Duration]bool{}
	for attempt := 0; attempt < 8; attempt++ {
		for i := 0; i < 50; i++ {
			d := Backoff(min, max, attempt, nil)
			ceiling := min << attempt
			if ceiling > max {
				ceiling = max
			}
			if d < min || d > ceiling {
				t.Fatalf("attempt %d: wait %s outside [%s, %s]", attempt, d, min, ceiling)
			}
			seen[d] = true
		}
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct waits: no jitter", len(seen))
	}
	ra := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": []string{"3"}}}
	if d := Backoff(min, max, 0, ra); d != 3*time.Second {
		t.Errorf("Retry-After 3 gives %s", d)
	}
	ra.Header.Set("Retry-After", "120")
	if d := Backoff(min, max, 0, ra); d != max {
		t.Errorf("a Retry-After beyond the maximum gives %s, want %s", d, max)
	}
	ra.Header.Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
	if d := Backoff(min, max, 0, ra); d < time.Second || d > 2*time.Second {
		t.Errorf("Retry-After as a date gives %s", d)
	}
}

// A hub whose certificate does not verify is not retried: only a person can
// fix it.
func TestCertificateErrorsAreFinal(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c, err := NewClient(srv.URL, "", ClientConfig{RetryMax: 5, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond, Timeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	tries := 0
	c.http.RequestLogHook = func(_ retryablehttp.Logger, _ *http.Request, attempt int) { tries = attempt + 1 }
	_, err = c.Status(context.Background())
	if err == nil || tries != 1 {
		t.Fatalf("status against an untrusted certificate: %d tries, %v", tries, err)
	}
}
