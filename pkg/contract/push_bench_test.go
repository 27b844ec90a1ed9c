package contract

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

// benchBatch is a push body like an agent's: n POM interviews answering
// 25 indicators each (the size of a release's POM), and the release's
// codes as a hub holds them.
func benchBatch(b *testing.B, n int) ([]byte, ReleaseCodes) {
	b.Helper()
	codes := ReleaseCodes{Indicators: map[string]bool{}}
	for j := 0; j < 25; j++ {
		codes.Indicators[fmt.Sprintf("pom%02d_indicator_%c", j+1, 'a'+j)] = true
	}
	year := time.Date(time.Now().Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	recs := make([]Record, n)
	for i := range recs {
		answers := map[string]bool{}
		j := 0
		for c := range codes.Indicators {
			answers[c] = (i+j)%3 == 0
			j++
		}
		r, err := NewRecord(recordIDAt(year), TypePOMInterview, 1, POMInterview{ParticipantKey: uuid.NewString(), EnrollmentYear: 2025, AgeBand: "35-44",
			Timepoint: Timepoints[i%3], ProgramMonth: 1 + 5*(i%3), Release: "2026.1", Answers: answers})
		if err != nil {
			b.Fatal(err)
		}
		recs[i] = r
	}
	body := []byte(`{"site_id":"6680d207-0734-4d5a-823e-8ac677281ce6","records":[`)
	for i, r := range recs {
		if i > 0 {
			body = append(body, ',')
		}
		body = fmt.Appendf(body, `{"id":%q,"type":%q,"version":%d,"hash":%q,"data":%s}`, r.ID, r.Type, r.Version, r.Hash, r.Data)
	}
	return append(body, "]}"...), codes
}

// recordIDAt makes a record id as an agent does: a UUIDv7 whose time is
// the start of a year.
func recordIDAt(year time.Time) string {
	u := uuid.New()
	ms := uint64(year.UnixMilli())
	for i := 0; i < 6; i++ {
		u[i] = byte(ms >> (40 - 8*i))
	}
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u.String()
}

// BenchmarkDecodePush is the hub's work on one full batch before the
// database: the envelope's decode, then each record's check (envelope,
// hash, strict payload, canonical form) and its codes against the release.
func BenchmarkDecodePush(b *testing.B) {
	body, codes := benchBatch(b, MaxBatchRecords)
	release := func(string) (ReleaseCodes, bool) { return codes, true }
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			if _, err := DecodePushRequest(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	req, err := DecodePushRequest(body)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			for _, r := range req.Records {
				p, err := CheckRecord(r)
				if err != nil {
					b.Fatal(err)
				}
				if err := CheckCodes(p.Codes(), release); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
