// Package routetest holds what the hub's and the agent's route-wide tests
// share: the check that every route registered on an engine is classified
// in a test's authorization matrix, and the hostile values each field of
// every route is sent in turn.
package routetest

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// Classified reports each route registered on engine that matrix (keyed
// "METHOD /pattern") does not classify, and each row of matrix that is
// not registered, as a test error; it returns the registered routes the
// matrix classifies, in the engine's order.
func Classified[R any](t testing.TB, engine *gin.Engine, matrix map[string]R) gin.RoutesInfo {
	t.Helper()
	registered := map[string]bool{}
	for _, r := range engine.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	for key := range matrix {
		if !registered[key] {
			t.Errorf("%s is in the authorization matrix but not registered: remove the row", key)
		}
	}
	var out gin.RoutesInfo
	for _, r := range engine.Routes() {
		if _, ok := matrix[r.Method+" "+r.Path]; !ok {
			t.Errorf("route %s %s is not in the authorization matrix (matrix_test.go): classify it", r.Method, r.Path)
			continue
		}
		out = append(out, r)
	}
	return out
}

// HostileValue is what one field of a request is replaced with, and
// whether every route must refuse it.
type HostileValue struct {
	Name    string
	Value   any
	Refused bool
}

// Twice is the value of a field sent twice: a form's field with both
// values, a JSON object with the key twice (TwiceJSON).
type Twice [2]string

// HostileValues are the values each field is sent with in turn: empty,
// with a control or invisible character, 100,000 characters long, a
// number past every bound, and sent twice. A control or invisible
// character and a huge text are refused whatever the field.
var HostileValues = []HostileValue{
	{"empty", "", false},
	{"control character", "Hope\x00\x07 House", true},
	{"bidi override", "Hope\u202e House", true},
	{"100,000 characters", strings.Repeat("x", 100_000), true},
	{"huge negative number", "-99999999999999999999999", false},
	{"not a number", "1e309", false},
	{"sent twice", Twice{"first", "second"}, false},
}

// TwiceJSON is body as a JSON object with field first given v[0], then,
// with the rest of body, v[1]: the key twice in one object.
func TwiceJSON(body map[string]any, field string, v Twice) ([]byte, error) {
	one, err := json.Marshal(map[string]any{field: v[0]})
	if err != nil {
		return nil, err
	}
	rest := maps.Clone(body)
	rest[field] = v[1]
	b, err := json.Marshal(rest)
	if err != nil {
		return nil, err
	}
	return append(append(one[:len(one)-1:len(one)-1], ','), bytes.TrimPrefix(b, []byte("{"))...), nil
}
