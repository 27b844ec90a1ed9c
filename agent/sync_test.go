package main

import (
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/syncer"
)

// TestSyncSummary: agent sync says when another round of the running
// agent sent the records before it, instead of only "0 records sent".
func TestSyncSummary(t *testing.T) {
	for _, c := range []struct {
		res       syncer.Result
		want, not string
	}{
		{syncer.Result{Sent: 5}, "5 records sent", "another"},
		{syncer.Result{Waited: true, Before: &store.LastRound{Sent: 5}}, "another sync round of the running agent sent 5 records just before this one, so nothing was left to send", ""},
		{syncer.Result{Sent: 2, Waited: true, Before: &store.LastRound{Sent: 5}}, "2 records sent", "nothing was left"},
		{syncer.Result{Waited: true, Before: &store.LastRound{}}, "waited for another sync round of the running agent", ""},
	} {
		got := summary(c.res)
		if !strings.Contains(got, c.want) || (c.not != "" && strings.Contains(got, c.not)) {
			t.Errorf("%+v: %q, want %q without %q", c.res, got, c.want, c.not)
		}
	}
}
