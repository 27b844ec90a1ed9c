package contract

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

var (
	goodParticipant = `{"key":"6680d207-0734-4d5a-823e-8ac677281ce6","enrollment_year":2026,"age_band":"35-44","model":"peer_partners"}`
	goodInterview   = `{"participant_key":"6680d207-0734-4d5a-823e-8ac677281ce6","enrollment_year":2025,"age_band":"25-34",` +
		`"model":"social_explorations","timepoint":"midpoint","program_month":6,"release":"2026.1","answers":{"pom01_safe":false,"pom20_have_friends":true}}`
)

// check is the hub's check of a payload.
func check(typ string) func([]byte) error {
	return func(b []byte) error { _, err := ParsePayload(typ, b); return err }
}

// referenceDecode is the reference the one-pass readers are held to: the
// JSON decoder with unknown fields refused, then Validate.
func referenceDecode(typ string, b []byte) (Payload, error) {
	var p Payload
	switch typ {
	case TypeParticipant:
		p = &Participant{}
	case TypePOMInterview:
		p = &POMInterview{}
	case TypeSurveyResponse:
		p = &SurveyResponse{}
	case TypeHospitalization:
		p = &Hospitalization{}
	case TypeParticipation:
		p = &Participation{}
	case TypeCohortMonth:
		p = &CohortMonth{}
	default:
		return nil, fmt.Errorf("unknown record type %q", typ)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("payload: trailing data")
	}
	v := reflect.ValueOf(p).Elem().Interface().(Payload)
	return v, v.Validate()
}

// slowValidators are the reference: strict decoding, then Validate.
var slowValidators = map[string]func([]byte) error{
	TypeParticipant:  func(b []byte) error { _, err := referenceDecode(TypeParticipant, b); return err },
	TypePOMInterview: func(b []byte) error { _, err := referenceDecode(TypePOMInterview, b); return err },
}

// variants makes payloads near a good one: each byte deleted, replaced or
// doubled, tokens spliced in, values swapped for others.
func variants(good string, rng *rand.Rand) []string {
	out := []string{good, " " + good + "\n", good + " x", good + good, "", "null", "[]", "{}", strings.ToUpper(good)}
	junk := []string{`"`, `\`, `{`, `}`, `[`, `]`, `:`, `,`, `null`, `true`, `1.5`, `1e3`, `-0`, `01`, `"x"`, `\u0041`, `\u00`, "\x00", "\x7f", `"a":1,`, ` `}
	for i := 0; i < len(good); i++ {
		out = append(out, good[:i]+good[i+1:], good[:i]+good[i:i+1]+good[i:])
		out = append(out, good[:i]+junk[rng.IntN(len(junk))]+good[i+1:], good[:i]+junk[rng.IntN(len(junk))]+good[i:])
	}
	for _, kv := range [][2]string{
		{`2026`, `2026.0`}, {`2026`, `"2026"`}, {`2026`, `20260`}, {`2026`, `null`}, {`2025`, `1999`}, {`6,`, `0,`}, {`6,`, `25,`}, {`6,`, `-6,`},
		{`"35-44"`, `"1990-01-01"`}, {`"25-34"`, `null`}, {`"midpoint"`, `"later"`}, {`"2026.1"`, `""`}, {`"2026.1"`, `"\u0032026.1"`},
		{`"2026.1"`, `"` + strings.Repeat("r", 41) + `"`}, {`true`, `"yes"`}, {`true`, `null`}, {`true`, `1`},
		{`"pom20_have_friends"`, `"Pom20"`}, {`"pom20_have_friends"`, `""`}, {`"pom20_have_friends"`, `"pom01_safe"`}, {`"pom20_have_friends"`, `"p\u006fm"`},
		{`"pom20_have_friends"`, `"pom00"`}, {`{"pom01_safe":false,"pom20_have_friends":true}`, `{}`}, {`{"pom01_safe":false,"pom20_have_friends":true}`, `null`},
		{`{"pom01_safe":false,"pom20_have_friends":true}`, `{"pom20_have_friends":true,"pom01_safe":false}`},
		{`"key"`, `"Key"`}, {`"key"`, `"ke\u0079"`}, {`"6680d207-0734-4d5a-823e-8ac677281ce6"`, `"6680D207-0734-4D5A-823E-8AC677281CE6"`},
		{`"6680d207-0734-4d5a-823e-8ac677281ce6"`, `"6680d20707344d5a823e8ac677281ce6"`}, {`,"age_band"`, `,"name":"Jo","age_band"`},
		{`,"age_band"`, `,"age_band":"18-24","age_band"`}, {`"model"`, `"model":"peer_partners","model"`},
		{`"answers":{`, `"answers":{"pom01_safe":true,`}, {`"answers":{`, `"answers":{"jane_doe_1980":true,"jane_doe_1980":false,`},
		{`:`, `: `}, {`,`, ` ,`}, {`"key"`, `"key","key":"Jane Doe"`}, {`"participant_key"`, `"participant_key":"Jane Doe","participant_key"`},
	} {
		if strings.Contains(good, kv[0]) {
			out = append(out, strings.Replace(good, kv[0], kv[1], 1))
		}
	}
	many := make([]string, 41)
	for i := range many {
		many[i] = fmt.Sprintf(`"c%d":true`, i)
	}
	out = append(out, strings.Replace(good, `"pom01_safe":false,"pom20_have_friends":true`, strings.Join(many, ","), 1))
	out = append(out, strings.Replace(good, `"pom01_safe":false,"pom20_have_friends":true`, strings.Join(many[:40], ","), 1))
	return out
}

// TestFastValidatorsAgree checks the one-pass validators against strict
// decoding: never weaker (whatever they accept decodes and validates), and
// for the payloads an agent writes, the same verdict and message.
func TestFastValidatorsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	accepted, refused := 0, 0
	for typ, good := range map[string]string{TypeParticipant: goodParticipant, TypePOMInterview: goodInterview} {
		fast, slow := check(typ), slowValidators[typ]
		for _, v := range variants(good, rng) {
			fe, se := fast([]byte(v)), slow([]byte(v))
			if fe == nil {
				accepted++
				if se != nil {
					t.Errorf("%s %q: the one-pass validator accepts what strict decoding refuses: %v", typ, v, se)
				}
				continue
			}
			refused++
			// A payload refused for its content rather than its form (where
			// the one-pass validator is stricter) gets the same message.
			if !strings.HasPrefix(fe.Error(), "payload:") && (se == nil || fe.Error() != se.Error()) {
				t.Errorf("%s %q: message %q, strict decoding says %q", typ, v, fe, se)
			}
		}
		if err := fast([]byte(good)); err != nil {
			t.Fatalf("%s: a good payload is refused: %v", typ, err)
		}
	}
	if accepted < 4 || refused < 100 {
		t.Fatalf("only %d accepted and %d refused variants: the test does not exercise the validators", accepted, refused)
	}
}

// FuzzParsePayload holds the hub's payload check to strict decoding:
// whatever it accepts decodes alike, validates, and is its own canonical
// encoding, so nothing the check did not see can be stored.
func FuzzParsePayload(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for typ, good := range goodPayloads {
		for _, v := range variants(good, rng)[:40] {
			f.Add(typ, []byte(v))
		}
	}
	f.Fuzz(func(t *testing.T, typ string, b []byte) {
		got, err := ParsePayload(typ, b)
		if err != nil {
			return
		}
		want, err := referenceDecode(typ, b)
		if err != nil {
			t.Fatalf("accepted %s %q, which strict decoding refuses: %v", typ, b, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s %q: read %+v, strict decoding gives %+v", typ, b, got, want)
		}
		if enc := got.AppendJSON(nil); !bytes.Equal(enc, b) {
			t.Fatalf("%s %q accepted, but its canonical encoding is %q", typ, b, enc)
		}
	})
}

func batchJSON(recs ...string) string {
	return `{"site_id":"6680d207-0734-4d5a-823e-8ac677281ce6","records":[` + strings.Join(recs, ",") + `]}`
}

// TestDecodePushRequestAgrees checks the one-pass push decoder, followed
// by the payload validators as the hub runs them, against strict decoding
// of the same body.
func TestDecodePushRequestAgrees(t *testing.T) {
	rec := `{"id":"019b76da-a800-700f-9e34-7784d96e095d","type":"participant","version":1,"hash":"ab","data":` + goodParticipant + `}`
	tomb := `{"id":"019b76da-a800-700f-9e34-7784d96e095e","type":"participant","version":2,"hash":"cd","deleted":true}`
	good := batchJSON(rec, tomb)
	rng := rand.New(rand.NewPCG(5, 6))
	bodies := append(variants(good, rng), batchJSON(), `{"site_id":"x","records":null}`, `{"records":[]}`, batchJSON(rec, rec),
		strings.Replace(good, `"data":`, `"data": `, 1), strings.Replace(good, `"data":`, `"data":null,"x":`, 1),
		strings.Replace(good, `"data":{`, `"data":{"nested":[1,2.5e-3,{"a":[]}],`, 1))
	agree := 0
	for _, body := range bodies {
		got, fe := DecodePushRequest([]byte(body))
		var want PushRequest
		dec := json.NewDecoder(bytes.NewReader([]byte(body)))
		dec.DisallowUnknownFields()
		se := dec.Decode(&want)
		if se == nil && dec.More() {
			se = fmt.Errorf("trailing data")
		}
		// The hub reads each payload strictly after the envelope.
		for _, r := range got.Records {
			if fe == nil && r.Data != nil {
				_, fe = ParsePayload(r.Type, r.Data)
			}
		}
		if fe != nil {
			continue
		}
		if se != nil {
			t.Errorf("%q: accepted, strict decoding refuses it: %v", body, se)
			continue
		}
		if !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Errorf("%q: decoded\n%+v\nstrict decoding gives\n%+v", body, got, want)
		}
		agree++
	}
	if agree < 5 {
		t.Fatalf("only %d bodies decoded alike", agree)
	}
	req, err := DecodePushRequest([]byte(good))
	if err != nil || len(req.Records) != 2 || string(req.Records[0].Data) != goodParticipant || !req.Records[1].Deleted || req.Records[1].Data != nil {
		t.Fatalf("good body: %+v, %v", req, err)
	}
}

// normalize makes empty and nil payloads compare equal.
func normalize(r PushRequest) PushRequest {
	for i := range r.Records {
		if len(r.Records[i].Data) == 0 {
			r.Records[i].Data = nil
		}
	}
	if len(r.Records) == 0 {
		r.Records = nil
	}
	return r
}

func BenchmarkInterviewValidators(b *testing.B) {
	data := []byte(goodInterview)
	for name, f := range map[string]func([]byte) error{"one-pass": check(TypePOMInterview), "decode": slowValidators[TypePOMInterview]} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if err := f(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzDecodePushRequest holds the push decoder, with the payload
// validators after it, to strict decoding.
func FuzzDecodePushRequest(f *testing.F) {
	rec := `{"id":"019b76da-a800-700f-9e34-7784d96e095d","type":"pom_interview","version":1,"hash":"ab","data":` + goodInterview + `}`
	for _, v := range variants(batchJSON(rec), rand.New(rand.NewPCG(7, 8)))[:80] {
		f.Add([]byte(v))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := DecodePushRequest(body)
		if err != nil {
			return
		}
		for _, r := range got.Records {
			if _, err := ParsePayload(r.Type, r.Data); r.Data != nil && err != nil {
				return
			}
		}
		var want PushRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil || dec.More() {
			t.Fatalf("accepted %q, which strict decoding refuses: %v", body, err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Fatalf("%q: decoded %+v, strict decoding gives %+v", body, got, want)
		}
	})
}

// TestPartialInterview: an interview may leave indicators unanswered, each
// with its reason, and never the same indicator answered too.
func TestPartialInterview(t *testing.T) {
	head := `{"participant_key":"6680d207-0734-4d5a-823e-8ac677281ce6","enrollment_year":2025,"age_band":"25-34","timepoint":"closing","program_month":12,"release":"2026.1",`
	good := map[string]string{
		"some unanswered": head + `"answers":{"pom01_safe":true},"unanswered":{"pom07_work":"declined","pom20_have_friends":"not_asked"}}`,
		"none answered":   head + `"answers":{},"unanswered":{"pom07_work":"declined"}}`,
	}
	for name, b := range good {
		p, err := DecodePOMInterview([]byte(b))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := p.Codes().Indicators; len(got) != len(p.Answers)+len(p.Unanswered) {
			t.Errorf("%s: codes %v leave out an indicator", name, got)
		}
	}
	bad := map[string]string{
		"answered and unanswered": head + `"answers":{"pom01_safe":true},"unanswered":{"pom01_safe":"declined"}}`,
		"reason not in the list":  head + `"answers":{"pom01_safe":true},"unanswered":{"pom07_work":"refused to say why"}}`,
		"empty reason":            head + `"answers":{"pom01_safe":true},"unanswered":{"pom07_work":""}}`,
		"empty map sent":          head + `"answers":{"pom01_safe":true},"unanswered":{}}`,
		"nothing at all":          head + `"answers":{}}`,
		"reason not a string":     head + `"answers":{"pom01_safe":true},"unanswered":{"pom07_work":false}}`,
		"before the answers":      head + `"unanswered":{"pom07_work":"declined"},"answers":{"pom01_safe":true}}`,
		"malformed code":          head + `"answers":{"pom01_safe":true},"unanswered":{"Pom 07":"declined"}}`,
	}
	for name, b := range bad {
		if _, err := DecodePOMInterview([]byte(b)); err == nil {
			t.Errorf("%s: accepted %s", name, b)
		}
	}
}
