package deident

import "testing"

func TestFindTrace(t *testing.T) {
	for text, kind := range map[string]string{
		"was hospitalized on 2026-12-03, what now":     "a date",
		"seen on 12/3/2026":                            "a date",
		"since December 3rd she has not come":          "a date",
		"born 3 March":                                 "a date",
		"call 555-0141 for details":                    "a phone number",
		"at +1 (804) 555 0199":                         "a phone number",
		"write to skyler.oak@example.org":              "an email address",
		"lives at 554 Example Street near the library": "a street address",
		"moved to 12 Oak Lane":                         "a street address",
	} {
		tr, ok := FindTrace(text)
		if !ok || tr.Kind != kind {
			t.Errorf("%q: %v %q, want %s", text, ok, tr, kind)
		}
	}
	for _, text := range []string{
		"How should we pair an odd number of members in a cohort of 7?",
		"Our stipend budget is $1,200 a year; is that enough for 12 months?",
		"Two coaches left last month; how do we cover their caseloads?",
		"May we hold meetings online in winter?",
		"The 2026.1 release asks 25 indicators.",
		"How often should new coaches meet? zqta12345678",
	} {
		if tr, ok := FindTrace(text); ok {
			t.Errorf("%q: found %v", text, tr)
		}
	}
}

func TestNamesWord(t *testing.T) {
	for _, c := range []struct {
		text, name string
		want       bool
	}{
		{"Help with Skyler Oak", "Skyler Oak", true},
		{"help with skyler oak", "Skyler Oak", false}, // not written as a name
		{"Skyler missed three meetings", "Skyler", true},
		{"Oak has not come since", "Oak", true},
		{"we met under an oak tree", "Oak", false},
		{"Oakley came", "Oak", false},
		{"Al came", "Al", false},
		{"José came", "José", true},
	} {
		if got := NamesWord(c.text, c.name); got != c.want {
			t.Errorf("NamesWord(%q, %q) = %v", c.text, c.name, got)
		}
	}
}
