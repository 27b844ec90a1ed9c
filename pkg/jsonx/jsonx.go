// Package jsonx decodes the JSON bodies people and programs send (API
// requests, uploaded releases) strictly: exactly one JSON value, valid
// UTF-8, object members matched to fields by exact name, unknown members
// refused, and a member name that appears twice refused. A decoder that
// keeps the first or the last of two values lets the other one past every
// check that looked at the value kept; refusing the name twice closes that
// for every body at once.
//
// A JSON null is refused where the field is a plain value (a boolean, a
// string, a number): decoded, it would become false, "" or 0, a value the
// client never sent (an interview answer "not present" out of null). A
// pointer field, or a list or object, may be null where the type allows.
//
// It is built on github.com/go-json-experiment/json (the JSON v2 proposal
// for the standard library), which refuses duplicate names and invalid
// UTF-8 by default. The sync intake does not use it: record payloads go
// through the contract package's one-pass readers, which hold the same
// rules and re-encode what they read (see pkg/contract).
package jsonx

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/itsmylife/iml/pkg/textx"
)

// ErrTooLarge is returned by Read for a body past its limit.
var ErrTooLarge = errors.New("the body is too large")

// Unmarshal decodes data into v strictly. A string that is not text a
// person types (see textx) is refused with a *TextError naming its field.
func Unmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v, json.RejectUnknownMembers(true), noNull); err != nil {
		if ne := numberError(err, v); ne != nil {
			return ne
		}
		return clean(err)
	}
	if field := textx.FirstUnclean(v); field != "" {
		return &TextError{Field: field}
	}
	return nil
}

// UnmarshalNewer decodes data into v like Unmarshal but leaves out members
// v has no field for: for content a newer program wrote that this one must
// still read (a release from a newer hub). A name sent twice is refused
// all the same.
func UnmarshalNewer(data []byte, v any) error {
	if err := json.Unmarshal(data, v, noNull); err != nil {
		return clean(err)
	}
	if field := textx.FirstUnclean(v); field != "" {
		return &TextError{Field: field}
	}
	return nil
}

// ErrNull is the error of a null where a value is required.
var ErrNull = errors.New("null is not a value here")

// noNull refuses a JSON null decoded into a boolean, a string or a number;
// anything else decodes as usual.
var noNull = json.WithUnmarshalers(json.JoinUnmarshalers(
	refuseNull[bool](), refuseNull[string](), refuseNull[int](), refuseNull[int64](), refuseNull[int32](),
	refuseNull[uint](), refuseNull[uint64](), refuseNull[float64](), refuseNull[float32](),
))

func refuseNull[T any]() *json.Unmarshalers {
	return json.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ *T) error {
		if dec.PeekKind() == 'n' {
			return ErrNull
		}
		return json.SkipFunc
	})
}

// TextError is a string of a body that holds a control or invisible
// formatting character.
type TextError struct{ Field string }

func (e *TextError) Error() string { return e.Field + " " + textx.Problem }

// NumberError is a JSON number sent for a whole-number field that is not
// one it can hold: a fraction (1.5), an exponent (1e3) or a number past
// the field's type (99999999999999999999). It is the client's mistake in
// one field, as a value out of the field's range is: Field names it as
// answers name fields ("before_count", "lines[0].minutes"), and Msg says
// what to enter, with the field's range when its struct field has a tag
// range:"MIN..MAX".
type NumberError struct{ Field, Msg string }

func (e *NumberError) Error() string { return e.Field + ": " + e.Msg }

// numberError returns the NumberError of a decoding error that is a JSON
// number refused by an integer field of v, or nil.
func numberError(err error, v any) *NumberError {
	var se *json.SemanticError
	if !errors.As(err, &se) || se.JSONKind != '0' || se.GoType == nil {
		return nil
	}
	switch se.GoType.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
	default:
		return nil
	}
	field, rng := fieldAt(reflect.TypeOf(v), se.JSONPointer)
	if field == "" {
		return nil
	}
	msg := "Enter a whole number, in digits"
	if lo, hi, ok := strings.Cut(rng, ".."); ok {
		msg = "Enter a whole number from " + lo + " to " + hi
	}
	return &NumberError{Field: field, Msg: msg}
}

// fieldAt names the field a JSON pointer reaches in a value of type t
// ("lines[0].minutes") and gives its range tag, when it is a struct's.
func fieldAt(t reflect.Type, ptr jsontext.Pointer) (name, rng string) {
	var b strings.Builder
	for tok := range ptr.Tokens() {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == nil {
			return "", ""
		}
		rng = ""
		switch t.Kind() {
		case reflect.Struct:
			f, ok := jsonField(t, tok)
			if !ok {
				return "", ""
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(tok)
			t, rng = f.Type, f.Tag.Get("range")
		case reflect.Slice, reflect.Array:
			b.WriteString("[" + tok + "]")
			t = t.Elem()
		case reflect.Map:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(tok)
			t = t.Elem()
		default:
			return "", ""
		}
	}
	return b.String(), rng
}

// jsonField finds the field of struct type t named name in JSON (its json
// tag's name, else its Go name), in embedded structs too.
func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && tag == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if g, ok := jsonField(et, name); ok {
					return g, true
				}
			}
			continue
		}
		if tag == name || tag == "" && f.Name == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// Read reads at most limit bytes from r and decodes them into v strictly.
func Read(r io.Reader, limit int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > limit {
		return ErrTooLarge
	}
	return Unmarshal(data, v)
}

// clean turns the decoder's error into a message for the client: what is
// wrong and where, without the Go types of the program.
func clean(err error) error {
	var se *json.SemanticError
	if errors.As(err, &se) {
		where := string(se.JSONPointer)
		if where == "" {
			where = "the body"
		}
		switch {
		case se.Err != nil && strings.Contains(se.Err.Error(), "unknown object member"):
			return fmt.Errorf("%s: unknown field", where)
		case errors.Is(se.Err, ErrNull):
			return fmt.Errorf("%s: null is not a value here: send the value, or leave the field out", where)
		case se.JSONKind != 0:
			return fmt.Errorf("%s: a JSON %s is not allowed here", where, kindName(se.JSONKind))
		}
		return fmt.Errorf("%s: invalid value", where)
	}
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		msg := syn.Err.Error()
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			msg = "a field appears more than once"
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			msg = "the body ends before its JSON value does"
		}
		return fmt.Errorf("%s at offset %d", msg, syn.ByteOffset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the body ends before its JSON value does")
	}
	return err
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}
