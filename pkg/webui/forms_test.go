package webui

import (
	"reflect"
	"testing"
)

// TestErrorItems: a summary lists the mistakes in the form's order, then
// the others by name; each links to its element (prefix+field, a named
// id, or its group's).
func TestErrorItems(t *testing.T) {
	errs := map[string]string{"zeta": "Enter zeta", "state": "Enter a two-letter state code such as VA",
		"name": "is required", "attendance.7": "Choose present or absent", "when": "Enter a date such as 2026-03-04"}
	got := ErrorItems(errs, "name state when=w-when attendance", "p-")
	want := []ErrorItem{
		{"#p-name", "Name is required."},
		{"#p-state", "Enter a two-letter state code such as VA."},
		{"#w-when", "Enter a date such as 2026-03-04."},
		{"#p-attendance", "Choose present or absent."},
		{"#p-zeta", "Enter zeta."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ErrorItems = %+v, want %+v", got, want)
	}
}

// TestInvalid: a field with a message is marked invalid and names the
// message after its hints; one without names its hints alone.
func TestInvalid(t *testing.T) {
	errs := map[string]string{"name": "Enter a name"}
	if got := string(Invalid(errs, "name", "name-hint")); got != ` aria-invalid="true" aria-describedby="name-hint err-name"` {
		t.Errorf("a field with a message: %s", got)
	}
	if got := string(Invalid(errs, "state", "state-hint")); got != ` aria-describedby="state-hint"` {
		t.Errorf("a field without: %s", got)
	}
	if got := string(Invalid(nil, "state")); got != "" {
		t.Errorf("no mistakes, no hints: %q", got)
	}
}
