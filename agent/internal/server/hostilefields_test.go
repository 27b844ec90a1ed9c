package server_test

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/routetest"
)

// TestAgentEveryFieldRefusesHostileValues sends every route of the
// agent's authorization matrix that takes a body again and again, as the
// first caller allowed to use it, with one field at a time made hostile
// (routetest.HostileValues): empty, with a control or invisible
// character, 100,000 characters long, a number past every bound, and
// sent twice (a form field twice, a JSON key twice). Never a 5xx; a
// refused request changes nothing and answers a page (the pages) or a
// problem (the API); a control or invisible character or a huge text is
// always refused, whatever the field (but by a route that reads no body:
// the set-up form of a site set up already goes to the sign-in page
// whatever it holds, and changes nothing).
func TestAgentEveryFieldRefusesHostileValues(t *testing.T) {
	s := newMXSite(t)
	for _, key := range slices.Sorted(maps.Keys(agentMatrix)) {
		rt := agentMatrix[key]
		if len(rt.body) == 0 {
			continue
		}
		method, path := strings.Fields(key)[0], s.fill(rt.path)
		var first *mxCaller
		for _, c := range s.callers() {
			if s.allowed(rt.may, c) {
				first = c
				break
			}
		}
		base := s.fillAny(rt.body).(map[string]any)
		for _, field := range slices.Sorted(maps.Keys(base)) {
			for _, hv := range routetest.HostileValues {
				body := maps.Clone(base)
				body[field] = hv.Value
				var raw []byte
				if tw, ok := hv.Value.(routetest.Twice); ok && isAPI(path) {
					var err error
					raw, err = routetest.TwiceJSON(base, field, tw)
					s.must(err)
				}
				c := first
				if rt.signsOut {
					c = s.fresh(c)
				}
				before := s.state()
				a := s.send(method, rt, c, body, raw)
				what := key + " " + field + " " + hv.Name
				if a.status >= 500 {
					t.Errorf("%s: %d: %s", what, a.status, a.gist())
					continue
				}
				if rt.readsNothing != "" && a.status < 400 {
					if a.status != http.StatusSeeOther || a.header.Get("Location") != rt.readsNothing {
						t.Errorf("%s: %d to %q, want 303 to %s, as for any form", what, a.status, a.header.Get("Location"), rt.readsNothing)
					}
					if after := s.state(); !maps.Equal(before, after) {
						t.Errorf("%s: %v changed", what, changed(before, after))
					}
					continue
				}
				if hv.Refused && a.status < 400 {
					t.Errorf("%s: accepted with %d", what, a.status)
				}
				if a.status < 400 {
					continue
				}
				if after := s.state(); !maps.Equal(before, after) {
					t.Errorf("%s: refused with %d, and %v changed", what, a.status, changed(before, after))
				}
				ct := a.header.Get("Content-Type")
				if api := isAPI(path); !api && !strings.HasPrefix(ct, "text/html") && a.status != http.StatusTooManyRequests {
					t.Errorf("%s: a page answered %d with %q, not a page", what, a.status, ct)
				} else if api && !strings.HasPrefix(ct, "application/problem+json") {
					t.Errorf("%s: the API answered %d with %q, not a problem", what, a.status, ct)
				}
			}
		}
	}
}
