package contract

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/pkg/deident"
)

func TestValidCode(t *testing.T) {
	for s, want := range map[string]bool{
		"pom20_have_friends": true, "a": true, "0x": true, strings.Repeat("a", 40): true,
		"": false, "_a": false, "A": false, "a-b": false, "a b": false, "é": false, strings.Repeat("a", 41): false,
	} {
		if got := ValidCode(s); got != want {
			t.Errorf("ValidCode(%q) = %v", s, got)
		}
	}
}

func TestValidateRecord(t *testing.T) {
	id := deident.NewRecordID(time.Now())
	good, err := NewRecord(id, TypePOMInterview, 1, POMInterview{ParticipantKey: uuid.NewString(), EnrollmentYear: 2026, AgeBand: "25-34",
		Timepoint: TimepointClosing, ProgramMonth: 12, Release: "2026.1", Answers: map[string]bool{"pom20_have_friends": true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateRecord(good); err != nil {
		t.Fatalf("a good record is refused: %v", err)
	}
	mutate := func(f func(r *Record)) Record {
		r := good
		r.Data = append(RawJSON(nil), good.Data...)
		f(&r)
		return r
	}
	withData := func(data string) Record {
		return mutate(func(r *Record) { r.Data = RawJSON(data); r.Hash = HashRecord(r.Type, false, r.Data) })
	}
	for name, c := range map[string]struct {
		r    Record
		want string
	}{
		"bad id":         {mutate(func(r *Record) { r.ID = "x" }), "UUID"},
		"unknown type":   {mutate(func(r *Record) { r.Type = "journal_text" }), "unknown record type"},
		"version 0":      {mutate(func(r *Record) { r.Version = 0 }), "version"},
		"bad hash":       {mutate(func(r *Record) { r.Hash = strings.Repeat("0", 64) }), "hash"},
		"extra field":    {withData(`{"participant_key":"` + uuid.NewString() + `","name":"Jo","enrollment_year":2026,"age_band":"25-34","timepoint":"closing","program_month":1,"release":"r","answers":{"a":true}}`), "unknown field"},
		"full date":      {withData(`{"participant_key":"` + uuid.NewString() + `","enrollment_year":2026,"age_band":"1990-01-01","timepoint":"closing","program_month":1,"release":"r","answers":{"a":true}}`), "age_band"},
		"bad timepoint":  {withData(`{"participant_key":"` + uuid.NewString() + `","enrollment_year":2026,"age_band":"25-34","timepoint":"later","program_month":1,"release":"r","answers":{"a":true}}`), "timepoint"},
		"tombstone data": {mutate(func(r *Record) { r.Deleted = true }), "tombstone"},
	} {
		err := ValidateRecord(c.r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", name, err, c.want)
		}
	}
	tomb := NewTombstone(id, TypePOMInterview, 2)
	if err := ValidateRecord(tomb); err != nil {
		t.Fatalf("a tombstone is refused: %v", err)
	}
}

func TestExpandResults(t *testing.T) {
	batch := make([]Record, 4)
	for i := range batch {
		batch[i] = NewTombstone(deident.NewRecordID(time.Now()), TypeParticipant, int64(i+1))
	}
	res := func(i int, f Fate) RecordResult {
		return RecordResult{Index: i, ID: batch[i].ID, Version: batch[i].Version, Fate: f, HubVersion: 9}
	}
	full := []RecordResult{res(0, FateStored), res(1, FateStale), res(2, FateDuplicate), res(3, FateConflict)}
	for i := range full {
		full[i].Index = 0
	}
	got, err := ExpandResults(PushResponse{Results: full}, batch)
	if err != nil || len(got) != 4 || got[1].Fate != FateStale {
		t.Fatalf("full answer: %+v, %v", got, err)
	}
	got, err = ExpandResults(PushResponse{Exceptions: true, Acknowledged: 2, Results: []RecordResult{res(1, FateStale), res(3, FateConflict)}}, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []Fate{FateStored, FateStale, FateStored, FateConflict} {
		if got[i].ID != batch[i].ID || got[i].Version != batch[i].Version || got[i].Fate != want || got[i].Index != 0 {
			t.Fatalf("expanded %d = %+v, want %s", i, got[i], want)
		}
	}
	if got[1].HubVersion != 9 {
		t.Fatal("the hub's version of an exception is lost")
	}
	other := res(1, FateStale)
	other.ID = batch[0].ID
	swapped := []RecordResult{res(1, FateStale), res(0, FateStored), res(2, FateDuplicate), res(3, FateConflict)}
	beyond := res(3, FateStale)
	beyond.Index = 4
	for name, resp := range map[string]PushResponse{
		"full, too few":        {Results: full[:3]},
		"full, out of order":   {Results: swapped},
		"counts do not add up": {Exceptions: true, Acknowledged: 1, Results: []RecordResult{res(1, FateStale)}},
		"out of order":         {Exceptions: true, Acknowledged: 2, Results: []RecordResult{res(3, FateConflict), res(1, FateStale)}},
		"twice":                {Exceptions: true, Acknowledged: 2, Results: []RecordResult{res(1, FateStale), res(1, FateStale)}},
		"out of range":         {Exceptions: true, Acknowledged: 3, Results: []RecordResult{beyond}},
		"another record":       {Exceptions: true, Acknowledged: 3, Results: []RecordResult{other}},
		"acknowledged listed":  {Exceptions: true, Acknowledged: 3, Results: []RecordResult{res(2, FateDuplicate)}},
	} {
		if _, err := ExpandResults(resp, batch); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
