package problem

import (
	"fmt"
	"net/http"
	"testing"
)

func TestFromInvalid(t *testing.T) {
	one := fmt.Errorf("saving: %w", &Invalid{Field: "first_name", Msg: "is required"})
	p := FromInvalid(one)
	if p == nil || p.Status != http.StatusUnprocessableEntity || p.Type != TypeValidation {
		t.Fatalf("one field: %+v", p)
	}
	if p.Detail != "First name is required. Nothing was changed." {
		t.Errorf("detail %q", p.Detail)
	}
	if len(p.Errors) != 1 || p.Errors[0].Field != "first_name" {
		t.Errorf("errors %+v", p.Errors)
	}

	many := Invalids{{"a", "must be a date"}, {"b", "at most 100 characters"}, {"a", "again"}}
	p = FromInvalid(fmt.Errorf("wrapped: %w", many))
	if p == nil || len(p.Errors) != 3 || p.Detail != "Some fields need attention; nothing was changed." {
		t.Fatalf("several: %+v", p)
	}
	msgs, ok := FieldMessages(many)
	if !ok || len(msgs) != 2 || msgs["a"] != "must be a date" {
		t.Errorf("field messages %v", msgs)
	}

	if FromInvalid(fmt.Errorf("database gone")) != nil {
		t.Error("a server failure became a validation problem")
	}
	if _, ok := Fields(nil); ok {
		t.Error("nil holds field mistakes")
	}
}

func TestSentence(t *testing.T) {
	for _, c := range []struct {
		in   Invalid
		want string
	}{
		{Invalid{"held_on", "must be a date as YYYY-MM-DD"}, "Held on must be a date as YYYY-MM-DD. Nothing was changed."},
		{Invalid{"name", "A name is needed."}, "A name is needed. Nothing was changed."},
		{Invalid{"x", ""}, "X is not valid. Nothing was changed."},
	} {
		if got := c.in.Sentence(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.in, got, c.want)
		}
	}
}
