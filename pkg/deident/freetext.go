package deident

import (
	"regexp"
	"strings"
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
	{"a phone number", regexp.MustCompile(`(?:\+|\b)\d(?:[\s().-]{0,2}\d){6,}\b`)},
	{"a street address", regexp.MustCompile(`(?i)\b\d+\s+(?:[A-Za-z]+\s+){1,3}(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|terrace|circle)\b\.?`)},
}

// FindTrace returns the first thing in text that can identify or date a
// person whoever they are (an exact date, an email address, a phone
// number, a street address), if any. The text is correspondence that
// leaves a site, so it must describe situations, not people.
func FindTrace(text string) (Trace, bool) {
	for _, p := range tracePatterns {
		if m := p.re.FindString(text); m != "" {
			return Trace{Kind: p.kind, Match: strings.TrimSpace(m)}, true
		}
	}
	return Trace{}, false
}

// NamesWord says whether text holds name as a whole word (or words),
// written with a capital as a name is: "Oak" is found in "Skyler Oak
// called", not in "an oak tree". Names of one or two letters are not
// looked for.
func NamesWord(text, name string) bool {
	name = strings.TrimSpace(name)
	if len([]rune(name)) < 3 {
		return false
	}
	for from := 0; ; {
		i := strings.Index(strings.ToLower(text[from:]), strings.ToLower(name))
		if i < 0 {
			return false
		}
		i += from
		end := i + len(name)
		if wordEdge(text, i-1) && wordEdge(text, end) && isUpper(text[i]) {
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
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80 || c == '\'' || c == '-')
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 0x80 }
