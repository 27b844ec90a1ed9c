package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// reader reads one JSON text strictly and in one pass, without building
// anything: the hub runs it over every record it receives. It is stricter
// than encoding/json where that is lenient: object keys must match a field
// name exactly (not case-insensitively), an integer field takes only an
// integer literal, null is no value for a field, and a string value must be
// valid UTF-8 (skipped values are not checked for it: the hub refuses
// payloads that are not UTF-8 anyway, see storableText in the hub).
type reader struct {
	b []byte
	i int
}

// maxDepth bounds the nesting of values skipped over.
const maxDepth = 64

var errEnd = errors.New("unexpected end of JSON input")

func (r *reader) syntax(what string) error {
	if r.i >= len(r.b) {
		return errEnd
	}
	return fmt.Errorf("invalid character %q at offset %d, want %s", r.b[r.i], r.i, what)
}

func (r *reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next returns the next byte after whitespace, or 0 at the end.
func (r *reader) next() byte {
	r.ws()
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// end checks that nothing but whitespace follows.
func (r *reader) end() error {
	if r.next() != 0 {
		return errors.New("trailing data")
	}
	return nil
}

// object reads an object, calling field for each key with the reader at the
// key's value, which field must read. No field name or code needs an
// escape, so a key that holds one is refused rather than decoded.
func (r *reader) object(field func(key []byte) error) error {
	return r.members(func(key []byte, esc bool) error {
		if esc {
			return fmt.Errorf("key %q holds an escape", key)
		}
		return field(key)
	})
}

// members reads an object, calling field for each key (raw, and whether it
// holds escapes). A key that appears twice is refused: a reader that keeps
// one of the values would let the other reach whoever reads the bytes next.
func (r *reader) members(field func(key []byte, esc bool) error) error {
	if r.next() != '{' {
		return r.syntax("an object")
	}
	r.i++
	if r.next() == '}' {
		r.i++
		return nil
	}
	var keys keySet
	for {
		if r.next() != '"' {
			return r.syntax("a key")
		}
		start := r.i
		key, esc, err := r.rawString()
		if err != nil {
			return err
		}
		if err := keys.add(r.b[start:r.i], key, esc); err != nil {
			return err
		}
		if r.next() != ':' {
			return r.syntax("':'")
		}
		r.i++
		r.ws()
		if err := field(key, esc); err != nil {
			return err
		}
		switch r.next() {
		case ',':
			r.i++
		case '}':
			r.i++
			return nil
		default:
			return r.syntax("',' or '}'")
		}
	}
}

// array reads an array, calling elem with the reader at each element.
func (r *reader) array(elem func() error) error {
	if r.next() != '[' {
		return r.syntax("an array")
	}
	r.i++
	if r.next() == ']' {
		r.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch r.next() {
		case ',':
			r.i++
		case ']':
			r.i++
			return nil
		default:
			return r.syntax("',' or ']'")
		}
	}
}

// rawString reads a string at the reader and returns its bytes between the
// quotes, unescaped only when esc is false.
func (r *reader) rawString() (s []byte, esc bool, err error) {
	if r.next() != '"' {
		return nil, false, r.syntax("a string")
	}
	r.i++
	start := r.i
	for r.i < len(r.b) {
		// Plain bytes first, in a loop of its own.
		b, i := r.b, r.i
		for i < len(b) && !special[b[i]] {
			i++
		}
		r.i = i
		if i == len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			s = r.b[start:r.i]
			r.i++
			return s, esc, nil
		case c == '\\':
			esc = true
			if r.i+1 >= len(r.b) {
				return nil, false, errEnd
			}
			switch r.b[r.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				r.i += 2
			case 'u':
				if r.i+6 > len(r.b) {
					return nil, false, errEnd
				}
				for _, h := range r.b[r.i+2 : r.i+6] {
					if !isHex(h) {
						return nil, false, fmt.Errorf("invalid escape in string at offset %d", r.i)
					}
				}
				r.i += 6
			default:
				return nil, false, fmt.Errorf("invalid escape in string at offset %d", r.i)
			}
		case c < 0x20:
			return nil, false, fmt.Errorf("control character in string at offset %d", r.i)
		default:
			r.i++
		}
	}
	return nil, false, errEnd
}

// special marks the bytes that end a string's plain run: the quote, the
// backslash and control characters.
var special = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// str reads a string value. Escapes are rare (the agent's encoder writes
// them only for characters no payload field allows), so an escaped string
// is decoded by encoding/json.
func (r *reader) str() (string, error) {
	start := r.i
	s, esc, err := r.rawString()
	if err != nil {
		return "", err
	}
	if !utf8.Valid(s) {
		return "", fmt.Errorf("string at offset %d is not valid UTF-8", start)
	}
	if !esc {
		return string(s), nil
	}
	var v string
	if err := json.Unmarshal(r.b[start:r.i], &v); err != nil {
		return "", err
	}
	return v, nil
}

// istr reads a string value as str does, shared with earlier reads of the
// same text (see intern): for the strings payloads repeat.
func (r *reader) istr() (string, error) {
	start := r.i
	s, esc, err := r.rawString()
	if err != nil || esc || !utf8.Valid(s) {
		r.i = start
		return r.str()
	}
	return intern(s), nil
}

// integer reads an integer literal (no fraction, no exponent) of at most 18
// digits.
func (r *reader) integer() (int64, error) {
	r.ws()
	neg := false
	if r.i < len(r.b) && r.b[r.i] == '-' {
		neg = true
		r.i++
	}
	start := r.i
	var n int64
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		n = n*10 + int64(r.b[r.i]-'0')
		r.i++
	}
	digits := r.i - start
	switch {
	case digits == 0:
		return 0, r.syntax("an integer")
	case digits > 1 && r.b[start] == '0':
		return 0, fmt.Errorf("invalid number at offset %d: leading zero", start)
	case digits > 18:
		return 0, fmt.Errorf("number at offset %d is out of range", start)
	}
	if r.i < len(r.b) {
		if c := r.b[r.i]; c == '.' || c == 'e' || c == 'E' {
			return 0, fmt.Errorf("number at offset %d must be an integer", start)
		}
	}
	if neg {
		n = -n
	}
	return n, nil
}

// boolean reads true or false.
func (r *reader) boolean() (bool, error) {
	r.ws()
	switch {
	case r.lit("true"):
		return true, nil
	case r.lit("false"):
		return false, nil
	}
	return false, r.syntax("true or false")
}

func (r *reader) lit(s string) bool {
	if len(r.b)-r.i >= len(s) && string(r.b[r.i:r.i+len(s)]) == s {
		r.i += len(s)
		return true
	}
	return false
}

// null reads null if it is next.
func (r *reader) null() bool {
	r.ws()
	return r.lit("null")
}

// value reads any JSON value and returns its bytes.
func (r *reader) value() ([]byte, error) {
	r.ws()
	start := r.i
	if err := r.skip(0); err != nil {
		return nil, err
	}
	return r.b[start:r.i], nil
}

// delimit returns the bytes of the object or array at the reader, finding
// its end by its brackets and strings only: its grammar is left to whoever
// reads it next. Other values are read in full.
func (r *reader) delimit() ([]byte, error) {
	if c := r.next(); c != '{' && c != '[' {
		return r.value()
	}
	b, start := r.b, r.i
	depth := 0
	for i := start; i < len(b); i++ {
		switch b[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				r.i = i + 1
				return b[start:r.i], nil
			}
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		}
	}
	return nil, errEnd
}

func (r *reader) skip(depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("JSON nested deeper than %d", maxDepth)
	}
	switch c := r.next(); {
	case c == '{':
		return r.members(func([]byte, bool) error { return r.skip(depth + 1) })
	case c == '[':
		return r.array(func() error { return r.skip(depth + 1) })
	case c == '"':
		_, _, err := r.rawString()
		return err
	case c == 't' || c == 'f':
		_, err := r.boolean()
		return err
	case c == 'n':
		if r.null() {
			return nil
		}
		return r.syntax("a value")
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	}
	return r.syntax("a value")
}

// number reads any JSON number.
func (r *reader) number() error {
	start := r.i
	if r.b[r.i] == '-' {
		r.i++
	}
	digits := func() int {
		s := r.i
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
		}
		return r.i - s
	}
	intStart := r.i
	n := digits()
	if n == 0 || (n > 1 && r.b[intStart] == '0') {
		return fmt.Errorf("invalid number at offset %d", start)
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return fmt.Errorf("invalid number at offset %d", start)
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return fmt.Errorf("invalid number at offset %d", start)
		}
	}
	return nil
}

// ValidJSON reports whether b is exactly one JSON value (surrounding
// whitespace allowed). Unlike encoding/json.Valid it does not check that
// strings are valid UTF-8.
func ValidJSON(b []byte) bool {
	r := reader{b: b}
	return r.skip(0) == nil && r.end() == nil
}

func unknownField(key []byte) error {
	return fmt.Errorf("unknown field %q", key)
}

// keySet holds the keys of one object, to refuse a key seen twice. Objects
// are small (a payload's fields, at most 40 answers) and their keys come
// sorted (the canonical form), so a key after the greatest so far is new
// without a look; any other is compared with the keys so far, by a scan
// until the object grows past 48 keys and by a map after.
type keySet struct {
	buf  [48][]byte
	n    int
	max  []byte
	many map[string]struct{}
}

// add records a key given as its quoted text and its raw bytes between the
// quotes, and refuses one already seen. An escaped key is compared by the
// text it stands for, so "a" and "\u0061" are the same key.
func (k *keySet) add(quoted, raw []byte, esc bool) error {
	if esc {
		var s string
		if err := json.Unmarshal(quoted, &s); err != nil {
			return err
		}
		raw = []byte(s)
	}
	after := k.n > 0 && string(raw) > string(k.max)
	if after || k.n == 0 {
		k.max = raw
	}
	if k.many != nil {
		if _, dup := k.many[string(raw)]; dup && !after {
			return duplicateKey(raw)
		}
		k.many[string(raw)] = struct{}{}
		k.n++
		return nil
	}
	if !after {
		for _, seen := range k.buf[:k.n] {
			if string(seen) == string(raw) {
				return duplicateKey(raw)
			}
		}
	}
	if k.n < len(k.buf) {
		k.buf[k.n] = raw
		k.n++
		return nil
	}
	k.many = make(map[string]struct{}, 2*len(k.buf))
	for _, seen := range k.buf {
		k.many[string(seen)] = struct{}{}
	}
	k.many[string(raw)] = struct{}{}
	k.n++
	return nil
}

func duplicateKey(key []byte) error {
	return fmt.Errorf("key %q appears more than once", key)
}
