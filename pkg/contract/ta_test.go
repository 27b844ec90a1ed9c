package contract_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/contract"
)

func TestValidateTARequest(t *testing.T) {
	ok := contract.TARequestWire{ID: "019b76da-a800-7007-8a1e-5d0c2f9e4b11", Subject: "Supervision", Category: "coaching", Text: "How often?", RaisedAt: time.Now()}
	if err := contract.ValidateTARequest(ok); err != nil {
		t.Fatalf("valid request refused: %v", err)
	}
	for _, c := range []struct {
		field  string
		change func(*contract.TARequestWire)
	}{
		{"id", func(r *contract.TARequestWire) { r.ID = "1" }},
		{"id", func(r *contract.TARequestWire) { r.ID = strings.ToUpper(r.ID) }},
		{"subject", func(r *contract.TARequestWire) { r.Subject = "  " }},
		{"subject", func(r *contract.TARequestWire) { r.Subject = strings.Repeat("é", contract.MaxTASubjectRunes+1) }},
		{"subject", func(r *contract.TARequestWire) { r.Subject = "a\x00b" }},
		{"category", func(r *contract.TARequestWire) { r.Category = "Coaching" }},
		{"text", func(r *contract.TARequestWire) { r.Text = "" }},
		{"text", func(r *contract.TARequestWire) { r.Text = "\xff" }},
		{"text", func(r *contract.TARequestWire) { r.Text = strings.Repeat("x", contract.MaxTATextRunes+1) }},
		{"raised_at", func(r *contract.TARequestWire) { r.RaisedAt = time.Time{} }},
	} {
		r := ok
		c.change(&r)
		var fe *contract.TAFieldError
		if err := contract.ValidateTARequest(r); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: error %v", c.field, err)
		}
	}
	// The longest valid request, in four-byte characters, fits the body bound.
	longest := ok
	longest.Subject = strings.Repeat("😀", contract.MaxTASubjectRunes)
	longest.Text = strings.Repeat("😀", contract.MaxTATextRunes)
	if err := contract.ValidateTARequest(longest); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(longest)
	if len(b) > contract.MaxTARequestBytes {
		t.Fatalf("the longest valid request is %d bytes, over the bound of %d", len(b), contract.MaxTARequestBytes)
	}
	// The hash covers the content, not the envelope.
	other := ok
	other.RaisedAt = ok.RaisedAt.Add(time.Hour)
	if other.Hash() != ok.Hash() {
		t.Fatal("the hash depends on the time raised")
	}
	other.Text += "!"
	if other.Hash() == ok.Hash() {
		t.Fatal("the hash does not cover the text")
	}
}
