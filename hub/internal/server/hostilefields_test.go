package server_test

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/routetest"
)

// TestEveryFieldRefusesHostileValues sends every route of the
// authorization matrix that takes a body again and again, as a role
// allowed to use it, with one field at a time made hostile: empty, with a
// control or invisible character, 100,000 characters long, a number past
// every bound, and sent twice (a form field twice, a JSON key twice).
// Never a 5xx; a refused request changes nothing; a control character or
// a huge text is always refused, whatever the field.
func TestEveryFieldRefusesHostileValues(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		f := newFixture(t, h)
		for _, key := range slices.Sorted(maps.Keys(matrix)) {
			rt := matrix[key]
			if len(rt.body) == 0 || rt.raw != nil || rt.upload || rt.access == siteOnly || rt.freshSession {
				continue
			}
			method := strings.Fields(key)[0]
			var c *caller
			if len(rt.roles) > 0 {
				c = f.callers[rt.roles[0]]
			}
			page := rt.access == staffPage || (rt.access == public && !strings.HasPrefix(key, method+" /api/"))
			base := f.fillBody(rt.body)
			for _, field := range slices.Sorted(maps.Keys(base)) {
				for _, hv := range routetest.HostileValues {
					sent := rt
					sent.body = maps.Clone(base)
					sent.body[field] = hv.Value
					if tw, ok := hv.Value.(routetest.Twice); ok {
						sent.body[field] = tw[:] // a form: the field twice
						if !page {
							// JSON: the key twice in one object.
							raw, err := routetest.TwiceJSON(base, field, tw)
							if err != nil {
								t.Fatal(err)
							}
							sent.raw = func(*fixture) []byte { return raw }
						}
					}
					before := h.state(t)
					resp, b := h.call(t, f, method, sent, rt.path(f), c)
					what := key + " " + field + " " + hv.Name
					if resp.StatusCode >= 500 {
						t.Errorf("%s: %d: %.300s", what, resp.StatusCode, b)
						continue
					}
					if hv.Refused && resp.StatusCode < 400 {
						t.Errorf("%s: accepted with %d", what, resp.StatusCode)
					}
					if resp.StatusCode >= 400 {
						if after := h.state(t); !mapsEqual(before, after) {
							t.Errorf("%s: refused with %d, and the database changed", what, resp.StatusCode)
						}
						ct := resp.Header.Get("Content-Type")
						if page && !strings.HasPrefix(ct, "text/html") && resp.StatusCode != http.StatusTooManyRequests {
							t.Errorf("%s: a page answered %d with %q, not a page", what, resp.StatusCode, ct)
						}
						if !page && !strings.HasPrefix(ct, "application/problem+json") {
							t.Errorf("%s: the API answered %d with %q, not a problem", what, resp.StatusCode, ct)
						}
					}
				}
			}
		}
	})
}
