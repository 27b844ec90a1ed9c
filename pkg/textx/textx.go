// Package textx decides what text a person may enter: what they could type.
// Control characters (other than tab and line breaks) and the invisible
// characters that make text display as other than it is (bidirectional
// overrides and isolates) are refused wherever text comes in: JSON bodies
// (pkg/jsonx), forms (FormGuard), CSV imports and the hub's own checks.
// They carry nothing a person meant to write, and can hide text from
// whoever reads it later (a page, a log, a terminal, a spreadsheet), or
// break a database (PostgreSQL text holds no NUL).
package textx

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Clean reports whether s is valid UTF-8 text without a character no
// person types.
func Clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || hidden(r) {
			return false
		}
		i += n
	}
	return true
}

// Strip returns s without the characters Clean refuses (and without
// bytes that are not UTF-8).
func Strip(s string) string {
	if Clean(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		_, n := utf8.DecodeRuneInString(s[i:])
		if Clean(s[i : i+n]) {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// hidden reports the C1 controls, the bidirectional embeddings, overrides
// and isolates, the zero-width space, the Unicode line and paragraph
// separators, and the BOM or other format characters that have no place
// inside a value. (Zero-width joiners stay: emoji and several scripts need
// them.)
func hidden(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x200b, r == 0x2028, r == 0x2029: // zero-width space, line and paragraph separators
		return true
	case r == 0xfeff, r >= 0xfff9 && r <= 0xfffb:
		return true
	}
	return false
}

// Problem returns a message for text that is not Clean.
const Problem = "holds a control or invisible formatting character; type the text again"

// FirstUnclean walks a decoded value (structs, pointers, slices, arrays and
// maps, keys too) and returns the path of the first string that is not
// Clean, or "".
func FirstUnclean(v any) string {
	return walk(reflect.ValueOf(v), "", 0)
}

func walk(v reflect.Value, path string, depth int) string {
	if depth > 32 || !v.IsValid() {
		return ""
	}
	switch v.Kind() {
	case reflect.String:
		if !Clean(v.String()) {
			if path == "" {
				return "value"
			}
			return path
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return walk(v.Elem(), path, depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			if p := walk(v.Field(i), join(path, fieldName(t.Field(i))), depth+1); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return "" // bytes are not text
		}
		for i := 0; i < v.Len(); i++ {
			if p := walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1); p != "" {
				return p
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := fmt.Sprint(it.Key().Interface())
			if it.Key().Kind() == reflect.String && !Clean(k) {
				return join(path, "(a key)")
			}
			if p := walk(it.Value(), join(path, k), depth+1); p != "" {
				return p
			}
		}
	}
	return ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldName is the name a field has in JSON and forms.
func fieldName(f reflect.StructField) string {
	for _, tag := range []string{"json", "form"} {
		if n := f.Tag.Get(tag); n != "" && n != "-" {
			for i := 0; i < len(n); i++ {
				if n[i] == ',' {
					n = n[:i]
					break
				}
			}
			if n != "" {
				return n
			}
		}
	}
	return f.Name
}
