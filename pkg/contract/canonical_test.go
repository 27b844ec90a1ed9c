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

// goodPayloads holds one canonical payload of each type.
var goodPayloads = map[string]string{
	TypeParticipant:    goodParticipant,
	TypePOMInterview:   strings.Replace(goodInterview, `}}`, `},"unanswered":{"pom07_work":"declined"}}`, 1),
	TypeSurveyResponse: `{"year":2026,"timepoint":"midpoint","model":"peer_partners","release":"2026.1","answers":{"s01_meets_where_i_choose":"definitely_agree","s02":"somewhat_agree"}}`,
	TypeHospitalization: `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"25-34","model":"peer_partners","before_count":2,"during_months":[3,7],"months_enrolled":6,` +
		`"service_changes":[{"service":"day_program","change":"stopped","program_month":4}]}`,
	TypeParticipation: `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"25-34","model":"peer_partners","cohort_key":"` + key + `","program_month":2,` +
		`"meetings_held":4,"meetings_attended":3,"journals_due":4,"journals_completed":4,"stipend_spent_cents":5500,"receipts_complete":true,"outings_by_stage":[1,0,2,0]}`,
	TypeCohortMonth: `{"cohort_key":"` + key + `","model":"peer_partners","start_year":2026,"program_month":1,"members":8,"pairs":4,"pairing_changes":1,"meetings_held":4,"meetings_on_theme":4}`,
}

// goodRelease knows the codes the good payloads use.
func goodRelease(v string) (ReleaseCodes, bool) {
	if v != "2026.1" {
		return ReleaseCodes{}, false
	}
	return ReleaseCodes{
		Indicators: map[string]bool{"pom01_safe": true, "pom07_work": true, "pom20_have_friends": true},
		Statements: map[string]bool{"s01_meets_where_i_choose": true, "s02": true},
	}, true
}

func TestGoodPayloadsPass(t *testing.T) {
	for typ, good := range goodPayloads {
		p, err := ParsePayload(typ, []byte(good))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if err := CheckCodes(p.Codes(), goodRelease); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if _, err := referenceDecode(typ, []byte(good)); err != nil {
			t.Fatalf("%s: the reference refuses it: %v", typ, err)
		}
	}
	if len(goodPayloads) != len(payloadTypes) {
		t.Fatalf("goodPayloads holds %d types, the contract %d", len(goodPayloads), len(payloadTypes))
	}
}

// randomPayload makes a valid payload of a type with random content.
func randomPayload(typ string, rng *rand.Rand) Payload {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	model := func() string { return pick(append([]string{""}, Models...)) }
	uid := func() string {
		return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()&(1<<48-1))
	}
	ints := func(n, lo, hi int) []int {
		if n < 0 {
			return nil
		}
		out := make([]int, n)
		for i := range out {
			out[i] = lo + rng.IntN(hi-lo+1)
		}
		return out
	}
	switch typ {
	case TypeParticipant:
		return Participant{Key: uid(), EnrollmentYear: 2000 + rng.IntN(101), AgeBand: pick(AgeBands), Model: model()}
	case TypePOMInterview:
		ans := map[string]bool{}
		for i := 1 + rng.IntN(40); i > 0; i-- {
			ans[fmt.Sprintf("pom%02d_x%d", rng.IntN(99), rng.IntN(3))] = rng.IntN(2) == 0
		}
		var unanswered map[string]string
		if rng.IntN(2) == 0 {
			unanswered = map[string]string{}
			for i := rng.IntN(5); i > 0; i-- {
				if code := fmt.Sprintf("pom%02d_x%d", rng.IntN(99), rng.IntN(3)); !ans[code] && len(ans)+len(unanswered) < 40 {
					delete(ans, code)
					unanswered[code] = pick(UnansweredReasons)
				}
			}
		}
		if len(unanswered) == 0 {
			unanswered = nil
		}
		if len(ans) == 0 && len(unanswered) == 0 {
			ans["pom01_safe"] = true
		}
		return POMInterview{ParticipantKey: uid(), EnrollmentYear: 2000 + rng.IntN(101), AgeBand: pick(AgeBands), Model: model(),
			Timepoint: pick(Timepoints), ProgramMonth: 1 + rng.IntN(24), Release: fmt.Sprintf("20%02d.%d", rng.IntN(100), rng.IntN(9)), Answers: ans, Unanswered: unanswered}
	case TypeSurveyResponse:
		ans := map[string]string{}
		for i := 1 + rng.IntN(40); i > 0; i-- {
			ans[fmt.Sprintf("s%02d", rng.IntN(60))] = pick(SurveyAnswers)
		}
		return SurveyResponse{Year: 2000 + rng.IntN(101), Timepoint: pick([]string{TimepointMidpoint, TimepointClosing}), Model: model(), Release: "2026.1", Answers: ans}
	case TypeHospitalization:
		var changes []ServiceChange
		if n := rng.IntN(5) - 1; n >= 0 {
			changes = []ServiceChange{}
			for ; n > 0; n-- {
				changes = append(changes, ServiceChange{Service: pick(Services), Change: pick(ServiceChangeKinds), ProgramMonth: 1 + rng.IntN(24)})
			}
		}
		return Hospitalization{ParticipantKey: uid(), EnrollmentYear: 2000 + rng.IntN(101), AgeBand: pick(AgeBands), Model: model(),
			BeforeCount: rng.IntN(4), DuringMonths: ints(rng.IntN(5)-1, 1, 24), MonthsEnrolled: rng.IntN(25), ServiceChanges: changes}
	case TypeParticipation:
		held, due := rng.IntN(10), rng.IntN(6)
		cohort := ""
		if rng.IntN(2) == 0 {
			cohort = uid()
		}
		return Participation{ParticipantKey: uid(), EnrollmentYear: 2000 + rng.IntN(101), AgeBand: pick(AgeBands), Model: model(), CohortKey: cohort,
			ProgramMonth: 1 + rng.IntN(24), MeetingsHeld: held, MeetingsAttended: rng.IntN(held + 1), JournalsDue: due, JournalsCompleted: rng.IntN(due + 1),
			StipendSpentCents: rng.Int64N(1_000_001), ReceiptsComplete: rng.IntN(2) == 0, OutingsByStage: ints(OutingStages, 0, 9)}
	case TypeCohortMonth:
		members, held := rng.IntN(20), rng.IntN(10)
		return CohortMonth{CohortKey: uid(), Model: pick(Models), StartYear: 2000 + rng.IntN(101), ProgramMonth: 1 + rng.IntN(24), Members: members,
			Pairs: rng.IntN(members/2 + 1), PairingChanges: rng.IntN(5), MeetingsHeld: held, MeetingsOnTheme: rng.IntN(held + 1)}
	}
	panic(typ)
}

// TestCanonicalIsMarshal holds the canonical encodings to the JSON encoder
// every agent used before them: an older agent's records stay canonical.
// Each encoding also reads back to the same value.
func TestCanonicalIsMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for typ := range payloadTypes {
		for i := 0; i < 500; i++ {
			p := randomPayload(typ, rng)
			if err := p.Validate(); err != nil {
				t.Fatalf("%s: the test made an invalid payload %+v: %v", typ, p, err)
			}
			want, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			got := p.AppendJSON([]byte("prefix"))
			if !bytes.Equal(got[len("prefix"):], want) {
				t.Fatalf("%s: canonical\n%s\nencoder\n%s", typ, got[len("prefix"):], want)
			}
			back, err := ParsePayload(typ, want)
			if err != nil {
				t.Fatalf("%s %s: %v", typ, want, err)
			}
			if !reflect.DeepEqual(back, p) {
				t.Fatalf("%s: read back %+v, want %+v", typ, back, p)
			}
			if rec, err := NewRecord("019b7b1a-0000-7000-8000-000000000001", typ, 1, p); err != nil || !bytes.Equal(rec.Data, want) {
				t.Fatalf("%s: NewRecord wrote %s, %v", typ, rec.Data, err)
			}
		}
	}
}

// keysOf lists the top-level keys of a JSON object in order.
func keysOf(t *testing.T, b string) []string {
	t.Helper()
	var keys []string
	r := reader{b: []byte(b)}
	if err := r.object(func(k []byte) error { keys = append(keys, string(k)); _, err := r.value(); return err }); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestDuplicateKeysRefused sends every field of every payload twice, the
// first time with identifying text or another valid value: nothing of it
// may pass, whichever value a reader would keep.
func TestDuplicateKeysRefused(t *testing.T) {
	values := []string{`"Jane Doe DOB 1980-03-14 SSN 123-45-6789"`, `1980`, `true`, `null`, `{}`, `[]`}
	n := 0
	for typ, good := range goodPayloads {
		for _, k := range keysOf(t, good) {
			for _, v := range values {
				for _, bad := range []string{
					strings.Replace(good, `"`+k+`":`, `"`+k+`":`+v+`,"`+k+`":`, 1),
					strings.Replace(good, `"`+k+`":`, `"`+k+`":`+v+`,"`+strings.Replace(k, "a", `\u0061`, 1)+`":`, 1),
				} {
					n++
					if _, err := ParsePayload(typ, []byte(bad)); err == nil {
						t.Errorf("%s: accepted %s", typ, bad)
					}
					if ValidJSON([]byte(bad)) && strings.Contains(k, "a") {
						t.Errorf("ValidJSON accepts a key sent twice: %s", bad)
					}
				}
			}
		}
	}
	// Answers repeated inside the map, and keys of the push envelope.
	for _, bad := range []string{
		strings.Replace(goodInterview, `"answers":{`, `"answers":{"pom01_safe":true,`, 1),
		strings.Replace(goodInterview, `}}`, `},"unanswered":{"pom05_x":"declined","pom05_x":"not_asked"}}`, 1),
		strings.Replace(goodPayloads[TypeSurveyResponse], `"answers":{`, `"answers":{"s02":"definitely_disagree",`, 1),
	} {
		if _, err := ParsePayload(TypeSurveyResponse, []byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
		if _, err := ParsePayload(TypePOMInterview, []byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	rec := `{"id":"019b76da-a800-700f-9e34-7784d96e095d","type":"participant","version":1,"hash":"ab","data":` + goodParticipant + `}`
	for _, k := range []string{"id", "type", "version", "hash", "data"} {
		first := `"Jane Doe"`
		if k == "version" {
			first = "7"
		}
		bad := batchJSON(strings.Replace(rec, `"`+k+`":`, `"`+k+`":`+first+`,"`+k+`":`, 1))
		if _, err := DecodePushRequest([]byte(bad)); err == nil || !strings.Contains(err.Error(), "more than once") {
			t.Errorf("push with %s twice: %v", k, err)
		}
	}
	if _, err := DecodePushRequest([]byte(`{"site_id":"a","site_id":"b","records":[]}`)); err == nil {
		t.Error("push with site_id twice accepted")
	}
	if n < 100 {
		t.Fatalf("only %d payloads tried", n)
	}
}

// stringClasses says what each string of every payload is. A string that
// reaches the hub is a random key (a UUID the agent drew), a code the
// contract fixes (checked against its list), or a code a published release
// defines (checked by the hub against that release). Free text has no
// class: a new string field fails TestEveryStringIsClosed until it has one
// and its check refuses text.
var stringClasses = map[string]string{
	"Participant.Key": "key", "Participant.AgeBand": "contract", "Participant.Model": "contract",
	"POMInterview.ParticipantKey": "key", "POMInterview.AgeBand": "contract", "POMInterview.Model": "contract",
	"POMInterview.Timepoint": "contract", "POMInterview.Release": "release", "POMInterview.Answers[key]": "release",
	"POMInterview.Unanswered[key]": "release", "POMInterview.Unanswered[value]": "contract",
	"SurveyResponse.Timepoint": "contract", "SurveyResponse.Model": "contract", "SurveyResponse.Release": "release",
	"SurveyResponse.Answers[key]": "release", "SurveyResponse.Answers[value]": "contract",
	"Hospitalization.ParticipantKey": "key", "Hospitalization.AgeBand": "contract", "Hospitalization.Model": "contract",
	"ServiceChange.Service": "contract", "ServiceChange.Change": "contract",
	"Participation.ParticipantKey": "key", "Participation.AgeBand": "contract", "Participation.Model": "contract",
	"Participation.CohortKey": "key",
	"CohortMonth.CohortKey":   "key", "CohortMonth.Model": "contract",
}

// TestEveryStringIsClosed walks every payload type by reflection and puts
// identifying text, and text shaped like a code, into each string in turn
// (field, map key, map value, nested struct): the hub's checks must refuse
// every one. Numbers get values out of any range. A string field missing
// from stringClasses fails the test.
func TestEveryStringIsClosed(t *testing.T) {
	canaries := []string{"Jane Doe DOB 1980-03-14 555-0100", "jane_doe_born_1980_03_14_ssn_123456789", "1980-03-14", "90",
		// Text spelt in hex as a UUID: JANE DOE 1980-03, in the NCS variant.
		"4a414e45-2044-4f45-2031-3938302d3033"}
	seen := map[string]bool{}
	tried := 0
	for typ, good := range goodPayloads {
		base, err := ParsePayload(typ, []byte(good))
		if err != nil {
			t.Fatal(err)
		}
		try := func(path string, change func(reflect.Value)) {
			cp := reflect.New(reflect.TypeOf(base)).Elem()
			cp.Set(deepCopy(reflect.ValueOf(base)))
			change(cp)
			p := cp.Interface().(Payload)
			tried++
			data := p.AppendJSON(nil)
			parsed, err := ParsePayload(typ, data)
			if err == nil {
				err = CheckCodes(parsed.Codes(), goodRelease)
			}
			if err == nil {
				t.Errorf("%s: %s accepted: %s", typ, path, data)
			}
		}
		for _, leaf := range leaves(reflect.TypeOf(base)) {
			name := leaf.name
			switch leaf.kind {
			case reflect.String:
				if _, ok := stringClasses[name]; !ok {
					t.Errorf("%s: string %s has no class in stringClasses: it would carry free text to the hub", typ, name)
					continue
				}
				seen[name] = true
				for _, c := range canaries {
					try(name+"="+c, func(v reflect.Value) { leaf.set(v, reflect.ValueOf(c)) })
				}
			case reflect.Int, reflect.Int64:
				for _, n := range []int64{-1, 1 << 40} {
					try(fmt.Sprint(name, "=", n), func(v reflect.Value) { leaf.set(v, reflect.ValueOf(n).Convert(leaf.typ)) })
				}
			}
		}
	}
	for name := range stringClasses {
		if !seen[name] {
			t.Errorf("stringClasses names %s, which no payload has", name)
		}
	}
	if tried < 100 {
		t.Fatalf("only %d hostile payloads tried", tried)
	}
}

// leaf is one scalar place in a payload type: a field, a map's keys or
// values, or a field of the structs of a slice.
type leaf struct {
	name string
	kind reflect.Kind
	typ  reflect.Type
	set  func(payload reflect.Value, x reflect.Value)
}

// leaves lists the scalar places of a struct type. A setter for a map adds
// a key (or sets every value); for a slice of structs it changes the field
// of every element; for a slice of numbers it sets every element.
func leaves(t reflect.Type) []leaf {
	var out []leaf
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := t.Name() + "." + f.Name
		field := func(v reflect.Value) reflect.Value { return v.Field(i) }
		switch f.Type.Kind() {
		case reflect.String, reflect.Int, reflect.Int64:
			out = append(out, leaf{name, f.Type.Kind(), f.Type, func(v, x reflect.Value) { field(v).Set(x) }})
		case reflect.Map:
			mt := f.Type
			out = append(out, leaf{name + "[key]", reflect.String, mt.Key(), func(v, x reflect.Value) {
				m := field(v)
				var any reflect.Value
				for _, k := range m.MapKeys() {
					any = m.MapIndex(k)
				}
				m.SetMapIndex(x, any)
			}})
			if mt.Elem().Kind() == reflect.String {
				out = append(out, leaf{name + "[value]", reflect.String, mt.Elem(), func(v, x reflect.Value) {
					m := field(v)
					for _, k := range m.MapKeys() {
						m.SetMapIndex(k, x)
					}
				}})
			}
		case reflect.Slice:
			et := f.Type.Elem()
			if et.Kind() == reflect.Struct {
				for _, inner := range leaves(et) {
					out = append(out, leaf{inner.name, inner.kind, inner.typ, func(v, x reflect.Value) {
						s := field(v)
						for j := 0; j < s.Len(); j++ {
							inner.set(s.Index(j), x)
						}
					}})
				}
			} else {
				out = append(out, leaf{name + "[]", et.Kind(), et, func(v, x reflect.Value) {
					s := field(v)
					for j := 0; j < s.Len(); j++ {
						s.Index(j).Set(x)
					}
				}})
			}
		}
	}
	return out
}

// deepCopy copies a payload value with its maps and slices.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		for _, k := range v.MapKeys() {
			m.SetMapIndex(k, v.MapIndex(k))
		}
		return m
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			s.Index(i).Set(deepCopy(v.Index(i)))
		}
		return s
	case reflect.Struct:
		s := reflect.New(v.Type()).Elem()
		for i := 0; i < v.NumField(); i++ {
			s.Field(i).Set(deepCopy(v.Field(i)))
		}
		return s
	}
	return v
}

// BenchmarkParsePayload measures the hub's check of one payload of each
// type, against the reference decoder.
func BenchmarkParsePayload(b *testing.B) {
	for _, typ := range []string{TypeParticipant, TypePOMInterview, TypeSurveyResponse, TypeHospitalization, TypeParticipation, TypeCohortMonth} {
		data := []byte(goodPayloads[typ])
		b.Run(typ, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := ParsePayload(typ, data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(typ+"/reference", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := referenceDecode(typ, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
