package jsonx

import (
	"errors"
	"strings"
	"testing"
)

type body struct {
	Email string `json:"email"`
	Count int    `json:"count"`
	Tags  []struct {
		Name string `json:"name"`
	} `json:"tags"`
}

func TestStrict(t *testing.T) {
	cases := []struct{ in, err string }{
		{`{"email":"a@b.example","count":2,"tags":[{"name":"x"}]}`, ""},
		{`{"email":"Jane Doe","email":"a@b.example"}`, "more than once"},
		{`{"email":"a@b.example","em\u0061il":"Jane"}`, "more than once"},
		{`{"tags":[{"name":"a","name":"b"}]}`, "more than once"},
		{`{"Email":"a@b.example"}`, "unknown field"},
		{`{"email":"a@b.example","ssn":"123"}`, "unknown field"},
		{`{"count":"2"}`, "/count"},
		{`{"count":1e400}`, "count: Enter a whole number"},
		{`{"count":2.5}`, "count: Enter a whole number"},
		{`{"count":99999999999999999999}`, "count: Enter a whole number"},
		{`{"email":"a"} {"email":"b"}`, "after top-level value"},
		{"{\"email\":\"\xff\"}", "UTF-8"},
		{`{"email":"a`, "ends before"},
		{``, "ends before"},
		{`[]`, "array"},
		{`{"email":"a\u0000b"}`, "email holds a control"},
		{`{"tags":[{"name":"ok"},{"name":"\u202eevil"}]}`, "tags[1].name holds a control"},
	}
	for _, c := range cases {
		var b body
		err := Unmarshal([]byte(c.in), &b)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: want an error with %q, got %v", c.in, c.err, err)
		}
	}
}

func TestReadLimit(t *testing.T) {
	var b body
	if err := Read(strings.NewReader(`{"email":"`+strings.Repeat("a", 100)+`"}`), 50, &b); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	if err := Read(strings.NewReader(`{"email":"a"}`), 50, &b); err != nil || b.Email != "a" {
		t.Fatalf("got %v %+v", err, b)
	}
}

func TestUnmarshalNewer(t *testing.T) {
	var b body
	if err := UnmarshalNewer([]byte(`{"email":"a@b.example","added_later":{"x":1}}`), &b); err != nil || b.Email != "a@b.example" {
		t.Fatalf("%+v %v", b, err)
	}
	if err := UnmarshalNewer([]byte(`{"email":"a","email":"b"}`), &b); err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Fatalf("a name sent twice: %v", err)
	}
}

// TestNullIsNotAValue: a null where a boolean, string or number is
// expected is refused, naming where (an interview answer of null must not
// become "not present"); a pointer field may be null.
func TestNullIsNotAValue(t *testing.T) {
	type body struct {
		Answers map[string]bool `json:"answers"`
		Name    string          `json:"name"`
		Count   int             `json:"count"`
		Maybe   *bool           `json:"maybe"`
		List    []string        `json:"list"`
	}
	for _, in := range []string{`{"answers":{"a":true,"b":null}}`, `{"name":null}`, `{"count":null}`, `{"list":["x",null]}`} {
		var v body
		err := Unmarshal([]byte(in), &v)
		if err == nil || !strings.Contains(err.Error(), "null is not a value here") {
			t.Errorf("%s: %v", in, err)
		}
	}
	var v body
	if err := Unmarshal([]byte(`{"maybe":null,"list":null,"answers":{"a":false}}`), &v); err != nil || v.Maybe != nil || v.Answers["a"] {
		t.Errorf("pointer and list null: %v %+v", err, v)
	}
}
