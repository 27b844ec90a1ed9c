package webui

import (
	"html/template"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/problem"
)

// The one way the hub's and the agent's forms show their mistakes. A form that failed
// is shown again, with status 422, its values kept and, from the map of
// messages by field (FieldErrors):
//
//   - at its top a summary (template "errsummary", given the messages, the
//     fields in the form's order and the prefix of the fields' ids), which
//     lists every mistake as a link to its field and takes the focus
//     (autofocus), so the page opens scrolled to it and a keyboard user
//     goes on from there;
//   - next to each field its message (template "ferr"), which the field
//     names in aria-describedby, with aria-invalid (func invalid).

// ErrorItem is a line of a form's error summary: the message as a
// sentence and the link to its field.
type ErrorItem struct{ Href, Text string }

// ErrorItems are the lines of a form's error summary: the fields named in
// order (separated by spaces) first, in that order, then any others by
// name; each links to the element with id prefix+field.
//
// A field whose element's id is not prefix+field is named as field=id
// ("cost_cents=outing_cost"); a field of a group the fields do not name
// ("attendance.<id>") is placed and linked as its group ("attendance").
func ErrorItems(errs map[string]string, fields, prefix string) []ErrorItem {
	var order []string
	ids := map[string]string{}
	for _, f := range strings.Fields(fields) {
		name, id, ok := strings.Cut(f, "=")
		if ok {
			ids[name] = id
		}
		order = append(order, name)
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	// A field of a group ("attendance.<id>") that the order does not
	// name goes with its group ("attendance"): its place and its link.
	group := func(k string) string {
		if !slices.Contains(order, k) {
			if g, _, ok := strings.Cut(k, "."); ok && slices.Contains(order, g) {
				return g
			}
		}
		return k
	}
	rank := func(k string) int {
		if i := slices.Index(order, group(k)); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	out := make([]ErrorItem, len(keys))
	for i, k := range keys {
		id := prefix + group(k)
		if x, ok := ids[group(k)]; ok {
			id = x
		}
		out[i] = ErrorItem{Href: "#" + id, Text: Sentence(k, errs[k])}
	}
	return out
}

// Sentence writes a field's message as a sentence: a message that goes on
// from the field's name ("is ...", "must ...") is led by it.
func Sentence(field, msg string) string {
	for _, lead := range []string{"is ", "must ", "cannot ", "are ", "an ", "the "} {
		if strings.HasPrefix(msg, lead) {
			name := strings.ReplaceAll(field, "_", " ")
			if i := strings.LastIndex(name, "."); i >= 0 {
				name = name[i+1:]
			}
			msg = name + " " + msg
			break
		}
	}
	if msg == "" {
		return msg
	}
	msg = Capitalize(msg)
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// Invalid marks a form field that has a message: aria-invalid, and
// aria-describedby naming the message (err-field) and hints, the ids of
// its hints (which it names with or without a message).
func Invalid(errs map[string]string, field string, hints ...string) template.HTMLAttr {
	ids := slices.Clone(hints)
	bad := errs[field] != ""
	if bad {
		ids = append(ids, "err-"+field)
	}
	var b strings.Builder
	if bad {
		b.WriteString(` aria-invalid="true"`)
	}
	if len(ids) > 0 {
		b.WriteString(` aria-describedby="` + template.HTMLEscapeString(strings.Join(ids, " ")) + `"`)
	}
	return template.HTMLAttr(b.String()) //nolint:gosec // fixed text and the ids, escaped
}

// Capitalize upper-cases the first letter of s, whatever its encoding's
// length (a message may begin with a quotation mark or an accented letter).
func Capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// RepeatedFields are the fields of a posted form sent more than once (no
// page's form does that), each with its message (the catalogue's, in
// English). A control character in a field is refused before (textx's
// guard).
func RepeatedFields(c *gin.Context, fields ...string) map[string]string {
	out := map[string]string{}
	for _, f := range fields {
		if len(c.PostFormArray(f)) > 1 {
			out[f] = i18n.M("Send this once: reload the page and fill in the form again")
		}
	}
	return out
}

// FieldErrors maps an error's field mistakes to messages per form field,
// for a form shown again; ok is false for any other error (the program's
// failure answer). The fields of the request's form that held a character
// no one types (dbx.BarRequest) are among them, with their own message:
// with them, even no error (an action that wrote nothing) has mistakes.
func FieldErrors(c *gin.Context, err error) (map[string]string, bool) {
	ves, ok := problem.Fields(err)
	if !ok && (err != nil || len(UncleanFields(c)) == 0) {
		return nil, false
	}
	m := map[string]string{}
	for _, e := range ves {
		m[e.Field] = e.Msg
	}
	for _, e := range UncleanFields(c) {
		m[e.Field] = e.Msg
	}
	return m, true
}

// UncleanFields are the request's fields that held a character no one
// types, as field mistakes (none when it had none).
func UncleanFields(c *gin.Context) problem.Invalids {
	ves, _ := problem.Fields(dbx.RequestBar(c))
	return ves
}

// FormFuncs are the template funcs of the form snippets (templates
// "errsummary", "ferr", "formerror"): arr packs a sub-template's
// arguments, invalid marks a field with a message, errorItems are a
// summary's lines, title capitalizes; t, a message in a language, is the
// catalogue's unless the program brings its own.
func FormFuncs() template.FuncMap {
	return template.FuncMap{
		"arr":        func(v ...any) []any { return v },
		"invalid":    Invalid,
		"once":       OnceToken,
		"errorItems": ErrorItems,
		"title":      Capitalize,
		"t":          i18n.Default().T,
	}
}

// RepeatedOutcome is the outcome of a form sent again after it was carried
// out (Repeated): it was not carried out twice.
const RepeatedOutcome = "Sent again: done once, not twice"

// Outcome says in words how an attempt ended, by the HTTP status it was
// answered with, as the audit logs show it ("" for 0: not known, as for
// a view).
func Outcome(status int) string {
	switch {
	case status == 0:
		return ""
	case status >= http.StatusInternalServerError:
		return "Failed"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "Refused: not allowed"
	case status == http.StatusNotFound:
		return "Refused: not found"
	case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests:
		return "Turned away: busy, to come back"
	case status >= http.StatusBadRequest:
		return "Refused: nothing was changed"
	}
	return "Done"
}

// MaxKept is the most characters of one value a form shown again keeps:
// a longer value (pasted by mistake, or sent to fill the answer) is cut
// to it, its message saying it is too long. It is at least ten times the
// limit of any field the programs take.
const MaxKept = 10_000

// ShortenKept cuts every text longer than MaxKept in the data of a page
// answering a failed request (its form's values kept, whatever their
// shape: a struct, a map, url.Values), so that a page never sends a huge
// value back. It replaces each value of data it changes with a copy; the
// rest is left as it is.
func ShortenKept(data map[string]any) {
	for k, v := range data {
		if v == nil {
			continue
		}
		if cut, ok := shortened(reflect.ValueOf(v), 4); ok {
			data[k] = cut.Interface()
		}
	}
}

// shortened returns a copy of v with its texts longer than MaxKept cut,
// looking depth levels into maps, slices and structs, and whether it cut
// anything (false: v is to be kept as it is).
func shortened(v reflect.Value, depth int) (reflect.Value, bool) {
	if depth == 0 || !v.IsValid() {
		return v, false
	}
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); len(s) > MaxKept && utf8.RuneCountInString(s) > MaxKept {
			cut := reflect.New(v.Type()).Elem()
			cut.SetString(string([]rune(s)[:MaxKept]))
			return cut, true
		}
	case reflect.Interface:
		if inner, ok := shortened(v.Elem(), depth); ok {
			out := reflect.New(v.Type()).Elem()
			out.Set(inner)
			return out, true
		}
	case reflect.Map:
		var out reflect.Value
		for it := v.MapRange(); it.Next(); {
			if inner, ok := shortened(it.Value(), depth-1); ok {
				if !out.IsValid() {
					out = reflect.MakeMapWithSize(v.Type(), v.Len())
					for all := v.MapRange(); all.Next(); {
						out.SetMapIndex(all.Key(), all.Value())
					}
				}
				out.SetMapIndex(it.Key(), inner)
			}
		}
		return out, out.IsValid()
	case reflect.Slice:
		var out reflect.Value
		for i := range v.Len() {
			if inner, ok := shortened(v.Index(i), depth-1); ok {
				if !out.IsValid() {
					out = reflect.MakeSlice(v.Type(), v.Len(), v.Len())
					reflect.Copy(out, v)
				}
				out.Index(i).Set(inner)
			}
		}
		return out, out.IsValid()
	case reflect.Struct:
		var out reflect.Value
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if inner, ok := shortened(v.Field(i), depth-1); ok {
				if !out.IsValid() {
					out = reflect.New(v.Type()).Elem()
					out.Set(v)
				}
				out.Field(i).Set(inner)
			}
		}
		return out, out.IsValid()
	}
	return v, false
}
