package contract

import (
	"strings"
	"testing"
)

const key = "0190a0c0-0000-4000-8000-000000000001"

func TestOutcomePayloads(t *testing.T) {
	cases := []struct {
		name, typ, data, err string
	}{
		{"survey", TypeSurveyResponse, `{"year":2026,"timepoint":"midpoint","model":"peer_partners","release":"2026.1","answers":{"s01_meets_where_i_choose":"definitely_agree"}}`, ""},
		{"survey at eligibility", TypeSurveyResponse, `{"year":2026,"timepoint":"eligibility","release":"2026.1","answers":{"s01":"definitely_agree"}}`, "timepoint"},
		{"survey unknown answer", TypeSurveyResponse, `{"year":2026,"timepoint":"closing","release":"2026.1","answers":{"s01":"yes"}}`, "answer"},
		{"survey naming a participant", TypeSurveyResponse, `{"year":2026,"timepoint":"closing","release":"2026.1","participant_key":"` + key + `","answers":{"s01":"definitely_agree"}}`, "unknown field"},
		{"survey without answers", TypeSurveyResponse, `{"year":2026,"timepoint":"closing","release":"2026.1","answers":{}}`, "answers"},
		{"hospitalization", TypeHospitalization, `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"25-34","before_count":2,"during_months":[3],"months_enrolled":6,"service_changes":[{"service":"day_program","change":"stopped","program_month":4}]}`, ""},
		{"hospitalization coarse band, top-coded", TypeHospitalization, `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"65+","before_count":3,"during_months":[],"months_enrolled":12,"service_changes":[]}`, ""},
		{"hospitalization of an older agent", TypeHospitalization, `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"75-89","before_count":7,"during_months":[],"months_enrolled":6,"service_changes":[]}`, ""},
		{"hospitalization any age", TypeHospitalization, `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"any","before_count":0,"during_months":[],"months_enrolled":0,"service_changes":[]}`, ""},
		{"hospitalization age", TypeHospitalization, `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"47","before_count":0,"during_months":[],"months_enrolled":0,"service_changes":[]}`, "age_band"},
		{"hospitalization month 0", TypeHospitalization, `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"25-34","before_count":2,"during_months":[0],"months_enrolled":6,"service_changes":[]}`, "during_months"},
		{"hospitalization named service", TypeHospitalization, `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"25-34","before_count":0,"during_months":[],"months_enrolled":6,"service_changes":[{"service":"Dr Smith","change":"started","program_month":1}]}`, "service"},
		{"participation", TypeParticipation, `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"25-34","model":"peer_partners","cohort_key":"` + key + `","program_month":2,"meetings_held":4,"meetings_attended":3,"journals_due":4,"journals_completed":4,"stipend_spent_cents":5500,"receipts_complete":true,"outings_by_stage":[1,0,2,0]}`, ""},
		{"participation attends more than held", TypeParticipation, `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"25-34","program_month":2,"meetings_held":1,"meetings_attended":3,"journals_due":4,"journals_completed":4,"stipend_spent_cents":0,"receipts_complete":true,"outings_by_stage":[0,0,0,0]}`, "meetings_attended"},
		{"participation five stages", TypeParticipation, `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"25-34","program_month":2,"meetings_held":1,"meetings_attended":1,"journals_due":4,"journals_completed":4,"stipend_spent_cents":0,"receipts_complete":true,"outings_by_stage":[0,0,0,0,1]}`, "outings_by_stage"},
		{"cohort month", TypeCohortMonth, `{"cohort_key":"` + key + `","model":"peer_partners","start_year":2026,"program_month":1,"members":8,"pairs":4,"pairing_changes":1,"meetings_held":4,"meetings_on_theme":4}`, ""},
		{"cohort month without model", TypeCohortMonth, `{"cohort_key":"` + key + `","start_year":2026,"program_month":1,"members":8,"pairs":4,"pairing_changes":1,"meetings_held":4,"meetings_on_theme":4}`, "model"},
		{"cohort month named", TypeCohortMonth, `{"cohort_key":"` + key + `","name":"Tuesday group","model":"peer_partners","start_year":2026,"program_month":1,"members":8,"pairs":4,"pairing_changes":1,"meetings_held":4,"meetings_on_theme":4}`, "unknown field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Record{ID: "01ff0000-0000-7000-8000-000000000001", Type: c.typ, Version: 1, Data: []byte(c.data)}
			r.Hash = HashRecord(r.Type, false, r.Data)
			// The id must be a year-start UUIDv7; build one for 2026.
			r.ID = "019b7b1a-0000-7000-8000-000000000001"
			err := ValidateRecord(r)
			if c.err == "" {
				if err != nil && !strings.Contains(err.Error(), "id must be") {
					t.Fatalf("valid payload refused: %v", err)
				}
				if !KnownType(c.typ) {
					t.Fatalf("type %s not registered", c.typ)
				}
				if _, err := ParsePayload(c.typ, r.Data); err != nil {
					t.Fatalf("valid payload refused: %v", err)
				}
				return
			}
			_, err = ParsePayload(c.typ, r.Data)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("want an error about %q, got %v", c.err, err)
			}
		})
	}
}

// TestTopCodeBefore: a count before enrollment leaves as 0, 1, 2 or 3,
// where 3 means 3 or more.
func TestTopCodeBefore(t *testing.T) {
	for n, want := range map[int]int{0: 0, 1: 1, 2: 2, 3: 3, 4: 3, 1000: 3} {
		if got := TopCodeBefore(n); got != want {
			t.Errorf("TopCodeBefore(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestPullCursor(t *testing.T) {
	for in, want := range map[string]PullCursor{"": {}, "7": {Releases: 7}, "7.3.2": {7, 3, 2}, "0.0.0": {}} {
		got, err := ParsePullCursor(in)
		if err != nil || got != want {
			t.Errorf("ParsePullCursor(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if again, _ := ParsePullCursor(got.String()); again != got {
			t.Errorf("round trip of %+v gave %+v", got, again)
		}
	}
	for _, bad := range []string{"x", "1.2", "1.2.3.4", "-1", "01", "1..2", " 1"} {
		if _, err := ParsePullCursor(bad); err == nil {
			t.Errorf("ParsePullCursor(%q) accepted", bad)
		}
	}
}
