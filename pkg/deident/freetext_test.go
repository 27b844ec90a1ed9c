package deident

import "testing"

func TestFindTrace(t *testing.T) {
	for text, kind := range map[string]string{
		"was hospitalized on 2026-12-03, what now":     "a date",
		"seen on 12/3/2026":                            "a date",
		"since December 3rd she has not come":          "a date",
		"born 3 March":                                 "a date",
		"call 555-0141 for details":                    "a phone, ID or record number",
		"at +1 (804) 555 0199":                         "a phone, ID or record number",
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

// TestNamesPerson: a participant's name is found however it is written
// as a name: possessive (straight or curly apostrophe), hyphenated,
// reversed, fullwidth, in capitals, the whole name in lower case, or a
// part of a double name; a demo suffix in parentheses is not part of it.
// Ordinary words that are also parts of names are not names in lower case.
func TestNamesPerson(t *testing.T) {
	first, last := "Casey", "Birch-Gonzalez (demo)"
	for _, text := range []string{
		"Casey's mother called", "Casey\u2019s mother called", "Gonzalez's mother", "Birch-Gonzalez family",
		"casey-birch stopped coming", "casey birch stopped coming", "Birch, Casey", "\uff23\uff41\uff53\uff45\uff59 left",
		"CASEY left", "Ms Gonzalez left", "C. Birch stopped coming", "(Casey) left", "Mr.Gonzalez left",
	} {
		if _, ok := NamesPerson(text, first, last); !ok {
			t.Errorf("%q: not found", text)
		}
	}
	for _, text := range []string{"we met under a birch tree", "the demo went well", "Casual meetings help"} {
		if name, ok := NamesPerson(text, first, last); ok {
			t.Errorf("%q: found %q", text, name)
		}
	}
	if tr, ok := FindTrace("Record number 019b76da-a800-7971-8000-0123456789ab"); !ok || tr.Kind != "a record number" {
		t.Errorf("a record id: %v %v", tr, ok)
	}
	if tr, ok := FindTrace("SSN 123-45-6789"); !ok || tr.Kind != "a phone, ID or record number" {
		t.Errorf("an SSN: %v %v", tr, ok)
	}
}
