package deident

import (
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// A Trace is something in a free text that can identify or date a person:
// what kind it is, in words, and the text that matched.
type Trace struct {
	Kind, Match string
}

// tracePatterns find what identifies or dates someone whatever the site:
// exact dates, email addresses, phone numbers and street addresses. They
// lean to refusing: a person rewrites "on 2026-12-03" as "last week".
var tracePatterns = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"an email address", regexp.MustCompile(`[^\s@<>()]+@[^\s@<>()]+\.[A-Za-z]{2,}`)},
	{"a date", regexp.MustCompile(`\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b`)},
	{"a date", regexp.MustCompile(`(?i)\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{1,2}(?:st|nd|rd|th)?\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b`)},
	{"a record number", regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)},
	{"a phone, ID or record number", regexp.MustCompile(`(?:\+|\b)\d(?:[\s().-]{0,2}\d){6,}\b`)},
	{"a street address", regexp.MustCompile(`(?i)\b\d+\s+(?:[A-Za-z]+\s+){1,3}(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|terrace|circle)\b\.?`)},
}

// FindTrace returns the first thing in text that can identify or date a
// person whoever they are (an exact date, an email address, a phone
// number, a street address), if any. The text is correspondence that
// leaves a site, so it must describe situations, not people.
func FindTrace(text string) (Trace, bool) {
	text = Fold(text)
	for _, p := range tracePatterns {
		if m := p.re.FindString(text); m != "" {
			return Trace{Kind: p.kind, Match: strings.TrimSpace(m)}, true
		}
	}
	return Trace{}, false
}

// Fold writes text in its compatibility form (fullwidth and other
// look-alike letters as the plain ones, NFKC) with typographic
// apostrophes as plain ones, so a name is found however it was typed.
func Fold(text string) string {
	return strings.NewReplacer("\u2019", "'", "\u2018", "'", "\u02bc", "'").Replace(norm.NFKC.String(text))
}

// NameParts are the words of a name as a person may write it alone:
// what is in parentheses is left out ("Elm (demo)" is "Elm"), and a
// double name is also its parts ("Gonzalez-Smith": "Gonzalez", "Smith").
func NameParts(name string) []string {
	var out []string
	depth := 0
	name = strings.Map(func(r rune) rune {
		switch r {
		case '(':
			depth++
			return ' '
		case ')':
			depth--
			return ' '
		}
		if depth > 0 {
			return ' '
		}
		return r
	}, Fold(name))
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r == '-' || r == '\t' }) {
		if len([]rune(w)) >= 3 {
			out = append(out, w)
		}
	}
	return out
}

// A Text is a free text folded once (Fold) and lowered once, for the
// searches of many people's names in it.
type Text struct{ folded, lower string }

// NewText folds text for the searches.
func NewText(text string) Text {
	f := Fold(text)
	l := strings.ToLower(f)
	if len(l) != len(f) {
		// A letter whose lower case is longer or shorter: search the
		// lowered text alone (a name in any case is then found).
		f = l
	}
	return Text{folded: f, lower: l}
}

// Contains says whether the text holds v, in any case.
func (t Text) Contains(v string) bool { return strings.Contains(t.lower, strings.ToLower(Fold(v))) }

// NamesPerson says whether text names a person whose first and last names
// are given (Text.NamesPerson).
func NamesPerson(text, first, last string) (string, bool) {
	return NewText(text).NamesPerson(first, last)
}

// NamesPerson says whether the text names a person whose first and last
// names are given: the whole name in any case, its parts joined by spaces
// or hyphens ("casey-birch", "Birch, Casey"), or one part written with a
// capital as a name is ("Casey's mother", "Ms Birch"). It gives the part
// or name found.
func (t Text) NamesPerson(first, last string) (string, bool) {
	firsts, lasts := NameParts(first), NameParts(last)
	for _, f := range firsts {
		for _, l := range lasts {
			for _, whole := range []string{f + " " + l, f + "-" + l, l + ", " + f, l + " " + f} {
				if t.wordAt(strings.ToLower(whole), false) {
					return f + " " + l, true
				}
			}
		}
	}
	for _, part := range append(firsts, lasts...) {
		if t.wordAt(strings.ToLower(part), true) {
			return part, true
		}
	}
	return "", false
}

// NamesWord says whether text holds name as a whole word (or words),
// written with a capital as a name is: "Oak" is found in "Skyler Oak
// called", "Oak's" and "Oak-Smith", not in "an oak tree". Names of one or
// two letters are not looked for.
func NamesWord(text, name string) bool {
	name = strings.TrimSpace(Fold(name))
	return len([]rune(name)) >= 3 && NewText(text).wordAt(strings.ToLower(name), true)
}

// wordAt says whether the text holds word (lower case) with word edges on
// both sides, and, when capital, beginning with a capital letter.
func (t Text) wordAt(word string, capital bool) bool {
	for from := 0; ; {
		i := strings.Index(t.lower[from:], word)
		if i < 0 {
			return false
		}
		i += from
		if wordEdge(t.lower, i-1) && wordEdge(t.lower, i+len(word)) && (!capital || isUpper(t.folded[i])) {
			return true
		}
		from = i + 1
	}
}

func wordEdge(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	c := s[i]
	return (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c < 0x80
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 0x80 }
