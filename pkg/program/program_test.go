package program

import (
	"strings"
	"testing"
)

func TestDefaultRelease(t *testing.T) {
	r := Default()
	if got := len(r.POM.Items); got != 13 {
		t.Fatalf("POM indicators = %d, want 13", got)
	}
	if got := len(r.Survey.Statements); got != 11 {
		t.Fatalf("survey statements = %d, want 11", got)
	}
	if r.Stipend.MonthlyCents != 6000 {
		t.Fatalf("stipend = %d cents, want 6000", r.Stipend.MonthlyCents)
	}
	pp, ok := r.Schedule(ModelPeerPartners)
	if !ok || pp.Months[5].Title != "Thoughts & Beliefs" {
		t.Fatalf("peer partners month 6 = %+v", pp.Months[5])
	}
	_, sum1 := r.Canonical()
	_, sum2 := Default().Canonical()
	if sum1 != sum2 {
		t.Fatal("canonical form is not stable")
	}
}

func TestParseRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"unknown field": `{"version":"x","pom":{"items":[{"code":"a","text":"a"}]},"peer_partner_groups":{"min":6,"max":12},"extra":1}`,
		"no group rule": `{"version":"x","pom":{"items":[{"code":"a","text":"a"}]}}`,
		"bad code":      `{"version":"x","pom":{"items":[{"code":"A B","text":"a"}]}}`,
		"dup code":      `{"version":"x","pom":{"items":[{"code":"a","text":"a"},{"code":"a","text":"b"}]}}`,
		"no version":    `{"pom":{"items":[{"code":"a","text":"a"}]}}`,
		"short year":    `{"version":"x","pom":{"items":[{"code":"a","text":"a"}]},"themes":[{"model":"m","months":[{"month":1}]}]}`,
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "release") {
			t.Errorf("%s: error %q does not say where", name, err)
		}
	}
}
