package problem

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Invalid is a client's mistake in one field: the one validation error of
// both programs. Stores return it (or Invalids, for several fields at
// once); handlers turn it into a 422 problem (FromInvalid) or into messages
// next to a form's fields (Fields).
type Invalid struct{ Field, Msg string }

func (e *Invalid) Error() string { return e.Field + ": " + e.Msg }

// Sentence writes the mistake as a sentence a person reads, ending with
// "Nothing was changed.": a message that says what is wrong ("must ...",
// "is ...") is led by the field's name.
func (e *Invalid) Sentence() string {
	msg := e.Msg
	if msg == "" {
		msg = "is not valid"
	}
	if strings.HasPrefix(msg, "is ") || strings.HasPrefix(msg, "must ") || strings.HasPrefix(msg, "cannot ") {
		msg = strings.ReplaceAll(e.Field, "_", " ") + " " + msg
	}
	if msg != "" {
		r, n := utf8.DecodeRuneInString(msg)
		msg = string(unicode.ToUpper(r)) + msg[n:]
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg + " Nothing was changed."
}

// Invalids are several field mistakes at once.
type Invalids []Invalid

func (v Invalids) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Fields returns the field mistakes an error holds (an *Invalid or
// Invalids, however wrapped), or nil and false when it holds none.
func Fields(err error) (Invalids, bool) {
	var ves Invalids
	var ve *Invalid
	switch {
	case errors.As(err, &ves):
		return ves, true
	case errors.As(err, &ve):
		return Invalids{*ve}, true
	}
	return nil, false
}

// FieldMessages returns the field mistakes of an error by field name, for
// a form to show each next to its field; ok is false when err holds none.
func FieldMessages(err error) (msgs map[string]string, ok bool) {
	ves, ok := Fields(err)
	if !ok {
		return nil, false
	}
	msgs = make(map[string]string, len(ves))
	for _, e := range ves {
		if _, seen := msgs[e.Field]; !seen {
			msgs[e.Field] = e.Msg
		}
	}
	return msgs, true
}

// FromInvalid returns the 422 problem of an error holding field mistakes,
// or nil when it holds none. One mistake is said as a sentence; several
// are listed in Errors under a summary.
func FromInvalid(err error) *Problem {
	ves, ok := Fields(err)
	if !ok {
		return nil
	}
	fe := make([]FieldError, len(ves))
	for i, e := range ves {
		fe[i] = FieldError{Field: e.Field, Detail: e.Msg}
	}
	if len(ves) == 1 {
		return Validation(ves[0].Sentence(), fe...)
	}
	return Validation("Some fields need attention; nothing was changed.", fe...)
}
