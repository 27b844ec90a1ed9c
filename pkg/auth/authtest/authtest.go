// Package authtest helps the tests of sign-in lockout: a burst of attempts
// at once, and the check of how the lockout answered them.
package authtest

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/itsmylife/iml/pkg/auth"
)

// Burst starts n attempts (try) that all wait for the same start and are
// released together; wait waits for every one and returns their errors.
func Burst(n int, try func() error) (wait func() []error) {
	errs := make(chan error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			errs <- try()
		})
	}
	close(start)
	return func() []error {
		wg.Wait()
		close(errs)
		var out []error
		for err := range errs {
			out = append(out, err)
		}
		return out
	}
}

// CheckLockout fails the test unless exactly auth.MaxFailures of a burst's
// wrong passwords were checked (refused as bad, errors.Is) and the rest
// refused as locked (auth.ErrLocked); any other answer is an error of the
// test.
func CheckLockout(t *testing.T, errs []error, bad error) {
	t.Helper()
	checked, locked := 0, 0
	for _, err := range errs {
		switch {
		case errors.Is(err, bad):
			checked++
		case errors.Is(err, auth.ErrLocked):
			locked++
		default:
			t.Errorf("an attempt of the burst: %v", err)
		}
	}
	if checked != auth.MaxFailures || locked != len(errs)-auth.MaxFailures {
		t.Fatalf("%d wrong passwords at once: %d checked, %d refused as locked; want %d and %d", len(errs), checked, locked, auth.MaxFailures, len(errs)-auth.MaxFailures)
	}
}

// Reply is one answer of an HTTP burst.
type Reply struct {
	Status                  int
	RetryAfter, ContentType string
	Body                    string
}

// BurstHTTP sends n requests at once (each made by req(i)) with client,
// all released together, and returns the answers in order; a request that
// could not be sent, or an answer of 500 or more, fails the test.
func BurstHTTP(t testing.TB, client *http.Client, n int, req func(i int) *http.Request) []Reply {
	t.Helper()
	out := make([]Reply, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		r := req(i)
		wg.Go(func() {
			<-start
			resp, err := client.Do(r)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			out[i], errs[i] = Reply{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), ContentType: resp.Header.Get("Content-Type"), Body: string(b)}, err
		})
	}
	close(start)
	wg.Wait()
	for i, r := range out {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if r.Status >= 500 {
			t.Fatalf("a request of the burst answered %d: %s", r.Status, r.Body)
		}
	}
	return out
}
