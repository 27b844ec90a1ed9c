package syncer

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/itsmylife/iml/pkg/problem"
)

// TestFinalRefusal: only a refusal that retrying cannot fix marks a TA
// request refused for good; an unreachable hub, a credential problem, a
// timeout, throttling and the hub's own failures leave it queued.
func TestFinalRefusal(t *testing.T) {
	refused := func(status int) error {
		return &HubError{Problem: problem.New(status, problem.TypeValidation, "subject: is required")}
	}
	for _, c := range []struct {
		err   error
		final bool
	}{
		{refused(http.StatusUnprocessableEntity), true},
		{refused(http.StatusConflict), true},
		{refused(http.StatusRequestEntityTooLarge), true},
		{refused(http.StatusBadRequest), true},
		{refused(http.StatusUnauthorized), false},
		{refused(http.StatusForbidden), false},
		{refused(http.StatusRequestTimeout), false},
		{refused(http.StatusTooManyRequests), false},
		{refused(http.StatusInternalServerError), false},
		{refused(http.StatusServiceUnavailable), false},
		{fmt.Errorf("the hub at http://hub could not be reached: %w", errors.New("connection refused")), false},
		{nil, false},
	} {
		reason, final := final(c.err)
		if final != c.final {
			t.Errorf("%v: final %v, want %v", c.err, final, c.final)
		}
		if final && reason != "subject: is required" {
			t.Errorf("%v: reason %q", c.err, reason)
		}
	}
}
