package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// nullable are the fields the API description marks nullable: a time or
// an object that is not there yet. Any other null is a list (or a value)
// answered as null where the description promises [] (or a value).
var nullable = map[string]bool{
	"reviewed_at": true, "withdrawn_at": true, "locked_until": true, "payment": true, "updated_at": true,
	"issued_at": true, "code_expires_at": true, "activated_at": true,
}

// nulls lists the paths of the nulls in a JSON value that nullable does
// not allow.
func nulls(path string, v any, out *[]string) {
	switch x := v.(type) {
	case nil:
		key := path[strings.LastIndex(path, ".")+1:]
		if !nullable[key] {
			*out = append(*out, path)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			nulls(path+"."+k, x[k], out)
		}
	case []any:
		for i, e := range x {
			nulls(fmt.Sprintf("%s[%d]", path, i), e, out)
		}
	}
}

// TestNoNullLists walks the JSON answers of the main GET endpoints, for a
// participant with records and for one with none (no goals, plan,
// journal, interests, pairs or outings), and for a cohort without
// meetings or pairs, and fails on any null the API description does not
// allow: an empty list is [].
func TestNoNullLists(t *testing.T) {
	s := newMTSite(t)
	full, empty := s.members[0], s.outsider
	if st := s.call(s.casey, "PUT", "/api/v1/participants/"+full.ID+"/journals/2026-06-15", map[string]any{"answers": map[string]string{"week_summary": "A good week."}}, nil); st != 200 {
		t.Fatalf("journal: %d", st)
	}
	if st := s.call(s.casey, "POST", "/api/v1/cohorts/"+s.group.ID+"/meetings", map[string]any{"held_on": "2026-06-16", "attendance": map[string]bool{}}, nil); st != 201 && st != 422 {
		t.Fatalf("meeting: %d", st)
	}
	paths := []string{
		"/api/v1/participants", "/api/v1/coaches", "/api/v1/cohorts", "/api/v1/audit", "/api/v1/release", "/api/v1/sync",
		"/api/v1/cohorts/" + s.group.ID, "/api/v1/cohorts/" + s.group.ID + "/meetings", "/api/v1/cohorts/" + s.group.ID + "/pairs",
		"/api/v1/cohorts/" + s.group.ID + "/lesson-plans", "/api/v1/cohorts/" + s.group.ID + "/lesson-plans?date=2026-01-12",
		"/api/v1/cohorts/" + s.oneToOne.ID, "/api/v1/cohorts/" + s.oneToOne.ID + "/meetings", "/api/v1/cohorts/" + s.oneToOne.ID + "/pairs",
	}
	for _, p := range []string{full.ID, empty.ID} {
		for _, sub := range []string{"", "/interviews", "/journals", "/goals", "/stipend", "/stipend?month=2026-01", "/stipend?month=2025-12", "/pairing-profile", "/pairs", "/outings", "/journal-access"} {
			paths = append(paths, "/api/v1/participants/"+p+sub)
		}
	}
	for _, path := range paths {
		st, ctype, body := s.do(s.dir, http.MethodGet, path, "", nil)
		if st != 200 || !strings.HasPrefix(ctype, "application/json") {
			t.Errorf("GET %s: %d %s", path, st, ctype)
			continue
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		var found []string
		nulls("", v, &found)
		if len(found) > 0 {
			t.Errorf("GET %s answers null at %s", path, strings.Join(found, ", "))
		}
	}
}
